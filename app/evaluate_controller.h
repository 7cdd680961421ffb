#pragma once
// The bridge between the Evaluate & Export page and the engine: LLaMA-Factory's "Evaluate &
// Predict" (core/eval/predict_runner.h: every sample answered, scored with BLEU-4 and ROUGE, the
// files written into the output folder, optionally the eval loss) and the merge-and-export of an
// adapter into its base model (core/lora/merge_export.h), each on the worker thread. Only value
// types cross the thread; Stop cancels prediction after the current token (the samples done are
// kept and written).

#include <QMetaType>
#include <QObject>
#include <QString>
#include <QStringList>

#include <functional>
#include <stop_token>

class QThread;

namespace vltune {

// What to predict, and how.
struct EvaluateSettings
{
    QString modelDir;             // base model folder
    QString adapterDir;           // PEFT adapter folder ("" = the base model alone)
    QString datasetDir;           // dataset folder (dataset_info.json, ...) or file
    QStringList datasetNames;     // dataset_info.json names to predict (empty = all)
    QString outputDir;            // where generated_predictions.jsonl and the results go
    int maxSamples = 0;           // per dataset, as LLaMA-Factory's max_samples (0 = all)
    int maxNewTokens = 128;       // answer length cap
    bool greedy = true;           // greedy (true) or sampling with LLaMA-Factory's defaults
    double temperature = 0.95;    // when sampling
    double topP = 0.7;            // when sampling
    int topK = 50;                // when sampling
    quint64 seed = 42;            // sampling seed
    bool computeEvalLoss = false; // also the eval loss and perplexity of the same samples (do_eval)
    bool skipBadRows = false;     // leave rows with problems out (false: refuse to run, listing them)
};

// After each sample.
struct EvaluateProgress
{
    int done = 0;              // samples predicted so far
    int total = 0;             // samples to predict
    int record = -1;           // the dataset record just predicted
    QString prompt;            // its prompt, special tokens included
    QString label;             // the reference answer
    QString predict;           // the model's answer
    double bleu4 = 0;          // its scores, percentages
    double rouge1 = 0;
    double rouge2 = 0;
    double rougeL = 0;
    double elapsedSeconds = 0; // since the first sample began
};

// The end of a prediction run: predict_results.json's values.
struct EvaluateMetrics
{
    double bleu4 = 0;                 // mean over the samples, percentages
    double rouge1 = 0;
    double rouge2 = 0;
    double rougeL = 0;
    bool rougeOverCharacters = false; // no jieba dictionary: not comparable to LLaMA-Factory
    QString rougeLabel;               // "jieba words" or kRougeOverCharacters
    bool hasEvalLoss = false;         // asked for, and not cancelled
    double evalLoss = 0;
    double perplexity = 0;
    int samples = 0;                  // samples predicted (fewer than planned when cancelled)
    int planned = 0;                  // samples the run was to predict
    int skipped = 0;                  // rows left out for problems
    double runtimeSeconds = 0;        // predict loop's wall time
    bool cancelled = false;           // Stop ended it early; the files cover `samples`
    QString outputDir;                // where the files are
};

// What to export.
struct ExportSettings
{
    QString modelDir;                           // base model folder
    QString adapterDir;                         // PEFT adapter folder merged into it
    QString outputDir;                          // new checkpoint folder
    QString dtype;                              // "float32", "bfloat16", "float16" ("" = config.json's)
    quint64 maxShardBytes = 5'000'000'000ULL;   // largest weights file
};

// Where an export is.
struct ExportStatus
{
    enum Phase { Loading, Merging, Writing, Copying, Done };
    Phase phase = Loading;
    quint64 bytesDone = 0;   // weight bytes written
    quint64 bytesTotal = 0;  // weight bytes to write (0 before writing)
};

class EvaluateController final : public QObject
{
    Q_OBJECT

public:
    explicit EvaluateController(QObject *parent = nullptr);
    ~EvaluateController() override;

    // Reads the dataset, loads the model (and adapter) and predicts on the worker: status(),
    // then started(), progress() per sample, and finished() or failed().
    void evaluate(const EvaluateSettings &settings);
    // Merges the adapter into the model and writes the checkpoint: exportProgress() per phase,
    // then exportFinished() or exportFailed() (the engine's refusals as they are).
    void exportMerged(const ExportSettings &settings);
    // Cancels the prediction at the next token (the samples done are written).
    void stop();

    bool isBusy() const { return m_busy; }

signals:
    void status(const QString &text);
    void started(int total, const QString &summary);
    void progress(const vltune::EvaluateProgress &progress);
    void finished(const vltune::EvaluateMetrics &metrics);
    void failed(const QString &message);
    void exportProgress(const vltune::ExportStatus &status);
    void exportFinished(const QString &outputDir, const QString &summary);
    void exportFailed(const QString &message);
    void busyChanged(bool busy);

private:
    void run(std::function<void()> job);
    void setBusy(bool busy);
    // Queues `f` to the GUI thread.
    void post(std::function<void()> f);

    QThread *m_thread = nullptr;
    QObject *m_context = nullptr;  // lives on m_thread: jobs are queued to it
    std::stop_source m_stop;       // of the prediction running
    bool m_busy = false;
};

} // namespace vltune

Q_DECLARE_METATYPE(vltune::EvaluateProgress)
Q_DECLARE_METATYPE(vltune::EvaluateMetrics)
Q_DECLARE_METATYPE(vltune::ExportStatus)
