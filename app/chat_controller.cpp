// The engine first: Qt's `slots` and `signals` macros would break LibTorch's headers.
#include "core/data/sample_encoder.h"
#include "core/error.h"
#include "core/gen/chat_session.h"
#include "core/gen/compare.h"
#include "core/gen/generation_params.h"
#include "core/gen/generator.h"
#include "core/io/hf_config.h"
#include "core/lora/lora_factory.h"
#include "core/gen/chat_defaults.h"

#include "app/chat_controller.h"

#include <QDir>
#include <QFileInfo>
#include <QThread>

#include <algorithm>
#include <stop_token>

namespace vltune {

// What the worker thread owns. Touched only by jobs, which run one at a time on that thread.
struct ChatController::Engine
{
    std::unique_ptr<lora::LoraModel> model;
    std::unique_ptr<data::SampleEncoder> encoder;
    gen::GenerationParams defaults;  // generation_config.json, with the chat template's EOS
    std::vector<gen::CompareColumn> columns;
    std::vector<gen::ChatSession> sessions;  // one history per column
    QString retrievalAdapter;                // CLIP: the adapter compared with the base ("" = none)
};

namespace {

gen::GenerationParams withSettings(gen::GenerationParams p, const ChatSettings &s)
{
    p.max_new_tokens = s.maxNewTokens;
    p.do_sample = s.sample;
    p.temperature = s.temperature;
    p.top_p = s.topP;
    p.top_k = s.topK;
    p.repetition_penalty = s.repetitionPenalty;
    p.seed = s.seed;
    return p;
}

} // namespace

ChatController::ChatController(QObject *parent)
    : QObject(parent)
    , m_thread(new QThread(this))
    , m_context(new QObject)
    , m_engine(std::make_shared<Engine>())
{
    qRegisterMetaType<vltune::ChatAnswer>();
    qRegisterMetaType<vltune::RetrievalResult>();
    m_thread->setObjectName(QStringLiteral("chat worker"));
    m_context->moveToThread(m_thread);
    connect(m_thread, &QThread::finished, m_context, &QObject::deleteLater);
    m_thread->start();
}

ChatController::~ChatController()
{
    stop();
    m_thread->quit();
    m_thread->wait();
}

void ChatController::run(std::function<void()> job)
{
    QMetaObject::invokeMethod(m_context, std::move(job), Qt::QueuedConnection);
}

void ChatController::setBusy(bool busy)
{
    if (m_busy == busy)
        return;
    m_busy = busy;
    emit busyChanged(busy);
}

void ChatController::loadModel(const QString &modelDir, const QStringList &adapterDirs, bool compareWithBase)
{
    if (m_busy)
        return;
    setBusy(true);
    auto engine = m_engine;
    run([this, engine, modelDir, adapterDirs, compareWithBase] {
        QStringList labels;
        QString summary;
        QString error;
        bool retrieval = false;
        try {
            const std::filesystem::path dir = modelDir.toStdString();
            if (io::read_model_config(dir).family() == io::ModelFamily::clip) {
                // Retrieval in float32 like `vltune-cli retrieve`: probabilities a person compares.
                auto encoder = std::make_unique<data::SampleEncoder>(dir);
                const auto placement = lora::resolve_placement("auto", "fp32");
                auto model = lora::open_model(dir, placement);
                QString adapter;
                if (!adapterDirs.isEmpty()) {
                    adapter = QString::fromStdString(gen::adapter_name_for(adapterDirs.first().toStdString(), {}));
                    model->load_adapter(adapterDirs.first().toStdString(), adapter.toStdString());
                }
                engine->model = std::move(model);
                engine->encoder = std::move(encoder);
                engine->columns.clear();
                engine->sessions.clear();
                engine->retrievalAdapter = adapter;
                labels << QStringLiteral("base");
                if (!adapter.isEmpty())
                    labels << adapter;
                retrieval = true;
                summary = tr("%1 (CLIP retrieval) on %2")
                              .arg(QFileInfo(modelDir).fileName(), QString::fromStdString(lora::to_string(placement)));
                if (adapterDirs.size() > 1)
                    summary += tr(" · compares with %1 only").arg(adapter);
            } else {
                auto encoder = std::make_unique<data::SampleEncoder>(dir);
                const bool cuda = lora::resolve_placement("auto", "fp32").device.is_cuda();
                const auto placement = lora::resolve_placement("auto", cuda ? "bf16" : "fp32");
                auto model = lora::open_model(dir, placement);
                std::vector<std::string> names;
                for (const QString &a : adapterDirs) {
                    names.push_back(gen::adapter_name_for(a.toStdString(), names));
                    model->load_adapter(a.toStdString(), names.back());
                }
                std::vector<gen::CompareColumn> columns;
                if (names.empty() || compareWithBase)
                    columns.push_back({"base", {}});
                for (const auto &n : names)
                    columns.push_back({n, {n}});
                const gen::GenerationParams defaults = gen::chat_generation_defaults(dir, *encoder);
                engine->model = std::move(model);
                engine->encoder = std::move(encoder);
                engine->defaults = defaults;
                engine->columns = columns;
                engine->sessions.assign(columns.size(), gen::ChatSession());
                engine->retrievalAdapter.clear();
                for (const auto &c : columns)
                    labels << QString::fromStdString(c.label);
                summary = tr("%1 (%2) on %3")
                              .arg(QFileInfo(modelDir).fileName(),
                                   QString::fromStdString(std::string(io::model_family_name(engine->model->family()))),
                                   QString::fromStdString(lora::to_string(placement)));
            }
        } catch (const std::exception &e) {
            error = QString::fromStdString(e.what());
        }
        QMetaObject::invokeMethod(this, [this, labels, summary, error, retrieval] {
            setBusy(false);
            if (!error.isEmpty()) {
                emit failed(error);
                return;
            }
            m_columns = labels;
            m_retrieval = retrieval;
            emit modelLoaded(labels, summary);
        }, Qt::QueuedConnection);
    });
}

void ChatController::ask(const QString &text, const QStringList &imagePaths, const ChatSettings &settings)
{
    if (m_busy || !hasModel() || m_retrieval)
        return;
    auto engine = m_engine;
    std::vector<std::filesystem::path> images;
    for (const QString &p : imagePaths)
        images.emplace_back(p.toStdString());
    const std::string message = text.toStdString();
    const std::string system = settings.systemPrompt.toStdString();
    // The turn is added on the worker, just before generating (the sessions live there).
    m_pendingTurn = [engine, message, images, system] {
        for (auto &s : engine->sessions) {
            s.set_system(system);
            s.add_user(message, images);
        }
    };
    generate(settings);
}

void ChatController::regenerate(const ChatSettings &settings)
{
    if (m_busy || !hasModel() || m_retrieval)
        return;
    auto engine = m_engine;
    m_pendingTurn = [engine] {
        for (auto &s : engine->sessions)
            s.drop_answer();
    };
    generate(settings);
}

void ChatController::generate(const ChatSettings &settings)
{
    setBusy(true);
    m_stop = std::stop_source();
    const std::stop_token token = m_stop.get_token();
    auto engine = m_engine;
    auto prepare = std::move(m_pendingTurn);
    m_pendingTurn = nullptr;
    emit answerStarted();
    run([this, engine, prepare, settings, token] {
        QString error;
        std::vector<gen::GenerationResult> results;
        const auto saved = engine->sessions;  // a failed turn leaves the conversation as it was
        try {
            prepare();
            std::vector<data::Batch> prompts;
            for (const auto &s : engine->sessions)
                prompts.push_back(s.prompt(*engine->encoder));
            auto columns = engine->columns;
            for (auto &c : columns) {
                if (!c.adapters.empty())
                    c.scale = settings.adapterScale;
            }
            const auto params = withSettings(engine->defaults, settings);
            results = gen::generate_columns(*engine->model, columns, prompts, engine->encoder->tokenizer(), params,
                                            [this](size_t column, const gen::TokenEvent &e) {
                                                if (e.text.empty())
                                                    return;
                                                const QString piece = QString::fromStdString(e.text);
                                                const int c = static_cast<int>(column);
                                                QMetaObject::invokeMethod(this, [this, c, piece] { emit tokenStreamed(c, piece); },
                                                                          Qt::QueuedConnection);
                                            },
                                            token);
            for (size_t i = 0; i < results.size(); ++i)
                engine->sessions[i].add_answer(results[i].text);
        } catch (const std::exception &e) {
            engine->sessions = saved;
            error = QString::fromStdString(e.what());
        }
        std::vector<ChatAnswer> answers;
        for (size_t i = 0; i < results.size(); ++i) {
            ChatAnswer a;
            a.column = static_cast<int>(i);
            a.text = QString::fromStdString(results[i].text);
            a.finish = QString::fromLatin1(gen::to_string(results[i].finish));
            a.tokens = static_cast<int>(results[i].token_ids.size());
            a.firstTokenMs = results[i].prefill_seconds * 1000.0;
            a.tokensPerSecond = results[i].tokens_per_second;
            a.cudaGraph = results[i].cuda_graph;
            answers.push_back(a);
        }
        QMetaObject::invokeMethod(this, [this, answers, error] {
            setBusy(false);
            if (!error.isEmpty()) {
                emit failed(error);
                return;
            }
            for (const auto &a : answers)
                emit answerFinished(a);
            emit allFinished();
        }, Qt::QueuedConnection);
    });
}

void ChatController::scoreCaptions(const QString &image, const QStringList &captions)
{
    runRetrieval([image, captions](Engine &e) {
        return scoreCaptionsJob(*e.model, *e.encoder, e.retrievalAdapter, image, captions);
    });
}

void ChatController::rankImages(const QString &caption, const QString &folder)
{
    runRetrieval([caption, folder](Engine &e) {
        return rankImagesJob(*e.model, *e.encoder, e.retrievalAdapter, caption, folder);
    });
}

void ChatController::runRetrieval(std::function<RetrievalResult(Engine &)> job)
{
    if (m_busy || !m_retrieval)
        return;
    setBusy(true);
    auto engine = m_engine;
    run([this, engine, job] {
        RetrievalResult result;
        QString error;
        try {
            result = job(*engine);
        } catch (const std::exception &e) {
            error = QString::fromStdString(e.what());
        }
        QMetaObject::invokeMethod(this, [this, result, error] {
            setBusy(false);
            if (!error.isEmpty())
                emit failed(error);
            else
                emit retrievalFinished(result);
        }, Qt::QueuedConnection);
    });
}

void ChatController::stop()
{
    m_stop.request_stop();
}

void ChatController::clear()
{
    if (m_busy)
        return;
    auto engine = m_engine;
    run([engine] {
        for (auto &s : engine->sessions)
            s.clear();
    });
}

} // namespace vltune
