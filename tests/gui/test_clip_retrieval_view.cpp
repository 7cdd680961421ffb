// The Chat page with a CLIP model, offscreen, on the fixtures' tiny CLIP and its adapter: the page
// switches to the retrieval view; captions scored for an image and images ranked for a caption
// show the probabilities core/gen/clip_retrieval.h gives for the same inputs (base and adapted on
// one model) and, on the base side, the fixture reference's image embeddings; rows sorted by the
// adapted score, the best of each column marked; without an adapter only the base column; a
// non-CLIP model still gets the chat columns.

// LibTorch and the engine before Qt: Qt's `slots` macro would break torch's headers.
#include "core/data/sample_encoder.h"
#include "core/gen/clip_retrieval.h"
#include "core/lora/lora_factory.h"

#include <QHeaderView>
#include <QLineEdit>
#include <QPushButton>
#include <QSignalSpy>
#include <QTableWidget>
#include <QTest>

#include "app/chat_controller.h"
#include "tests/model_parity_support.h"
#include "tests/test_support.h"
#include "ui/chat_page.h"
#include "ui/clip_retrieval_view.h"
#include "widgets/chat_transcript.h"

namespace fs = std::filesystem;
using vltune::ChatController;
using vltune::ClipRetrievalView;

namespace {

fs::path clipDir() { return vltune::test::hf_fixtures_root() / "clip"; }
fs::path imagesDir() { return vltune::test::hf_fixtures_root() / "images"; }
QString q(const fs::path &p) { return QString::fromStdString(p.string()); }

const QStringList kCaptions = {QStringLiteral("a smooth colour gradient"), QStringLiteral("a gray picture"),
                               QStringLiteral("a black and white grid"), QStringLiteral("random noise")};

std::vector<std::string> stdCaptions()
{
    std::vector<std::string> out;
    for (const QString &c : kCaptions)
        out.push_back(c.toStdString());
    return out;
}

// A table's rows: the candidate (full text or path) and its base and adapted probabilities, in order.
struct Row
{
    QString candidate;
    double base = 0;
    double adapted = 0;
};

QList<Row> rowsOf(const QTableWidget *t)
{
    QList<Row> rows;
    for (int r = 0; r < t->rowCount(); ++r) {
        rows << Row{t->item(r, ClipRetrievalView::CandidateColumn)->data(Qt::UserRole).toString(),
                    t->item(r, ClipRetrievalView::BaseColumn)->data(ClipRetrievalView::ValueRole).toDouble(),
                    t->item(r, ClipRetrievalView::AdaptedColumn)->data(ClipRetrievalView::ValueRole).toDouble()};
    }
    return rows;
}

// The row holding each column's best mark.
int bestRow(const QTableWidget *t, int column)
{
    int found = -1;
    for (int r = 0; r < t->rowCount(); ++r) {
        if (t->item(r, column)->data(ClipRetrievalView::BestRole).toBool()) {
            if (found >= 0)
                return -2;  // two marks
            found = r;
        }
    }
    return found;
}

void checkMarksAndOrder(const QTableWidget *t, bool adapted)
{
    const QList<Row> rows = rowsOf(t);
    for (int r = 1; r < rows.size(); ++r)
        QVERIFY2(adapted ? rows[r - 1].adapted >= rows[r].adapted : rows[r - 1].base >= rows[r].base, "not sorted by the score");
    QList<int> columns = {ClipRetrievalView::BaseColumn};
    if (adapted)
        columns << ClipRetrievalView::AdaptedColumn << ClipRetrievalView::DifferenceColumn;
    for (int c : columns) {
        const int best = bestRow(t, c);
        QVERIFY2(best >= 0, "a column without exactly one best mark");
        for (int r = 0; r < t->rowCount(); ++r)
            QVERIFY(t->item(r, c)->data(ClipRetrievalView::ValueRole).toDouble() <=
                    t->item(best, c)->data(ClipRetrievalView::ValueRole).toDouble());
        QVERIFY(t->item(best, c)->font().bold());
    }
    if (adapted) {
        QCOMPARE(bestRow(t, ClipRetrievalView::AdaptedColumn), 0);
        for (int r = 0; r < t->rowCount(); ++r)
            QVERIFY(qAbs(t->item(r, ClipRetrievalView::DifferenceColumn)->data(ClipRetrievalView::ValueRole).toDouble() -
                         (rows[r].adapted - rows[r].base)) < 1e-12);
    }
}

void loadInto(vltune::ChatPage &page, const fs::path &model, const QStringList &adapters)
{
    page.findChild<QLineEdit *>(QStringLiteral("chatModelEdit"))->setText(q(model));
    page.findChild<QLineEdit *>(QStringLiteral("chatAdapterEdit"))->setText(adapters.join(QLatin1Char(';')));
    QSignalSpy loaded(page.controller(), &ChatController::modelLoaded);
    QTest::mouseClick(page.findChild<QPushButton *>(QStringLiteral("chatLoadButton")), Qt::LeftButton);
    QVERIFY(loaded.wait(60000));
}

constexpr double kSame = 1e-6;  // the same computation on another thread: equal up to float noise

} // namespace

