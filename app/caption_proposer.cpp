// The engine first: Qt's `slots` and `signals` macros would break LibTorch's headers.
#include "core/data/sample_encoder.h"
#include "core/error.h"
#include "core/gen/chat_session.h"
#include "core/gen/generation_params.h"
#include "core/gen/generator.h"
#include "core/io/hf_config.h"
#include "core/lora/lora_factory.h"
#include "core/gen/chat_defaults.h"

#include "app/caption_proposer.h"

#include <QThread>

#include <algorithm>

namespace vltune {

// What the worker owns: the model of the last request, kept for the next image.
struct CaptionProposer::Engine
{
    QString modelDir;
    QString adapterDir;
    std::unique_ptr<lora::LoraModel> model;
    std::unique_ptr<data::SampleEncoder> encoder;
    gen::GenerationParams defaults;  // generation_config.json with the chat template's EOS

    void load(const QString &model_, const QString &adapter)
    {
        if (model && modelDir == model_ && adapterDir == adapter)
            return;
        model.reset();
        const std::filesystem::path dir = model_.toStdString();
        if (io::read_model_config(dir).family() == io::ModelFamily::clip)
            throw Error(dir.string() + " is a CLIP model: it scores captions but writes none");
        encoder = std::make_unique<data::SampleEncoder>(dir);
        auto m = lora::open_model(dir, lora::resolve_placement("auto", "fp32"));
        if (!adapter.isEmpty()) {
            m->load_adapter(adapter.toStdString(), "adapter");
            m->set_active_adapters({"adapter"});
        }
        defaults = gen::chat_generation_defaults(dir, *encoder);
        model = std::move(m);
        modelDir = model_;
        adapterDir = adapter;
    }
};

CaptionProposer::CaptionProposer(QObject *parent)
    : QObject(parent)
    , m_thread(new QThread(this))
    , m_context(new QObject)
    , m_engine(std::make_shared<Engine>())
{
    m_thread->setObjectName(QStringLiteral("caption worker"));
    m_context->moveToThread(m_thread);
    connect(m_thread, &QThread::finished, m_context, &QObject::deleteLater);
    m_thread->start();
}

CaptionProposer::~CaptionProposer()
{
    m_thread->quit();
    m_thread->wait();
}

void CaptionProposer::setBusy(bool busy)
{
    if (m_busy == busy)
        return;
    m_busy = busy;
    emit busyChanged(busy);
}

void CaptionProposer::propose(const QString &modelDir, const QString &adapterDir, const QString &imagePath,
                              const QString &prompt, int maxNewTokens)
{
    if (m_busy)
        return;
    setBusy(true);
    auto engine = m_engine;
    QMetaObject::invokeMethod(m_context, [this, engine, modelDir, adapterDir, imagePath, prompt, maxNewTokens] {
        QString caption;
        QString error;
        try {
            engine->load(modelDir, adapterDir);
            gen::ChatSession chat;
            chat.add_user(prompt.toStdString(), {std::filesystem::path(imagePath.toStdString())});
            gen::GenerationParams params = engine->defaults;
            params.do_sample = false;
            params.max_new_tokens = maxNewTokens;
            const auto result = gen::generate(*engine->model, chat.prompt(*engine->encoder), engine->encoder->tokenizer(), params);
            caption = QString::fromStdString(result.text).trimmed();
        } catch (const std::exception &e) {
            error = QString::fromStdString(e.what());
        }
        QMetaObject::invokeMethod(this, [this, imagePath, caption, error] {
            setBusy(false);
            if (!error.isEmpty())
                emit failed(error);
            else
                emit proposed(imagePath, caption);
        }, Qt::QueuedConnection);
    }, Qt::QueuedConnection);
}

} // namespace vltune
