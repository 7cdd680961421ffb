// The engine first: Qt's `slots` and `signals` macros would break LibTorch's headers.
#include "core/data/dataset.h"
#include "core/data/preview.h"
#include "core/data/sample_encoder.h"
#include "core/data/validation.h"
#include "core/error.h"
#include "core/io/atomic_file.h"
#include "core/text/image_placeholders.h"

#include "app/dataset_controller.h"

#include <QThread>

#include <atomic>
#include <unordered_map>

namespace vltune {

// What the worker thread owns. Touched only by jobs, which run one at a time on that thread.
struct DatasetController::Engine
{
    data::Dataset dataset;
    std::unique_ptr<data::SampleEncoder> encoder;  // tokenizer and template of the preview model
    data::ValidationParams params;                 // points into `encoder`
    bool open = false;
    std::atomic<int> wantedPreview{-1};            // the latest preview asked for; others are skipped
};

namespace {

QString qs(const std::string &s) { return QString::fromStdString(s); }

DatasetHistogram histogram(const data::Distribution &d)
{
    DatasetHistogram h;
    h.edges = QVector<qint64>(d.histogram.edges.begin(), d.histogram.edges.end());
    h.counts = QVector<qint64>(d.histogram.counts.begin(), d.histogram.counts.end());
    h.min = d.min;
    h.max = d.max;
    h.mean = d.mean;
    h.p95 = d.p95;
    return h;
}

// The text a sample is listed and searched by: its caption, else its first question and answer.
QString rowText(const data::Record &r)
{
    if (!r.caption.empty())
        return qs(r.caption);
    QString text;
    for (const auto &t : r.turns) {
        if (t.role != "user" && t.role != "assistant")
            continue;
        if (!text.isEmpty())
            text += QLatin1Char('\n');
        text += qs(t.content);
        if (t.role == "assistant")
            break;
    }
    return text;
}

std::string rowKey(const std::string &file, int64_t row) { return file + '\n' + std::to_string(row); }

// Sets up `engine->params` from a model folder, as `vltune-cli train` does. Returns the error.
QString loadModel(std::unique_ptr<data::SampleEncoder> &encoderOut, data::ValidationParams &params, const QString &modelDir)
{
    encoderOut.reset();
    params = data::ValidationParams();
    if (modelDir.isEmpty())
        return {};
    try {
        const std::filesystem::path dir = modelDir.toStdString();
        auto encoder = std::make_unique<data::SampleEncoder>(dir);
        data::ValidationParams p;
        p.tmpl = encoder->chat_template();
        p.tokenizer = &encoder->tokenizer();
        if (encoder->family() != io::ModelFamily::clip)
            p.layout = text::load_image_layout(dir);
        p.supervised = encoder->params().supervised;
        encoderOut = std::move(encoder);
        params = p;
        return {};
    } catch (const std::exception &e) {
        return qs(e.what());
    }
}

} // namespace

DatasetController::DatasetController(QObject *parent)
    : QObject(parent)
    , m_thread(new QThread(this))
    , m_context(new QObject)
    , m_engine(std::make_shared<Engine>())
{
    qRegisterMetaType<vltune::DatasetSummary>();
    qRegisterMetaType<vltune::DatasetPreview>();
    qRegisterMetaType<vltune::DatasetStatistics>();
    m_thread->setObjectName(QStringLiteral("dataset worker"));
    m_context->moveToThread(m_thread);
    connect(m_thread, &QThread::finished, m_context, &QObject::deleteLater);
    m_thread->start();
}

DatasetController::~DatasetController()
{
    m_thread->quit();
    m_thread->wait();
}

void DatasetController::run(std::function<void()> job)
{
    QMetaObject::invokeMethod(m_context, std::move(job), Qt::QueuedConnection);
}

void DatasetController::setBusy(bool busy)
{
    if (m_busy == busy)
        return;
    m_busy = busy;
    emit busyChanged(busy);
}

void DatasetController::open(const QString &path, const QString &modelDir)
{
    m_path = path;
    m_modelDir = modelDir;
    const int serial = ++m_openSerial;
    setBusy(true);
    auto engine = m_engine;
    run([this, engine, path, modelDir, serial] {
        DatasetSummary summary;
        QList<DatasetProblem> problems;
        QVector<DatasetRow> rows;
        DatasetStatistics statistics;
        QString error;
        try {
            engine->open = false;
            engine->dataset = data::open_dataset(path.toStdString());
            summary.modelError = loadModel(engine->encoder, engine->params, modelDir);
            const data::DatasetReport report = data::validate_dataset(engine->dataset, engine->params);
            const data::Dataset &d = engine->dataset;
            engine->open = true;

            summary.path = path;
            summary.root = qs(d.root.string());
            summary.format = qs(std::string(data::format_name(d.format)));
            summary.detectedBecause = qs(d.detected_because);
            summary.samples = report.stats.samples;
            summary.images = report.stats.images;
            summary.problems = static_cast<qint64>(report.problems.size());
            summary.rowsWithProblems = report.rows_with_problems;
            summary.uncaptioned = d.uncaptioned_images;
            summary.captionsEditable = d.format == data::DatasetFormat::image_captions;
            summary.modelDir = summary.modelError.isEmpty() ? modelDir : QString();

            std::unordered_map<std::string, int> recordOf;
            recordOf.reserve(d.records.size());
            rows.reserve(static_cast<int>(d.records.size()));
            for (size_t i = 0; i < d.records.size(); ++i) {
                const data::Record &r = d.records[i];
                recordOf.emplace(rowKey(r.file, r.row), static_cast<int>(i));
                DatasetRow row;
                row.index = static_cast<int>(i);
                row.file = qs(r.file);
                row.row = r.row;
                if (!r.images.empty() && !r.images.front().path.empty())
                    row.imagePath = qs(r.images.front().path.string());
                row.text = rowText(r);
                if (i < report.token_lengths.size())
                    row.tokens = report.token_lengths[i];
                rows.push_back(std::move(row));
            }
            for (const data::Problem &p : report.problems) {
                DatasetProblem problem;
                problem.kind = qs(std::string(data::problem_kind_name(p.kind)));
                problem.file = qs(p.file);
                problem.row = p.row;
                problem.message = qs(p.message);
                if (const auto it = recordOf.find(rowKey(p.file, p.row)); it != recordOf.end()) {
                    problem.record = it->second;
                    QStringList &kinds = rows[it->second].problemKinds;
                    if (!kinds.contains(problem.kind))
                        kinds << problem.kind;
                }
                problems << problem;
            }
            statistics.tokensMeasured = report.stats.tokens_measured;
            statistics.tokens = histogram(report.stats.tokens);
            statistics.imageWidth = histogram(report.stats.image_width);
            statistics.imageHeight = histogram(report.stats.image_height);
        } catch (const std::exception &e) {
            error = qs(e.what());
        }
        QMetaObject::invokeMethod(this, [this, serial, summary, problems, rows, statistics, error] {
            if (serial != m_openSerial)
                return;  // superseded by a later open()
            setBusy(false);
            if (!error.isEmpty()) {
                emit failed(error);
                return;
            }
            if (!summary.modelError.isEmpty())
                m_modelDir.clear();
            emit opened(summary, problems, rows, statistics);
        }, Qt::QueuedConnection);
    });
}

void DatasetController::setModelDir(const QString &modelDir)
{
    m_modelDir = modelDir;
    if (!m_path.isEmpty())
        open(m_path, modelDir);
}

void DatasetController::requestPreview(int index)
{
    auto engine = m_engine;
    engine->wantedPreview = index;
    const int openSerial = m_openSerial;
    run([this, engine, index, openSerial] {
        if (engine->wantedPreview != index || !engine->open)
            return;  // the user moved on
        DatasetPreview preview;
        preview.index = index;
        QString error;
        try {
            const data::SamplePreview p = data::preview_sample(engine->dataset, static_cast<size_t>(index), engine->params);
            const data::Record &r = p.record;
            preview.file = qs(r.file);
            preview.row = r.row;
            preview.caption = qs(r.caption);
            if (engine->dataset.format == data::DatasetFormat::image_captions)
                preview.captionFile = qs((engine->dataset.root / r.file).string());
            preview.system = qs(r.system);
            for (const auto &t : r.turns)
                preview.turns.append({qs(t.role), qs(t.content)});
            if (r.rejected && !preview.turns.isEmpty()) {  // a preference pair: both answers, named
                preview.turns.last().first = QStringLiteral("chosen");
                preview.turns.append({QStringLiteral("rejected"), qs(*r.rejected)});
            }
            for (const auto &image : r.images)
                preview.imagePaths << qs(image.path.string());
            for (const auto &piece : p.prompt)
                preview.prompt.append({qs(piece.text), piece.learned, piece.tokens});
            preview.tokens = p.tokens;
            preview.learnedTokens = p.learned_tokens;
            for (const auto &n : p.notes)
                preview.notes << qs(n);
            preview.error = qs(p.error);
        } catch (const std::exception &e) {
            error = qs(e.what());
        }
        QMetaObject::invokeMethod(this, [this, openSerial, preview, error] {
            if (openSerial != m_openSerial)
                return;  // a preview of a dataset no longer shown
            if (!error.isEmpty()) {
                emit failed(error);
                return;
            }
            emit previewReady(preview);
        }, Qt::QueuedConnection);
    });
}

void DatasetController::updateCaption(int index, const QString &caption)
{
    auto engine = m_engine;
    const std::string text = caption.toStdString();
    run([engine, index, text] {
        if (!engine->open || index < 0 || static_cast<size_t>(index) >= engine->dataset.records.size())
            return;
        data::Record &r = engine->dataset.records[static_cast<size_t>(index)];
        r.caption = text;
        // The caption is the answer the model learns (caption_folder_reader's layout).
        for (auto it = r.turns.rbegin(); it != r.turns.rend(); ++it) {
            if (it->role == "assistant") {
                it->content = text;
                break;
            }
        }
    });
}

QString DatasetController::writeFileAtomically(const QString &path, const QByteArray &bytes)
{
    try {
        io::AtomicFile file(path.toStdString());
        file.write(bytes.constData(), static_cast<size_t>(bytes.size()));
        file.commit();
        return {};
    } catch (const std::exception &e) {
        return qs(e.what());
    }
}

} // namespace vltune