class TestClipRetrievalView final : public QObject
{
    Q_OBJECT

private slots:
    void captionsForImage();
    void imagesForCaption();
    void baseOnly();
    void nonClipShowsChat();
};

void TestClipRetrievalView::captionsForImage()
{
    vltune::ChatPage page;
    page.resize(1400, 900);
    page.show();
    loadInto(page, clipDir() / "model", {q(clipDir() / "adapter")});
    QVERIFY(page.isRetrievalShown());
    QVERIFY(page.transcripts().isEmpty());
    QVERIFY(page.controller()->isRetrieval());
    ClipRetrievalView *view = page.retrievalView();
    QVERIFY(view->isVisibleTo(&page));
    QVERIFY(!page.findChild<QPushButton *>(QStringLiteral("chatSendButton"))->isVisibleTo(&page));

    const fs::path image = imagesDir() / "gradient_300x200.png";
    page.attachImage(q(image));  // as attach, drop and paste do
    QCOMPARE(view->image(), q(image));
    view->setCaptions(kCaptions);
    QSignalSpy done(page.controller(), &ChatController::retrievalFinished);
    QTest::mouseClick(page.findChild<QPushButton *>(QStringLiteral("retrievalScoreButton")), Qt::LeftButton);
    QVERIFY(done.wait(60000));
    QTableWidget *table = view->captionTable();
    QCOMPARE(table->rowCount(), kCaptions.size());

    // What the engine gives for the same inputs, base and adapted on one fresh model.
    const vltune::data::SampleEncoder encoder(clipDir() / "model");
    auto model = vltune::lora::open_model(clipDir() / "model");
    model->load_adapter(clipDir() / "adapter", "adapter");
    const auto expected = vltune::gen::base_and_adapted(*model, {"adapter"}, [&] {
        return vltune::gen::score_image_captions(*model, encoder, image, stdCaptions());
    });
    // The fixture reference: this image's base embedding (transformers') against the captions.
    const vltune::test::ParityFixture f = vltune::test::parity_fixture(QStringLiteral("clip"));
    QCOMPARE(f.reference.at("images").at(0).get<std::string>(), image.filename().string());
    model->set_active_adapters({});
    std::vector<std::vector<vltune::text::TokenId>> ids;
    for (const auto &c : stdCaptions())
        ids.push_back(vltune::gen::clip_caption_ids(encoder, c, "caption"));
    const auto reference = vltune::gen::scores_from_embeddings(*model, f.tensors.tensor("base.image_embeds").slice(0, 0, 1),
                                                                vltune::gen::embed_texts(*model, ids, encoder.pad_id()));

    double apart = 0;
    for (const Row &row : rowsOf(table)) {
        const auto i = kCaptions.indexOf(row.candidate);
        QVERIFY2(i >= 0, qPrintable(row.candidate));
        QVERIFY(qAbs(row.base - expected.base.probs_per_image[0][i].item<double>()) < kSame);
        QVERIFY(qAbs(row.adapted - expected.adapted.probs_per_image[0][i].item<double>()) < kSame);
        QVERIFY2(qAbs(row.base - reference.probs_per_image[0][i].item<double>()) < 1e-4,
                 qPrintable(QStringLiteral("%1: %2 against the reference %3").arg(row.candidate).arg(row.base).arg(reference.probs_per_image[0][i].item<double>())));
        apart = std::max(apart, qAbs(row.adapted - row.base));
    }
    QVERIFY2(apart > 1e-4, "the adapted column equals the base: the adapter was not used");
    checkMarksAndOrder(table, true);
    QVERIFY(!table->isColumnHidden(ClipRetrievalView::AdaptedColumn));
    QCOMPARE(table->horizontalHeaderItem(ClipRetrievalView::AdaptedColumn)->text(), QStringLiteral("adapter"));

    QDir().mkpath(QStringLiteral("/tmp/shots"));
    page.grab().save(QStringLiteral("/tmp/shots/chat_clip_captions.png"));
    if (const QByteArray dir = qgetenv("VLTUNE_SCREENSHOT_DIR"); !dir.isEmpty())
        page.grab().save(QString::fromLocal8Bit(dir) + QStringLiteral("/chat_clip_captions.png"));
}

