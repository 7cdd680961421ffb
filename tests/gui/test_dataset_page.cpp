// The Dataset page and its controller, offscreen, on small datasets written into a temporary
// folder: an image-caption folder (one unreadable image, one image without caption) and a ShareGPT
// file (one row whose image is missing). The detected format and the problems are shown, clicking
// a problem selects its sample, the filters narrow the grid, thumbnails arrive, a caption edit is
// written atomically and undone/redone, an edit made on disk meanwhile is not overwritten, a drop
// opens a dataset, and with the tiny Qwen2-VL fixture model the training prompt marks the learned
// tokens; "Caption with model" proposes what the engine's greedy generation gives, accepted into
// the editor, nothing written until Save.

// LibTorch and the engine before Qt: Qt's `slots` macro would break torch's headers.
#include "core/data/sample_encoder.h"
#include "core/gen/chat_session.h"
#include "core/gen/generation_params.h"
#include "core/gen/generator.h"
#include "core/lora/lora_factory.h"
#include "core/gen/chat_defaults.h"

#include <QComboBox>
#include <QDir>
#include <QDropEvent>
#include <QFile>
#include <QLabel>
#include <QLineEdit>
#include <QMimeData>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSignalSpy>
#include <QTabWidget>
#include <QTemporaryDir>
#include <QTest>
#include <QTextBrowser>
#include <QTreeWidget>
#include <QUndoStack>
#include <QUrl>

#include "app/caption_proposer.h"
#include "app/dataset_controller.h"
#include "tests/test_support.h"
#include "tests/tiny_png.h"
#include "ui/caption_proposal_box.h"
#include "ui/dataset_page.h"
#include "widgets/thumbnail_grid.h"
#include "widgets/thumbnail_model.h"

namespace fs = std::filesystem;
using vltune::DatasetController;
using vltune::DatasetPage;
using vltune::DatasetPreview;
using vltune::ThumbnailModel;

namespace {

fs::path path(const QTemporaryDir &dir) { return fs::path(dir.path().toStdString()); }

// captions/: a.png "a red car", b.png "a blue bird", c.png (not an image) "broken picture",
// d.png without a caption.
QString writeCaptionFolder(const QTemporaryDir &dir)
{
    const fs::path root = path(dir) / "captions";
    vltune::test::write_png(root / "a.png", 96, 64, 1);
    vltune::test::write_text(root / "a.txt", "a red car\n");
    vltune::test::write_png(root / "b.png", 64, 96, 2);
    vltune::test::write_text(root / "b.txt", "a blue bird");
    vltune::test::write_text(root / "c.png", "this is not a png");
    vltune::test::write_text(root / "c.txt", "broken picture\n");
    vltune::test::write_png(root / "d.png", 32, 32, 3);
    return QString::fromStdString(root.string());
}

// chat.json: row 0 shows cat.png, row 1 names a missing file.
QString writeShareGpt(const QTemporaryDir &dir)
{
    const fs::path root = path(dir) / "sharegpt";
    vltune::test::write_png(root / "cat.png", 80, 60, 4);
    vltune::test::write_text(root / "chat.json", R"([
  {"conversations": [{"from": "human", "value": "<image>What is this?"}, {"from": "gpt", "value": "A cat."}],
   "images": ["cat.png"]},
  {"conversations": [{"from": "human", "value": "<image>And this?"}, {"from": "gpt", "value": "A dog."}],
   "images": ["dog.png"]}
])");
    return QString::fromStdString((root / "chat.json").string());
}

QByteArray fileBytes(const QString &file)
{
    QFile f(file);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray("<unreadable>");
}

// Opens `target` on `page` and waits for the controller's answer.
bool openAndWait(DatasetPage &page, const QString &target)
{
    QSignalSpy opened(page.controller(), &DatasetController::opened);
    page.openPath(target);
    return opened.wait(20000);
}

