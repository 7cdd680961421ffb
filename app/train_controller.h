#pragma once
// The bridge between the Train page and the engine's training job (core/train/training_job.h):
// one run at a time on a worker thread. The page hands over the run's YAML text (the same text
// `vltune-cli train` would read, so what the GUI trains is exactly what Preview shows); the
// controller answers with value-type signals on the GUI thread. Stop ends the run after the
// current step with a checkpoint; Pause holds the run between two steps (weights, optimizer and
// data position stay in memory) until Resume or Stop.

#include <QMetaType>
#include <QObject>
#include <QVector>
#include <QString>
#include <QStringList>

#include <memory>

#include "app/image_cache_settings.h"

class QThread;

namespace vltune {

namespace train {
struct TrainConfig;
}

// One optimizer step, as the Monitor and the status bar show it.
struct TrainStep
{
    qint64 step = 0;             // optimizer steps done
    qint64 totalSteps = 0;       // steps the run makes
    double epoch = 0;            // fractional epoch
    double loss = 0;             // this step's loss
    double learningRate = 0;     // learning rate the step used
    double gradNorm = 0;         // gradient norm before clipping
    double tokensPerSecond = 0;  // input tokens per second since the run began
    qint64 memoryBytes = -1;     // memory the run holds (-1: unknown)
    double elapsedSeconds = 0;   // training time so far
    double etaSeconds = 0;       // time left at the mean step time
};

class TrainController final : public QObject
{
    Q_OBJECT

public:
    enum class State { Idle, Running, Paused, Stopping };
    Q_ENUM(State)

    // A dataset row the user pinned, found by file and row, asked `question` ("" = its own).
    struct PinnedRow
    {
        QString file;      // data file relative to the dataset root
        qint64 row = 0;    // row within `file`
        QString question;  // the user's question, "" = the row's own
    };

    // Options of a run beyond its YAML.
    struct Options
    {
        QString device = QStringLiteral("auto");  // "auto", "cpu", "cuda", "cuda:N"
        bool skipBadRows = false;                 // leave rows with problems out instead of refusing
        int pinnedSamples = 0;                    // validation rows answered every pinnedEvery steps
        QVector<PinnedRow> pinned;                // the user's rows instead (up to 4)
        int pinnedEvery = 0;                      // 0: eval_steps, else logging_steps
        ImageCacheSettings imageCache;            // where prepared images are kept (File > Image Cache)
    };

    explicit TrainController(QObject *parent = nullptr);
    ~TrainController() override;

    // Starts the run `yamlText` describes (LLaMA-Factory keys; `source` names it in messages).
    // Ignored unless idle. A bad config answers failed() at once, naming the key.
    void start(const QString &yamlText, const QString &source, const Options &options);
    // Finishes the current step, writes a checkpoint and ends the run (also from Paused).
    void stop();
    // Holds the run after the current step; resume() lets it go on.
    void pause();
    void resume();

    State state() const { return m_state; }
    // The last run's output_dir and base model (model_name_or_path).
    QString outputDir() const { return m_outputDir; }
    QString modelDir() const { return m_modelDir; }
    // The last run's dataset_dir and the datasets it validated on (eval_dataset, else dataset).
    QString datasetDir() const { return m_datasetDir; }
    QStringList validationDatasets() const { return m_validationDatasets; }
    // The datasets a run of `config` validates on: eval_dataset, else dataset (split by val_size).
    static QStringList validationDatasetsOf(const train::TrainConfig &config);

signals:
    void stateChanged(vltune::TrainController::State state);
    // The run's output_dir, once the config is read (the Monitor opens it).
    void runStarted(const QString &outputDir);
    void message(const QString &line);
    void stepDone(const vltune::TrainStep &step);
    void checkpointSaved(const QString &dir);
    // outcome: "finished", "stopped", "early_stopped".
    void finished(const QString &outcome, qint64 globalStep, qint64 totalSteps, double trainLoss);
    void failed(const QString &message);

private:
    struct Shared;
    void setState(State state);

    QThread *m_thread = nullptr;
    std::shared_ptr<Shared> m_shared;  // stop source and pause gate, shared with the worker
    State m_state = State::Idle;
    QString m_outputDir;
    QString m_modelDir;
    QString m_datasetDir;
    QStringList m_validationDatasets;
};

} // namespace vltune

Q_DECLARE_METATYPE(vltune::TrainStep)