void TestClipRetrievalView::imagesForCaption()
{
    vltune::ChatPage page;
    page.resize(1400, 900);
    page.show();
    loadInto(page, clipDir() / "model", {q(clipDir() / "adapter")});
    ClipRetrievalView *view = page.retrievalView();
    const QString caption = QStringLiteral("a black and white grid");
    view->setQueryCaption(caption);
    view->setFolder(q(imagesDir()));
    QSignalSpy done(page.controller(), &ChatController::retrievalFinished);
    QSignalSpy failed(page.controller(), &ChatController::failed);
    auto *rank = page.findChild<QPushButton *>(QStringLiteral("retrievalRankButton"));
    QVERIFY(rank->isEnabled());
    QTest::mouseClick(rank, Qt::LeftButton);
    QVERIFY2(done.wait(60000), failed.isEmpty() ? "no answer" : qPrintable(failed.first().first().toString()));
    QTableWidget *table = view->imageTable();
    const auto files = vltune::gen::list_images(imagesDir());
    QCOMPARE(table->rowCount(), static_cast<int>(files.size()));

    const vltune::data::SampleEncoder encoder(clipDir() / "model");
    auto model = vltune::lora::open_model(clipDir() / "model");
    model->load_adapter(clipDir() / "adapter", "adapter");
    const auto expected = vltune::gen::base_and_adapted(*model, {"adapter"}, [&] {
        return vltune::gen::score_caption_images(*model, encoder, caption.toStdString(), files);
    });
    // The fixture reference: the reference images' base embeddings (transformers') against the caption.
    const vltune::test::ParityFixture f = vltune::test::parity_fixture(QStringLiteral("clip"));
    model->set_active_adapters({});
    const std::vector<std::vector<vltune::text::TokenId>> ids{vltune::gen::clip_caption_ids(encoder, caption.toStdString(), "caption")};
    const auto reference = vltune::gen::scores_from_embeddings(*model, f.tensors.tensor("base.image_embeds"),
                                                                vltune::gen::embed_texts(*model, ids, encoder.pad_id()));
    std::vector<std::string> referenceImages;
    for (const auto &name : f.reference.at("images"))
        referenceImages.push_back(name.get<std::string>());

    int checkedAgainstReference = 0;
    for (int r = 0; r < table->rowCount(); ++r) {
        const Row row = rowsOf(table)[r];
        const auto it = std::find(files.begin(), files.end(), fs::path(row.candidate.toStdString()));
        QVERIFY2(it != files.end(), qPrintable(row.candidate));
        const auto i = static_cast<int64_t>(it - files.begin());
        QVERIFY(qAbs(row.base - expected.base.probs_per_text[0][i].item<double>()) < kSame);
        QVERIFY(qAbs(row.adapted - expected.adapted.probs_per_text[0][i].item<double>()) < kSame);
        QVERIFY2(!table->item(r, ClipRetrievalView::CandidateColumn)->icon().isNull(), "no thumbnail");
        QCOMPARE(table->item(r, ClipRetrievalView::CandidateColumn)->text(), QString::fromStdString(it->filename().string()));
        const auto ref = std::find(referenceImages.begin(), referenceImages.end(), it->filename().string());
        if (referenceImages.size() == files.size() && ref != referenceImages.end()) {
            const auto j = static_cast<int64_t>(ref - referenceImages.begin());
            QVERIFY2(qAbs(row.base - reference.probs_per_text[0][j].item<double>()) < 1e-4,
                     qPrintable(QStringLiteral("%1: %2 against the reference %3").arg(row.candidate).arg(row.base).arg(reference.probs_per_text[0][j].item<double>())));
            ++checkedAgainstReference;
        }
    }
    if (referenceImages.size() == files.size())
        QCOMPARE(checkedAgainstReference, table->rowCount());
    checkMarksAndOrder(table, true);

    page.grab().save(QStringLiteral("/tmp/shots/chat_clip_images.png"));
    if (const QByteArray dir = qgetenv("VLTUNE_SCREENSHOT_DIR"); !dir.isEmpty())
        page.grab().save(QString::fromLocal8Bit(dir) + QStringLiteral("/chat_clip_images.png"));
}