QTreeWidgetItem *problemOfKind(QTreeWidget *list, const QString &kind)
{
    for (int i = 0; i < list->topLevelItemCount(); ++i)
        if (list->topLevelItem(i)->text(0) == kind)
            return list->topLevelItem(i);
    return nullptr;
}

void clickProblem(QTreeWidget *list, QTreeWidgetItem *item)
{
    const QRect rect = list->visualItemRect(item);
    QTest::mouseClick(list->viewport(), Qt::LeftButton, Qt::NoModifier, rect.center());
}

void saveScreenshot(QWidget &widget, const QString &name)
{
    QDir().mkpath(QStringLiteral("/tmp/shots"));
    widget.grab().save(QStringLiteral("/tmp/shots/%1.png").arg(name));
    const QString dir = qEnvironmentVariable("VLTUNE_SCREENSHOT_DIR");
    if (!dir.isEmpty())
        widget.grab().save(QDir(dir).filePath(name + QStringLiteral(".png")));
}

} // namespace

class TestDatasetPage final : public QObject
{
    Q_OBJECT

private slots:
    void captionFolderShowsFormatProblemsAndFilters();
    void captionEditSavesAndUndoes();
    void editOnDiskIsNotOverwritten();
    void shareGptMissingImageSelectsSample();
    void dropOpensDataset();
    void badPathIsReported();
    void promptPreviewMarksLearnedTokens();
    void captionWithModelProposes();
};

void TestDatasetPage::captionFolderShowsFormatProblemsAndFilters()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString root = writeCaptionFolder(dir);
    DatasetPage page;
    page.resize(1280, 800);
    page.show();
    QVERIFY(QTest::qWaitForWindowExposed(&page));
    QVERIFY(openAndWait(page, root));

    const auto *format = page.findChild<QLabel *>(QStringLiteral("datasetFormatLabel"));
    QVERIFY(format->text().contains(QStringLiteral("image_captions")));
    const auto *counts = page.findChild<QLabel *>(QStringLiteral("datasetCountsLabel"));
    QVERIFY2(counts->text().contains(QStringLiteral("Samples: 3")), qPrintable(counts->text()));
    QVERIFY2(counts->text().contains(QStringLiteral("Images without a caption (left out): 1")), qPrintable(counts->text()));
    QCOMPARE(page.thumbnailModel()->rowCount(), 3);

    // The unreadable image is listed, at its caption file, and clicking it selects that sample.
    QTreeWidgetItem *problem = problemOfKind(page.problemList(), QStringLiteral("unreadable_image"));
    QVERIFY(problem);
    QCOMPARE(problem->text(1), QStringLiteral("c.txt:0"));
    QCOMPARE(page.currentSample(), 0);  // the first sample is shown on open
    clickProblem(page.problemList(), problem);
    QCOMPARE(page.currentSample(), 2);
    QCOMPARE(page.grid()->currentIndex().data().toString(), QStringLiteral("broken picture"));
    QVERIFY(!page.thumbnailModel()->item(2).tags.isEmpty());

    // The thumbnails of the readable images arrive (placeholder first).
    for (int row : {0, 1}) {
        const QModelIndex index = page.thumbnailModel()->index(row);
        QTRY_VERIFY(index.data(ThumbnailModel::ThumbnailReadyRole).toBool());
        QVERIFY(!index.data(Qt::DecorationRole).value<QImage>().isNull());
    }

    // Text filter, then problem filter.
    auto *search = page.findChild<QLineEdit *>(QStringLiteral("datasetSearchEdit"));
    QTest::keyClicks(search, QStringLiteral("red"));
    QTRY_COMPARE(page.filterModel()->rowCount(), 1);
    QCOMPARE(page.filterModel()->index(0, 0).data().toString(), QStringLiteral("a red car"));
    search->clear();
    QTRY_COMPARE(page.filterModel()->rowCount(), 3);
    auto *kind = page.findChild<QComboBox *>(QStringLiteral("datasetProblemFilter"));
    const int unreadable = kind->findData(QStringLiteral("unreadable_image"));
    QVERIFY(unreadable > 0);
    kind->setCurrentIndex(unreadable);
    QCOMPARE(page.filterModel()->rowCount(), 1);
    QCOMPARE(page.filterModel()->index(0, 0).data().toString(), QStringLiteral("broken picture"));

    // Clicking a problem whose sample the filter hides shows everything again.
    QTest::keyClicks(search, QStringLiteral("zebra"));
    QTRY_COMPARE(page.filterModel()->rowCount(), 0);
    page.selectSample(0);
    QCOMPARE(page.filterModel()->rowCount(), 3);
    QCOMPARE(page.currentSample(), 0);

    // The statistics measured the two readable images.
    const auto *conversation = page.findChild<QTextBrowser *>(QStringLiteral("datasetConversationView"));
    QTRY_VERIFY(conversation->toPlainText().contains(QStringLiteral("a red car")));
    saveScreenshot(page, QStringLiteral("dataset"));
}

