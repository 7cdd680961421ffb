#pragma once
// The bridge between the Chat page and the engine's generation (core/gen): one model loaded on a
// worker thread, answering in columns (the base model and each adapter, on one copy of the
// weights), each column with its own multi-turn history. Only value types cross the thread: the
// page calls in with strings, the controller answers with signals on the GUI thread. Stop cancels
// at the next token.

#include <QMetaType>
#include <QObject>
#include <QString>
#include <QStringList>

#include <functional>
#include <memory>
#include <stop_token>

#include "app/retrieval_jobs.h"

class QThread;

namespace vltune {

// How to answer (the page's sampling settings).
struct ChatSettings
{
    int maxNewTokens = 512;      // most new tokens per answer
    bool sample = false;         // sample (true) or greedy
    double temperature = 0.7;    // when sampling
    double topP = 0.9;           // nucleus mass when sampling (1 = off)
    int topK = 50;               // when sampling (0 = off)
    double repetitionPenalty = 1.0;  // 1 = off
    quint64 seed = 0;            // sampling seed
    QString systemPrompt;        // "" = the template's default
    double adapterScale = 1.0;   // multiplier on the adapters' scaling
};

// One column's finished answer.
struct ChatAnswer
{
    int column = 0;
    QString text;                // the answer, special tokens left out
    QString finish;              // "eos", "stop_string", "length", "cancelled"
    int tokens = 0;              // new tokens
    double firstTokenMs = 0;     // time to first token
    double tokensPerSecond = 0;  // decoding speed (columns share the model, so each runs at its share)
    bool cudaGraph = false;      // the decode steps replayed a CUDA graph
};

class ChatController final : public QObject
{
    Q_OBJECT

public:
    explicit ChatController(QObject *parent = nullptr);
    ~ChatController() override;

    // Loads `modelDir` on the worker and the adapters in `adapterDirs` onto it. Columns: "base"
    // (when there is no adapter, or `compareWithBase`), then one per adapter (named by its
    // folder). A CLIP model is loaded for retrieval: columns "base" and the first adapter's name.
    // modelLoaded() or failed() answers.
    void loadModel(const QString &modelDir, const QStringList &adapterDirs, bool compareWithBase);
    // The user's next message with the images it shows; every column answers it.
    void ask(const QString &text, const QStringList &imagePaths, const ChatSettings &settings);
    // Takes every column's last answer back and answers again.
    void regenerate(const ChatSettings &settings);
    // Cancels the answers being generated (at the next token).
    void stop();
    // Forgets the conversation (the model stays loaded).
    void clear();

    // Retrieval (a CLIP model): scores `captions` for `image`, or ranks the images in `folder` for
    // `caption`, base and adapted; retrievalFinished() or failed() answers.
    void scoreCaptions(const QString &image, const QStringList &captions);
    void rankImages(const QString &caption, const QString &folder);

    bool isBusy() const { return m_busy; }
    // The loaded model is CLIP: retrieval, not chat.
    bool isRetrieval() const { return m_retrieval; }
    bool hasModel() const { return !m_columns.isEmpty(); }
    QStringList columnLabels() const { return m_columns; }

signals:
    void modelLoaded(const QStringList &columnLabels, const QString &summary);
    void answerStarted();
    void tokenStreamed(int column, const QString &piece);
    void answerFinished(const vltune::ChatAnswer &answer);
    void allFinished();
    void retrievalFinished(const vltune::RetrievalResult &result);
    void failed(const QString &message);
    void busyChanged(bool busy);

private:
    struct Engine;
    void run(std::function<void()> job);
    void setBusy(bool busy);
    void generate(const ChatSettings &settings);
    void runRetrieval(std::function<RetrievalResult(Engine &)> job);

    QThread *m_thread = nullptr;
    QObject *m_context = nullptr;  // lives on m_thread: jobs are queued to it
    std::shared_ptr<Engine> m_engine;
    std::function<void()> m_pendingTurn;  // what the next generation adds to the histories first
    std::stop_source m_stop;              // of the answers being generated
    QStringList m_columns;
    bool m_busy = false;
    bool m_retrieval = false;
};

} // namespace vltune

Q_DECLARE_METATYPE(vltune::ChatAnswer)
