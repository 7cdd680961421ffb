// The engine first: Qt's `slots` and `signals` macros would break LibTorch's headers.
#include "core/error.h"
#include "core/eval/metrics.h"
#include "core/eval/predict_job.h"
#include "core/gen/chat_defaults.h"
#include "core/eval/predict_runner.h"
#include "core/lora/lora_factory.h"
#include "core/lora/merge_export.h"

#include "app/evaluate_controller.h"

#include <QFileInfo>
#include <QLocale>
#include <QThread>

#include <filesystem>

namespace vltune {

namespace fs = std::filesystem;

namespace {

fs::path toPath(const QString &path)
{
    return fs::path(path.toStdString());
}

QString fromStd(const std::string &text)
{
    return QString::fromStdString(text);
}

// Prediction's placement: CUDA in bf16 when there is one, else the CPU in float32.
lora::ModelPlacement autoPlacement()
{
    const bool cuda = lora::resolve_placement("auto", "fp32").device.is_cuda();
    return lora::resolve_placement("auto", cuda ? "bf16" : "fp32");
}

EvaluateProgress toProgress(const eval::PredictProgress &p)
{
    EvaluateProgress out;
    out.done = static_cast<int>(p.done);
    out.total = static_cast<int>(p.total);
    out.record = static_cast<int>(p.record);
    out.prompt = fromStd(p.prediction.prompt);
    out.label = fromStd(p.prediction.label);
    out.predict = fromStd(p.prediction.predict);
    out.bleu4 = p.scores.bleu_4;
    out.rouge1 = p.scores.rouge_1;
    out.rouge2 = p.scores.rouge_2;
    out.rougeL = p.scores.rouge_l;
    out.elapsedSeconds = p.elapsed_seconds;
    return out;
}

ExportStatus::Phase toPhase(lora::ExportPhase phase)
{
    switch (phase) {
    case lora::ExportPhase::merging:
        return ExportStatus::Merging;
    case lora::ExportPhase::writing:
        return ExportStatus::Writing;
    case lora::ExportPhase::copying:
        return ExportStatus::Copying;
    }
    return ExportStatus::Merging;
}

} // namespace

EvaluateController::EvaluateController(QObject *parent)
    : QObject(parent)
    , m_thread(new QThread(this))
    , m_context(new QObject)
{
    qRegisterMetaType<vltune::EvaluateProgress>();
    qRegisterMetaType<vltune::EvaluateMetrics>();
    qRegisterMetaType<vltune::ExportStatus>();
    m_thread->setObjectName(QStringLiteral("evaluate worker"));
    m_context->moveToThread(m_thread);
    connect(m_thread, &QThread::finished, m_context, &QObject::deleteLater);
    m_thread->start();
}

EvaluateController::~EvaluateController()
{
    stop();
    m_thread->quit();
    m_thread->wait();
}

void EvaluateController::run(std::function<void()> job)
{
    QMetaObject::invokeMethod(m_context, std::move(job), Qt::QueuedConnection);
}

void EvaluateController::post(std::function<void()> f)
{
    QMetaObject::invokeMethod(this, std::move(f), Qt::QueuedConnection);
}

void EvaluateController::setBusy(bool busy)
{
    if (m_busy == busy)
        return;
    m_busy = busy;
    emit busyChanged(busy);
}

void EvaluateController::stop()
{
    m_stop.request_stop();
}

void EvaluateController::evaluate(const EvaluateSettings &settings)
{
    if (m_busy)
        return;
    setBusy(true);
    m_stop = std::stop_source();
    const std::stop_token token = m_stop.get_token();
    run([this, settings, token] {
        EvaluateMetrics metrics;
        QString error;
        try {
            post([this] { emit status(tr("Reading the dataset…")); });
            eval::PredictDataParams dataParams;
            dataParams.model_dir = toPath(settings.modelDir);
            dataParams.dataset_dir = toPath(settings.datasetDir);
            for (const QString &name : settings.datasetNames)
                dataParams.open.datasets.push_back(name.toStdString());
            const eval::PredictData data = eval::open_predict_data(dataParams);
            int64_t skipped = 0;
            const std::optional<int64_t> cap =
                settings.maxSamples > 0 ? std::optional<int64_t>(settings.maxSamples) : std::nullopt;
            const std::vector<int64_t> samples = eval::predict_samples(
                data, settings.skipBadRows ? data::ProblemPolicy::skip : data::ProblemPolicy::stop, cap, &skipped);
            if (samples.empty())
                throw Error(settings.datasetDir.toStdString() + ": no sample to predict");

            post([this] { emit status(tr("Loading the model…")); });
            std::vector<fs::path> adapters;
            if (!settings.adapterDir.isEmpty())
                adapters.push_back(toPath(settings.adapterDir));
            const lora::ModelPlacement placement = autoPlacement();
            const auto model = eval::open_predict_model(dataParams.model_dir, adapters, placement);

            eval::PredictParams params;
            params.generation = gen::chat_generation_defaults(dataParams.model_dir, *data.encoder);
            params.generation.max_new_tokens = settings.maxNewTokens;
            params.generation.do_sample = !settings.greedy;
            params.generation.temperature = settings.temperature;
            params.generation.top_p = settings.topP;
            params.generation.top_k = settings.topK;
            params.generation.repetition_penalty = 1.0;
            params.generation.seed = settings.seed;
            params.output_dir = toPath(settings.outputDir);
            params.compute_eval_loss = settings.computeEvalLoss;

            const int total = static_cast<int>(samples.size());
            const QString summary = tr("%n sample(s) to predict, %1 skipped for problems · model on %2", nullptr, total)
                                        .arg(skipped)
                                        .arg(fromStd(lora::to_string(placement)));
            post([this, total, summary] { emit started(total, summary); });

            const eval::PredictOutcome outcome = eval::run_predict(
                *model, *data.encoder, data.dataset.records, samples, params,
                [this](const eval::PredictProgress &p) {
                    const EvaluateProgress value = toProgress(p);
                    post([this, value] { emit progress(value); });
                },
                token);

            const eval::PredictResults &r = outcome.results;
            metrics.bleu4 = r.mean.bleu_4;
            metrics.rouge1 = r.mean.rouge_1;
            metrics.rouge2 = r.mean.rouge_2;
            metrics.rougeL = r.mean.rouge_l;
            metrics.rougeOverCharacters = r.rouge_tokens == eval::RougeTokens::characters;
            metrics.rougeLabel = metrics.rougeOverCharacters ? QString::fromLatin1(eval::kRougeOverCharacters)
                                                             : QStringLiteral("jieba words");
            metrics.hasEvalLoss = outcome.eval.has_value();
            if (outcome.eval) {
                metrics.evalLoss = outcome.eval->loss;
                metrics.perplexity = outcome.eval->perplexity;
            }
            metrics.samples = static_cast<int>(r.samples);
            metrics.planned = total;
            metrics.skipped = static_cast<int>(skipped);
            metrics.runtimeSeconds = r.runtime_s;
            metrics.cancelled = outcome.cancelled;
            metrics.outputDir = settings.outputDir;
        } catch (const std::exception &e) {
            error = fromStd(e.what());
        }
        post([this, metrics, error] {
            setBusy(false);
            if (!error.isEmpty())
                emit failed(error);
            else
                emit finished(metrics);
        });
    });
}

void EvaluateController::exportMerged(const ExportSettings &settings)
{
    if (m_busy)
        return;
    setBusy(true);
    run([this, settings] {
        QString error;
        QString summary;
        try {
            post([this] { emit exportProgress(ExportStatus{ExportStatus::Loading, 0, 0}); });
            const fs::path out = toPath(settings.outputDir);
            auto model = lora::open_model(toPath(settings.modelDir));
            if (!settings.adapterDir.isEmpty())
                model->load_adapter(toPath(settings.adapterDir));
            lora::ExportParams params;
            params.dtype = settings.dtype.toStdString();
            params.max_shard_bytes = settings.maxShardBytes;
            params.on_progress = [this](const lora::ExportProgress &p) {
                const ExportStatus s{toPhase(p.phase), p.bytes_done, p.bytes_total};
                post([this, s] { emit exportProgress(s); });
            };
            lora::export_merged(*model, out, params);
            int shards = 0;
            quint64 bytes = 0;
            for (const auto &entry : fs::directory_iterator(out)) {
                if (entry.path().extension() == ".safetensors") {
                    ++shards;
                    bytes += entry.file_size();
                }
            }
            summary = tr("%n weights file(s), %1", nullptr, shards).arg(QLocale().formattedDataSize(static_cast<qint64>(bytes)));
        } catch (const std::exception &e) {
            error = fromStd(e.what());
        }
        post([this, settings, summary, error] {
            setBusy(false);
            if (!error.isEmpty()) {
                emit exportFailed(error);
                return;
            }
            emit exportProgress(ExportStatus{ExportStatus::Done, 0, 0});
            emit exportFinished(settings.outputDir, summary);
        });
    });
}

} // namespace vltune