void TestDatasetPage::captionEditSavesAndUndoes()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString root = writeCaptionFolder(dir);
    const QString captionFile = QDir(root).filePath(QStringLiteral("a.txt"));
    DatasetPage page;
    page.resize(1280, 800);
    page.show();
    QVERIFY(openAndWait(page, root));
    auto *editor = page.findChild<QPlainTextEdit *>(QStringLiteral("datasetCaptionEdit"));
    auto *tabs = page.findChild<QTabWidget *>(QStringLiteral("datasetDetailTabs"));
    QVERIFY(tabs->isTabEnabled(2));
    page.selectSample(0);
    QTRY_VERIFY(editor->isEnabled());
    QCOMPARE(editor->toPlainText(), QStringLiteral("a red car"));

    // Typing alone writes nothing.
    editor->setPlainText(QStringLiteral("a shiny red car"));
    QCOMPARE(fileBytes(captionFile), QByteArray("a red car\n"));
    QVERIFY(page.saveCaption());
    QCOMPARE(fileBytes(captionFile), QByteArray("a shiny red car\n"));  // the final line break is kept
    QCOMPARE(vltune::test::entry_count(root.toStdString()), 7);       // no temporary file left
    QCOMPARE(page.thumbnailModel()->index(0).data().toString(), QStringLiteral("a shiny red car"));
    QCOMPARE(page.undoStack()->count(), 1);
    // The preview shows the new caption (the worker's record was updated).
    auto *conversation = page.findChild<QTextBrowser *>(QStringLiteral("datasetConversationView"));
    QTRY_VERIFY(conversation->toPlainText().contains(QStringLiteral("a shiny red car")));

    page.undoStack()->undo();
    QCOMPARE(fileBytes(captionFile), QByteArray("a red car\n"));
    QCOMPARE(editor->toPlainText(), QStringLiteral("a red car"));
    QCOMPARE(page.thumbnailModel()->index(0).data().toString(), QStringLiteral("a red car"));
    page.undoStack()->redo();
    QCOMPARE(fileBytes(captionFile), QByteArray("a shiny red car\n"));

    // Undo while another sample is shown restores the file and brings its sample back.
    page.selectSample(1);
    QCOMPARE(page.currentSample(), 1);
    page.undoStack()->undo();
    QCOMPARE(fileBytes(captionFile), QByteArray("a red car\n"));
    QCOMPARE(page.currentSample(), 0);
    QTRY_COMPARE(editor->toPlainText(), QStringLiteral("a red car"));
    // The grid's text filter finds the restored text.
    page.filterModel()->setTextFilter(QStringLiteral("shiny"));
    QCOMPARE(page.filterModel()->rowCount(), 0);
}

