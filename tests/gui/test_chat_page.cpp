// The Chat page and its controller, offscreen, on the tiny Qwen2-VL fixture model with its adapter:
// the columns (base, adapter) answer exactly what the engine's compare mode answers for the same
// conversation, streamed pieces add up to the answers, the page shows them, Regenerate gives the
// same greedy answers, Stop cancels, a bad folder is reported.

// LibTorch and the engine before Qt: Qt's `slots` macro would break torch's headers.
#include "core/data/sample_encoder.h"
#include "core/gen/chat_session.h"
#include "core/gen/compare.h"
#include "core/gen/generation_params.h"
#include "core/lora/lora_factory.h"
#include "core/gen/chat_defaults.h"

#include <QLineEdit>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

#include "app/chat_controller.h"
#include "tests/test_support.h"
#include "tests/tiny_png.h"
#include "ui/chat_page.h"
#include "widgets/chat_transcript.h"

namespace fs = std::filesystem;
using vltune::ChatAnswer;
using vltune::ChatController;
using vltune::ChatSettings;

namespace {

fs::path fixture() { return vltune::test::hf_fixtures_root() / "qwen2_vl"; }

ChatSettings greedy(int tokens)
{
    ChatSettings s;
    s.maxNewTokens = tokens;
    s.sample = false;
    return s;
}

// What the engine answers, computed here without the controller: compare mode on a fresh model.
std::vector<std::string> engineAnswers(const std::vector<vltune::gen::ChatSession> &sessions, int tokens)
{
    const fs::path model_dir = fixture() / "model";
    const vltune::data::SampleEncoder encoder(model_dir);
    auto model = vltune::lora::open_model(model_dir);
    model->load_adapter(fixture() / "adapter", "adapter");
    vltune::gen::GenerationParams p = vltune::gen::chat_generation_defaults(model_dir, encoder);
    p.max_new_tokens = tokens;
    p.do_sample = false;
    std::vector<vltune::data::Batch> prompts;
    for (const auto &s : sessions)
        prompts.push_back(s.prompt(encoder));
    const auto results = vltune::gen::generate_columns(*model, {{"base", {}}, {"adapter", {"adapter"}}}, prompts,
                                                       encoder.tokenizer(), p);
    std::vector<std::string> out;
    for (const auto &r : results)
        out.push_back(r.text);
    return out;
}

QString imageFile(const QTemporaryDir &dir)
{
    const fs::path file = fs::path(dir.path().toStdString()) / "square.png";
    vltune::test::write_png(file, 64, 48, 7);
    return QString::fromStdString(file.string());
}

} // namespace

class TestChatPage final : public QObject
{
    Q_OBJECT

private slots:
    void controllerAnswersAsTheEngine();
    void pageShowsTheColumns();
    void stopCancels();
    void badFolderIsReported();
};

void TestChatPage::controllerAnswersAsTheEngine()
{
    QTemporaryDir tmp;
    const QString image = imageFile(tmp);
    ChatController c;
    QSignalSpy loaded(&c, &ChatController::modelLoaded);
    c.loadModel(QString::fromStdString((fixture() / "model").string()),
                {QString::fromStdString((fixture() / "adapter").string())}, true);
    QVERIFY(loaded.wait(60000));
    QCOMPARE(c.columnLabels(), QStringList({QStringLiteral("base"), QStringLiteral("adapter")}));

    QMap<int, QString> streamed;
    connect(&c, &ChatController::tokenStreamed, this, [&](int column, const QString &piece) { streamed[column] += piece; });
    QList<ChatAnswer> answers;
    connect(&c, &ChatController::answerFinished, this, [&](const ChatAnswer &a) { answers << a; });
    QSignalSpy done(&c, &ChatController::allFinished);
    c.ask(QStringLiteral("Describe it."), {image}, greedy(6));
    QVERIFY(c.isBusy());
    QVERIFY(done.wait(60000));
    QCOMPARE(answers.size(), 2);

    // Turn 2 without an image: the first turn's image and answer stay in each column's history.
    c.ask(QStringLiteral("And the colour?"), {}, greedy(6));
    QVERIFY(done.wait(60000));
    QCOMPARE(answers.size(), 4);

    std::vector<vltune::gen::ChatSession> sessions(2);
    for (auto &s : sessions)
        s.add_user("Describe it.", {image.toStdString()});
    const auto first = engineAnswers(sessions, 6);
    for (size_t i = 0; i < 2; ++i) {
        QCOMPARE(answers[static_cast<int>(i)].text.toStdString(), first[i]);
        sessions[i].add_answer(first[i]);
        sessions[i].add_user("And the colour?");
    }
    const auto second = engineAnswers(sessions, 6);
    for (size_t i = 0; i < 2; ++i) {
        QCOMPARE(answers[2 + static_cast<int>(i)].text.toStdString(), second[i]);
        QCOMPARE(streamed[static_cast<int>(i)], answers[static_cast<int>(i)].text + answers[2 + static_cast<int>(i)].text);
    }
    QVERIFY(!c.isBusy());
}