void TestClipRetrievalView::baseOnly()
{
    // No adapter: only the base column, sorted by it; the engine's numbers on a plain model.
    vltune::ChatPage page;
    loadInto(page, clipDir() / "model", {});
    QVERIFY(page.isRetrievalShown());
    ClipRetrievalView *view = page.retrievalView();
    const fs::path image = imagesDir() / "noise_97x131.png";
    view->setImage(q(image));
    view->setCaptions(kCaptions);
    QSignalSpy done(page.controller(), &ChatController::retrievalFinished);
    QTest::mouseClick(page.findChild<QPushButton *>(QStringLiteral("retrievalScoreButton")), Qt::LeftButton);
    QVERIFY(done.wait(60000));
    QTableWidget *table = view->captionTable();
    QVERIFY(table->isColumnHidden(ClipRetrievalView::AdaptedColumn));
    QVERIFY(table->isColumnHidden(ClipRetrievalView::DifferenceColumn));
    const vltune::data::SampleEncoder encoder(clipDir() / "model");
    auto model = vltune::lora::open_model(clipDir() / "model");
    const auto expected = vltune::gen::score_image_captions(*model, encoder, image, stdCaptions());
    for (const Row &row : rowsOf(table))
        QVERIFY(qAbs(row.base - expected.probs_per_image[0][kCaptions.indexOf(row.candidate)].item<double>()) < kSame);
    checkMarksAndOrder(table, false);
    QCOMPARE(bestRow(table, ClipRetrievalView::BaseColumn), 0);

    // An error names the input and leaves the page usable.
    QSignalSpy failed(page.controller(), &ChatController::failed);
    page.controller()->scoreCaptions(QStringLiteral("/nonexistent/image.png"), kCaptions);
    QVERIFY(failed.wait(30000));
    QVERIFY2(failed.first().first().toString().contains(QStringLiteral("/nonexistent/image.png")),
             qPrintable(failed.first().first().toString()));
    QVERIFY(page.findChild<QPushButton *>(QStringLiteral("retrievalScoreButton"))->isEnabled());
}

void TestClipRetrievalView::nonClipShowsChat()
{
    // A chat model after a CLIP one: the chat columns come back.
    vltune::ChatPage page;
    loadInto(page, clipDir() / "model", {q(clipDir() / "adapter")});
    QVERIFY(page.isRetrievalShown());
    const fs::path qwen = vltune::test::hf_fixtures_root() / "qwen2_vl";
    loadInto(page, qwen / "model", {q(qwen / "adapter")});
    QVERIFY(!page.isRetrievalShown());
    QVERIFY(!page.controller()->isRetrieval());
    QCOMPARE(page.transcripts().size(), 2);
    QCOMPARE(page.transcripts()[0]->title(), QStringLiteral("base"));
    QVERIFY(page.findChild<QPushButton *>(QStringLiteral("chatSendButton"))->isVisibleTo(&page));
    QVERIFY(!page.retrievalView()->isVisibleTo(&page));
}

QTEST_MAIN(TestClipRetrievalView)
#include "test_clip_retrieval_view.moc"
