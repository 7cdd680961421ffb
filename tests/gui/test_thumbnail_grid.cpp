// The thumbnail grid, offscreen: 100,000 items lay out and scroll quickly and ask for no more
// thumbnails than the screens they were shown on; real images arrive as thumbnails (placeholder
// first); the filter narrows by text and tag; the image view fits, zooms and shows 100 %.

#include <QElapsedTimer>
#include <QScrollBar>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

#include "tests/tiny_png.h"
#include "widgets/image_view.h"
#include "widgets/thumbnail_grid.h"
#include "widgets/thumbnail_loader.h"
#include "widgets/thumbnail_model.h"

using vltune::ImageView;
using vltune::ThumbnailFilterModel;
using vltune::ThumbnailGrid;
using vltune::ThumbnailItem;
using vltune::ThumbnailLoader;
using vltune::ThumbnailModel;

class TestThumbnailGrid final : public QObject
{
    Q_OBJECT

private slots:
    void hundredThousandItemsStaySmooth();
    void thumbnailsArrive();
    void filterByTextAndTag();
    void imageViewZooms();
};

void TestThumbnailGrid::hundredThousandItemsStaySmooth()
{
    constexpr int kRows = 100000;
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    ThumbnailLoader loader(QSize(96, 96));
    ThumbnailModel model(&loader);
    QVector<ThumbnailItem> items(kRows);
    for (int i = 0; i < kRows; ++i) {
        // Files that do not exist: each decode fails fast, but is still counted as a request.
        items[i].imagePath = dir.filePath(QStringLiteral("img_%1.png").arg(i));
        items[i].label = QStringLiteral("caption %1").arg(i);
    }
    QElapsedTimer timer;
    timer.start();
    model.setItems(std::move(items));
    ThumbnailGrid grid(&loader);
    grid.resize(800, 600);
    grid.setModel(&model);
    grid.show();
    QVERIFY(QTest::qWaitForWindowExposed(&grid));
    const QSize cell = grid.gridSize();
    const int columns = std::max(1, grid.viewport()->width() / cell.width());
    const int screenful = columns * (grid.viewport()->height() / cell.height() + 2);
    // The batched layout completes: the scroll range covers every row.
    const int fullRows = (kRows + columns - 1) / columns;
    QTRY_VERIFY_WITH_TIMEOUT(grid.verticalScrollBar()->maximum() >= (fullRows - 1) * cell.height() - grid.viewport()->height(), 10000);
    const qint64 layoutMs = timer.elapsed();
    QVERIFY2(layoutMs < 8000, qPrintable(QStringLiteral("layout took %1 ms").arg(layoutMs)));

    // Jump to the middle and to the end; each screen paints.
    timer.restart();
    for (int target : {grid.verticalScrollBar()->maximum() / 2, grid.verticalScrollBar()->maximum()}) {
        grid.verticalScrollBar()->setValue(target);
        QTest::qWait(50);
    }
    for (int step = 0; step < 20; ++step) {  // then scroll back a little, line by line
        grid.verticalScrollBar()->triggerAction(QAbstractSlider::SliderSingleStepSub);
        QCoreApplication::processEvents();
    }
    const qint64 scrollMs = timer.elapsed();
    QVERIFY2(scrollMs < 3000, qPrintable(QStringLiteral("scrolling took %1 ms").arg(scrollMs)));

    // Only painted items asked for a thumbnail: about four screens (start, middle, end, a few
    // lines back), nowhere near the 100,000 rows.
    const int requested = loader.requestsQueued();
    qInfo("100k rows: layout %lld ms, scrolling %lld ms, %d thumbnail requests (screenful %d)", layoutMs, scrollMs,
          requested, screenful);
    QVERIFY(requested >= screenful / 2);
    QVERIFY2(requested <= 5 * screenful, qPrintable(QString::number(requested)));
    // The last item is the one on screen at the end.
    QVERIFY(grid.indexAt(grid.viewport()->rect().center()).row() > kRows - 10 * screenful);
}