void TestChatPage::pageShowsTheColumns()
{
    QTemporaryDir tmp;
    vltune::ChatPage page;
    page.resize(1400, 900);
    page.findChild<QLineEdit *>(QStringLiteral("chatModelEdit"))->setText(QString::fromStdString((fixture() / "model").string()));
    page.findChild<QLineEdit *>(QStringLiteral("chatAdapterEdit"))->setText(QString::fromStdString((fixture() / "adapter").string()));
    QSignalSpy loaded(page.controller(), &ChatController::modelLoaded);
    QTest::mouseClick(page.findChild<QPushButton *>(QStringLiteral("chatLoadButton")), Qt::LeftButton);
    QVERIFY(loaded.wait(60000));
    QCOMPARE(page.transcripts().size(), 2);
    QCOMPARE(page.transcripts()[0]->title(), QStringLiteral("base"));

    page.attachImage(imageFile(tmp));
    QCOMPARE(page.attachedImages().size(), 1);
    page.findChild<QPlainTextEdit *>(QStringLiteral("chatInput"))->setPlainText(QStringLiteral("Describe it."));
    auto *maxTokens = page.findChild<QWidget *>(QStringLiteral("chatMaxTokens"));
    QVERIFY(maxTokens);
    QSignalSpy done(page.controller(), &ChatController::allFinished);
    QList<ChatAnswer> answers;
    connect(page.controller(), &ChatController::answerFinished, this, [&](const ChatAnswer &a) { answers << a; });
    QTest::mouseClick(page.findChild<QPushButton *>(QStringLiteral("chatSendButton")), Qt::LeftButton);
    QVERIFY(page.attachedImages().isEmpty());  // they went with the message
    QVERIFY(done.wait(120000));
    QCOMPARE(answers.size(), 2);
    for (int i = 0; i < 2; ++i) {
        QCOMPARE(page.transcripts()[i]->lastAnswer(), answers[i].text);
        QVERIFY(page.transcripts()[i]->plainText().contains(QStringLiteral("Describe it.")));
    }

    // For a person to look at: VLTUNE_SCREENSHOT_DIR=dir saves the page as it is now.
    if (const QByteArray dir = qgetenv("VLTUNE_SCREENSHOT_DIR"); !dir.isEmpty())
        page.grab().save(QString::fromLocal8Bit(dir) + QStringLiteral("/chat_page.png"));

    // Regenerate: greedy gives the same answers again, replacing the old ones.
    QTest::mouseClick(page.findChild<QPushButton *>(QStringLiteral("chatRegenerateButton")), Qt::LeftButton);
    QVERIFY(done.wait(120000));
    QCOMPARE(answers.size(), 4);
    QCOMPARE(answers[2].text, answers[0].text);
    QCOMPARE(answers[3].text, answers[1].text);
    QCOMPARE(page.transcripts()[0]->plainText().count(QStringLiteral("Describe it.")), 1);

    QTest::mouseClick(page.findChild<QPushButton *>(QStringLiteral("chatClearButton")), Qt::LeftButton);
    QVERIFY(page.transcripts()[0]->plainText().isEmpty());
}

void TestChatPage::stopCancels()
{
    ChatController c;
    QSignalSpy loaded(&c, &ChatController::modelLoaded);
    c.loadModel(QString::fromStdString((fixture() / "model").string()), {}, false);
    QVERIFY(loaded.wait(60000));
    QCOMPARE(c.columnLabels(), QStringList({QStringLiteral("base")}));
    connect(&c, &ChatController::tokenStreamed, &c, &ChatController::stop);
    QList<ChatAnswer> answers;
    connect(&c, &ChatController::answerFinished, this, [&](const ChatAnswer &a) { answers << a; });
    QSignalSpy done(&c, &ChatController::allFinished);
    c.ask(QStringLiteral("Tell me a long story."), {}, greedy(4000));
    QVERIFY(done.wait(120000));
    QCOMPARE(answers.size(), 1);
    QVERIFY2(answers[0].finish == QStringLiteral("cancelled") || answers[0].finish == QStringLiteral("eos"),
             qPrintable(answers[0].finish));
    QVERIFY(answers[0].tokens < 4000);
}

void TestChatPage::badFolderIsReported()
{
    ChatController c;
    QSignalSpy failed(&c, &ChatController::failed);
    c.loadModel(QStringLiteral("/nonexistent/model-folder"), {}, true);
    QVERIFY(failed.wait(30000));
    QVERIFY2(failed.first().first().toString().contains(QStringLiteral("/nonexistent/model-folder")),
             qPrintable(failed.first().first().toString()));
    QVERIFY(!c.hasModel());
    QVERIFY(!c.isBusy());
}

QTEST_MAIN(TestChatPage)
#include "test_chat_page.moc"