void TestDatasetPage::editOnDiskIsNotOverwritten()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString root = writeCaptionFolder(dir);
    const QString captionFile = QDir(root).filePath(QStringLiteral("b.txt"));
    DatasetPage page;
    page.show();
    QVERIFY(openAndWait(page, root));
    auto *editor = page.findChild<QPlainTextEdit *>(QStringLiteral("datasetCaptionEdit"));
    page.selectSample(1);
    QTRY_VERIFY(editor->isEnabled());
    QCOMPARE(editor->toPlainText(), QStringLiteral("a blue bird"));
    vltune::test::write_text(captionFile.toStdString(), "someone else's words");
    editor->setPlainText(QStringLiteral("mine"));
    QVERIFY(!page.saveCaption());
    QCOMPARE(fileBytes(captionFile), QByteArray("someone else's words"));
    QCOMPARE(page.undoStack()->count(), 0);
    const auto *message = page.findChild<QLabel *>(QStringLiteral("datasetMessageLabel"));
    QVERIFY(message->text().contains(QStringLiteral("changed on disk")));
}

void TestDatasetPage::shareGptMissingImageSelectsSample()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString file = writeShareGpt(dir);
    DatasetPage page;
    page.resize(1100, 700);
    page.show();
    QVERIFY(openAndWait(page, file));
    QVERIFY(page.findChild<QLabel *>(QStringLiteral("datasetFormatLabel"))->text().contains(QStringLiteral("sharegpt")));
    QCOMPARE(page.thumbnailModel()->rowCount(), 2);
    QVERIFY(!page.findChild<QTabWidget *>(QStringLiteral("datasetDetailTabs"))->isTabEnabled(2));  // not editable

    QTreeWidgetItem *problem = problemOfKind(page.problemList(), QStringLiteral("missing_image"));
    QVERIFY(problem);
    QVERIFY(problem->text(2).contains(QStringLiteral("dog.png")));
    clickProblem(page.problemList(), problem);
    QCOMPARE(page.currentSample(), 1);
    auto *conversation = page.findChild<QTextBrowser *>(QStringLiteral("datasetConversationView"));
    QTRY_VERIFY(conversation->toPlainText().contains(QStringLiteral("A dog.")));
    QCOMPARE(page.thumbnailModel()->item(1).imagePath, QString());  // nothing to show in the grid

    auto *kind = page.findChild<QComboBox *>(QStringLiteral("datasetProblemFilter"));
    kind->setCurrentIndex(kind->findData(vltune::ThumbnailFilterModel::anyTag()));
    QCOMPARE(page.filterModel()->rowCount(), 1);
}

void TestDatasetPage::dropOpensDataset()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString root = writeCaptionFolder(dir);
    DatasetPage page;
    page.show();
    QVERIFY(QTest::qWaitForWindowExposed(&page));
    QSignalSpy opened(&page, &DatasetPage::datasetOpened);
    QMimeData mime;
    mime.setUrls({QUrl::fromLocalFile(root)});
    QDragEnterEvent enter(QPoint(10, 10), Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
    QCoreApplication::sendEvent(&page, &enter);
    QVERIFY(enter.isAccepted());
    QDropEvent drop(QPointF(10, 10), Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
    QCoreApplication::sendEvent(&page, &drop);
    QVERIFY(opened.wait(20000));
    QCOMPARE(opened.first().at(1).toString(), QStringLiteral("image_captions"));

    // A URL that names nothing is refused.
    QMimeData nothing;
    nothing.setUrls({QUrl::fromLocalFile(dir.filePath(QStringLiteral("no/such/folder")))});
    QDragEnterEvent refused(QPoint(10, 10), Qt::CopyAction, &nothing, Qt::LeftButton, Qt::NoModifier);
    refused.setAccepted(false);
    QCoreApplication::sendEvent(&page, &refused);
    QVERIFY(!refused.isAccepted());
}

void TestDatasetPage::badPathIsReported()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    vltune::test::write_text(path(dir) / "empty" / "notes.md", "nothing here");
    DatasetPage page;
    QSignalSpy failed(page.controller(), &DatasetController::failed);
    page.openPath(dir.filePath(QStringLiteral("empty")));
    QVERIFY(failed.wait(20000));
    const auto *message = page.findChild<QLabel *>(QStringLiteral("datasetMessageLabel"));
    QVERIFY(!message->text().isEmpty());
    QVERIFY(message->text().contains(QStringLiteral("empty")));  // names the folder
}

