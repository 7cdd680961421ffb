// The engine first: Qt's `slots` and `signals` macros would break LibTorch's headers.
#include "core/error.h"
#include "core/train/train_config.h"
#include "core/train/training_job.h"

#include "app/train_controller.h"

#include <QPointer>
#include <QThread>

#include <condition_variable>
#include <mutex>
#include <stop_token>

namespace vltune {

// What the GUI thread and the worker both touch.
struct TrainController::Shared
{
    std::stop_source stop;
    std::mutex mutex;
    std::condition_variable changed;
    bool paused = false;

    // Called by the worker between steps: waits while paused, unless a stop is asked for.
    void waitWhilePaused()
    {
        std::unique_lock lock(mutex);
        changed.wait(lock, [this] { return !paused || stop.stop_requested(); });
    }
    void setPaused(bool value)
    {
        {
            std::lock_guard lock(mutex);
            paused = value;
        }
        changed.notify_all();
    }
};

TrainController::TrainController(QObject *parent)
    : QObject(parent)
{
    qRegisterMetaType<vltune::TrainStep>();
    qRegisterMetaType<vltune::TrainController::State>();
}

TrainController::~TrainController()
{
    // Closing the window mid-run: stop as Stop does (the checkpoint is written), then wait.
    if (m_thread) {
        m_shared->stop.request_stop();
        m_shared->setPaused(false);
        m_thread->wait();
    }
}

void TrainController::setState(State state)
{
    if (m_state == state)
        return;
    m_state = state;
    emit stateChanged(state);
}

QStringList TrainController::validationDatasetsOf(const train::TrainConfig &config)
{
    QStringList names;
    for (const std::string &name : config.eval_dataset.empty() ? config.dataset : config.eval_dataset)
        names.append(QString::fromStdString(name));
    return names;
}

void TrainController::start(const QString &yamlText, const QString &source, const Options &options)
{
    if (m_state != State::Idle)
        return;
    train::TrainConfig config;
    try {
        config = train::load_train_config_from_string(yamlText.toStdString(), nullptr, source.toStdString());
        train::check_trainable(config);
    } catch (const Error &e) {
        emit failed(QString::fromStdString(e.what()));
        return;
    }
    m_outputDir = QString::fromStdString(config.output_dir);
    m_modelDir = QString::fromStdString(config.model_name_or_path);
    m_datasetDir = QString::fromStdString(config.dataset_dir);
    m_validationDatasets = validationDatasetsOf(config);
    m_shared = std::make_shared<Shared>();
    auto shared = m_shared;
    QPointer<TrainController> self(this);
    // Every report hops to the GUI thread; `self` guards against a controller already gone.
    auto post = [self](auto &&fn) {
        QMetaObject::invokeMethod(
            self.data(), [self, fn = std::forward<decltype(fn)>(fn)] {
                if (self)
                    fn(self.data());
            },
            Qt::QueuedConnection);
    };

    train::JobOptions job;
    job.device = options.device.toStdString();
    job.skip_bad_rows = options.skipBadRows;
    job.pinned_samples = options.pinnedSamples;
    job.pinned_every = options.pinnedEvery;
    if (options.imageCache.enabled) {
        job.image_cache = options.imageCache.folder().toStdString();  // by default vltune-cli's too
        job.image_cache_max_bytes = options.imageCache.maxBytes();
    }
    for (const PinnedRow &p : options.pinned)
        job.pinned.push_back({p.file.toStdString(), p.row, p.question.toStdString()});

    m_thread = QThread::create([config, job, shared, post] {
        train::JobCallbacks callbacks;
        callbacks.on_message = [post](const std::string &line) {
            const QString text = QString::fromStdString(line);
            post([text](TrainController *c) { emit c->message(text); });
        };
        callbacks.on_progress = [post, shared](const train::TrainProgress &p) {
            TrainStep s;
            s.step = p.step;
            s.totalSteps = p.total_steps;
            s.epoch = p.epoch;
            s.loss = p.loss;
            s.learningRate = p.learning_rate;
            s.gradNorm = p.grad_norm;
            s.tokensPerSecond = p.tokens_per_second;
            s.memoryBytes = p.memory_bytes;
            s.elapsedSeconds = p.elapsed_seconds;
            s.etaSeconds = p.eta_seconds;
            post([s](TrainController *c) { emit c->stepDone(s); });
            shared->waitWhilePaused();  // Pause takes effect here, between two steps
        };
        callbacks.on_checkpoint = [post](const std::filesystem::path &dir) {
            const QString text = QString::fromStdString(dir.string());
            post([text](TrainController *c) { emit c->checkpointSaved(text); });
        };
        try {
            const train::TrainResult r = train::run_training_job(config, job, callbacks, shared->stop.get_token());
            const QString outcome = r.outcome == train::TrainOutcome::finished        ? QStringLiteral("finished")
                                    : r.outcome == train::TrainOutcome::early_stopped ? QStringLiteral("early_stopped")
                                                                                      : QStringLiteral("stopped");
            post([outcome, r](TrainController *c) {
                emit c->finished(outcome, r.global_step, r.total_steps, r.train_loss);
            });
        } catch (const std::exception &e) {
            // The job boundary: whatever the engine throws becomes a message; the files the run
            // already wrote (checkpoints, log) stay.
            const QString text = QString::fromStdString(e.what());
            post([text](TrainController *c) { emit c->failed(text); });
        }
    });
    m_thread->setObjectName(QStringLiteral("train worker"));
    connect(m_thread, &QThread::finished, this, [this] {
        m_thread->deleteLater();
        m_thread = nullptr;
        setState(State::Idle);
    });
    setState(State::Running);
    emit runStarted(m_outputDir);
    m_thread->start();
}

void TrainController::stop()
{
    if (m_state == State::Idle || m_state == State::Stopping)
        return;
    m_shared->stop.request_stop();
    m_shared->setPaused(false);
    setState(State::Stopping);
}

void TrainController::pause()
{
    if (m_state != State::Running)
        return;
    m_shared->setPaused(true);
    setState(State::Paused);
}

void TrainController::resume()
{
    if (m_state != State::Paused)
        return;
    m_shared->setPaused(false);
    setState(State::Running);
}

} // namespace vltune