void TestThumbnailGrid::thumbnailsArrive()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    QVector<ThumbnailItem> items;
    for (int i = 0; i < 3; ++i) {
        const QString path = dir.filePath(QStringLiteral("p%1.png").arg(i));
        vltune::test::write_png(path.toStdString(), 300 + 40 * i, 200, i);
        items.push_back({path, QStringLiteral("image %1").arg(i), {}, {}, {}});
    }
    items.push_back({dir.filePath(QStringLiteral("missing.png")), QStringLiteral("missing"), {}, {}, {}});
    ThumbnailLoader loader(QSize(64, 64));
    ThumbnailModel model(&loader);
    model.setItems(items);
    QSignalSpy changed(&model, &ThumbnailModel::dataChanged);
    ThumbnailGrid grid(&loader);
    grid.resize(600, 400);
    grid.setModel(&model);
    grid.show();
    QVERIFY(QTest::qWaitForWindowExposed(&grid));
    for (int i = 0; i < 3; ++i) {
        const QModelIndex index = model.index(i);
        QTRY_VERIFY(index.data(ThumbnailModel::ThumbnailReadyRole).toBool());
        const QImage thumb = index.data(Qt::DecorationRole).value<QImage>();
        QVERIFY(!thumb.isNull());
        QCOMPARE(thumb.width(), 64);  // wider than tall: fits the width
        QVERIFY(thumb.height() < 64);
    }
    QTRY_VERIFY(model.index(3).data(ThumbnailModel::ThumbnailReadyRole).toBool());  // tried once
    QVERIFY(model.index(3).data(Qt::DecorationRole).value<QImage>().isNull());
    QVERIFY(changed.count() >= 3);
    QCOMPARE(loader.decodesStarted(), 4);
    QTRY_VERIFY(loader.isIdle());
    // Cached: asking again decodes nothing.
    for (int i = 0; i < 4; ++i)
        model.index(i).data(Qt::DecorationRole);
    QCOMPARE(loader.decodesStarted(), 4);
}

void TestThumbnailGrid::filterByTextAndTag()
{
    ThumbnailLoader loader;
    ThumbnailModel model(&loader);
    model.setItems({{QString(), QStringLiteral("a red car"), QStringLiteral("a red car"), {}, {}},
                    {QString(), QStringLiteral("a blue car"), QStringLiteral("a blue car"), {QStringLiteral("too_long")}, {}},
                    {QString(), QStringLiteral("a red bus"), QStringLiteral("a red bus"), {QStringLiteral("missing_image")}, {}}});
    ThumbnailFilterModel filter;
    filter.setSourceModel(&model);
    QCOMPARE(filter.rowCount(), 3);
    filter.setTextFilter(QStringLiteral("RED"));
    QCOMPARE(filter.rowCount(), 2);
    filter.setTextFilter(QStringLiteral("red car"));
    QCOMPARE(filter.rowCount(), 1);
    QCOMPARE(filter.index(0, 0).data().toString(), QStringLiteral("a red car"));
    filter.setTextFilter(QString());
    filter.setTagFilter(ThumbnailFilterModel::anyTag());
    QCOMPARE(filter.rowCount(), 2);
    filter.setTagFilter(QStringLiteral("missing_image"));
    QCOMPARE(filter.rowCount(), 1);
    QCOMPARE(filter.index(0, 0).data().toString(), QStringLiteral("a red bus"));
    model.setText(2, QStringLiteral("a green bus"), QStringLiteral("a green bus"));
    filter.setTagFilter(QString());
    filter.setTextFilter(QStringLiteral("green"));
    QCOMPARE(filter.rowCount(), 1);
}

void TestThumbnailGrid::imageViewZooms()
{
    ImageView view;
    view.resize(400, 300);
    view.show();
    QVERIFY(QTest::qWaitForWindowExposed(&view));
    QImage image(1600, 1200, QImage::Format_RGB32);
    image.fill(Qt::darkCyan);
    view.setImage(image);
    QVERIFY(view.isFitted());
    QVERIFY(view.zoom() < 0.3);  // 1600 px into about 400
    QVERIFY(view.zoom() > 0.2);
    const double fitted = view.zoom();
    view.zoomIn();
    QVERIFY(view.zoom() > fitted);
    QVERIFY(!view.isFitted());
    view.actualSize();
    QCOMPARE(view.zoom(), 1.0);
    view.zoomOut();
    QCOMPARE(view.zoom(), 0.8);
    view.fitToView();
    QCOMPARE(view.zoom(), fitted);
    view.setImage(QImage(), QStringLiteral("no image"));
    QVERIFY(view.image().isNull());
}

QTEST_MAIN(TestThumbnailGrid)
#include "test_thumbnail_grid.moc"