void TestDatasetPage::promptPreviewMarksLearnedTokens()
{
    const fs::path model = vltune::test::hf_fixtures_root() / "qwen2_vl" / "model";
    if (!fs::exists(model / "config.json"))
        QSKIP("the qwen2_vl fixture model is not there");
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString root = writeCaptionFolder(dir);
    DatasetPage page;
    page.resize(1280, 800);
    page.show();
    QVERIFY(openAndWait(page, root));
    QSignalSpy previews(page.controller(), &DatasetController::previewReady);
    QSignalSpy opened(page.controller(), &DatasetController::opened);
    page.setModelDir(QString::fromStdString(model.string()));
    QVERIFY(opened.wait(60000));
    QVERIFY(page.controller()->modelDir().endsWith(QStringLiteral("model")));

    // Sample 0 stays selected; its preview comes with the prompt cut into learned / not learned.
    QCOMPARE(page.currentSample(), 0);
    QTRY_VERIFY_WITH_TIMEOUT(!previews.isEmpty() &&
                                 previews.last().at(0).value<DatasetPreview>().index == 0 &&
                                 !previews.last().at(0).value<DatasetPreview>().prompt.isEmpty(),
                             20000);
    const DatasetPreview preview = previews.last().at(0).value<DatasetPreview>();
    QString learned;
    QString context;
    for (const auto &piece : preview.prompt)
        (piece.learned ? learned : context) += piece.text;
    QVERIFY2(learned.contains(QStringLiteral("a red car")), qPrintable(learned));
    QVERIFY(!context.contains(QStringLiteral("a red car")));
    QVERIFY(context.contains(QStringLiteral("<|image_pad|>")));
    QVERIFY(preview.learnedTokens > 0);
    QVERIFY(preview.learnedTokens < preview.tokens);

    auto *prompt = page.findChild<QTextBrowser *>(QStringLiteral("datasetPromptView"));
    QTRY_VERIFY(prompt->toPlainText().contains(QStringLiteral("%1 tokens").arg(preview.tokens)));
    QVERIFY(prompt->toHtml().contains(QStringLiteral("#c8ecd0")));  // the learned highlight
    page.findChild<QTabWidget *>(QStringLiteral("datasetDetailTabs"))->setCurrentWidget(prompt);
    QTRY_VERIFY(page.thumbnailModel()->index(1).data(ThumbnailModel::ThumbnailReadyRole).toBool());
    saveScreenshot(page, QStringLiteral("dataset_prompt"));
    page.findChild<QTabWidget *>(QStringLiteral("datasetLeftTabs"))->setCurrentIndex(1);
    saveScreenshot(page, QStringLiteral("dataset_statistics"));
}

void TestDatasetPage::captionWithModelProposes()
{
    const fs::path fixture = vltune::test::hf_fixtures_root() / "qwen2_vl";
    const fs::path model = fixture / "model", adapter = fixture / "adapter";
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString root = writeCaptionFolder(dir);
    const QString captionFile = QDir(root).filePath(QStringLiteral("a.txt"));
    DatasetPage page;
    page.resize(1280, 800);
    page.show();
    QVERIFY(openAndWait(page, root));
    QSignalSpy opened(page.controller(), &DatasetController::opened);
    page.setModelDir(QString::fromStdString(model.string()));
    QVERIFY(opened.wait(60000));
    page.selectSample(0);
    auto *editor = page.findChild<QPlainTextEdit *>(QStringLiteral("datasetCaptionEdit"));
    QTRY_VERIFY(editor->isEnabled());
    QCOMPARE(editor->toPlainText(), QStringLiteral("a red car"));

    vltune::CaptionProposalBox *box = page.captionProposalBox();
    box->setAdapterDir(QString::fromStdString(adapter.string()));
    QSignalSpy proposed(box->proposer(), &vltune::CaptionProposer::proposed);
    QSignalSpy failed(box->proposer(), &vltune::CaptionProposer::failed);
    auto *propose = page.findChild<QPushButton *>(QStringLiteral("captionProposeButton"));
    QVERIFY(propose->isEnabled());
    propose->click();
    QVERIFY2(proposed.wait(120000), failed.isEmpty() ? "no answer" : qPrintable(failed.first().first().toString()));
    const QString image = proposed.first().at(0).toString();
    QCOMPARE(QFileInfo(image).fileName(), QStringLiteral("a.png"));

    // What the engine answers for the same image and prompt: greedy, the adapter active.
    const vltune::data::SampleEncoder encoder(model);
    auto m = vltune::lora::open_model(model);
    m->load_adapter(adapter, "adapter");
    m->set_active_adapters({"adapter"});
    vltune::gen::GenerationParams p = vltune::gen::chat_generation_defaults(model, encoder);
    p.do_sample = false;
    p.max_new_tokens = 64;
    vltune::gen::ChatSession chat;
    chat.add_user("Describe the image.", {image.toStdString()});
    const auto expected = vltune::gen::generate(*m, chat.prompt(encoder), encoder.tokenizer(), p);
    const QString proposal = proposed.first().at(1).toString();
    QCOMPARE(proposal, QString::fromStdString(expected.text).trimmed());
    QVERIFY(!proposal.isEmpty());
    QCOMPARE(box->proposal(), proposal);

    // Accepting fills the editor; the file is unchanged until Save.
    QCOMPARE(editor->toPlainText(), QStringLiteral("a red car"));
    QTest::mouseClick(page.findChild<QPushButton *>(QStringLiteral("captionAcceptButton")), Qt::LeftButton);
    QCOMPARE(editor->toPlainText(), proposal);
    QVERIFY(box->proposal().isEmpty());
    QCOMPARE(fileBytes(captionFile), QByteArray("a red car\n"));
    page.findChild<QTabWidget *>(QStringLiteral("datasetDetailTabs"))->setCurrentIndex(2);
    if (const QByteArray shots = qgetenv("VLTUNE_SCREENSHOT_DIR"); !shots.isEmpty())
        page.grab().save(QString::fromLocal8Bit(shots) + QStringLiteral("/dataset_caption_with_model.png"));
    page.grab().save(QStringLiteral("/tmp/shots/dataset_caption_with_model.png"));
    QVERIFY(page.saveCaption());
    QCOMPARE(fileBytes(captionFile), (proposal + QStringLiteral("\n")).toUtf8());

    // Discard: a second proposal for another image goes without touching the editor.
    page.selectSample(1);
    QTRY_COMPARE(editor->toPlainText(), QStringLiteral("a blue bird"));
    QVERIFY(propose->isEnabled());
    propose->click();
    QVERIFY2(proposed.wait(120000), failed.isEmpty() ? "no answer" : qPrintable(failed.last().first().toString()));
    QVERIFY(!box->proposal().isEmpty());
    // click(), not a second QTest::mouseClick soon after the last: QTest would make it a double click.
    page.findChild<QPushButton *>(QStringLiteral("captionDiscardButton"))->click();
    QVERIFY(box->proposal().isEmpty());
    QCOMPARE(editor->toPlainText(), QStringLiteral("a blue bird"));
    QCOMPARE(fileBytes(QDir(root).filePath(QStringLiteral("b.txt"))), QByteArray("a blue bird"));
}

QTEST_MAIN(TestDatasetPage)
#include "test_dataset_page.moc"
