#pragma once
// The bridge between the Dataset page and the engine's datasets (core/data): a dataset opened and
// validated on a worker thread, optionally with a model folder whose tokenizer and chat template
// measure token lengths and render the training prompt of one sample. Only value types cross the
// thread: the page calls in with paths and indexes, the controller answers with signals on the
// GUI thread. Caption edits are written atomically from the GUI thread (small files, and the undo
// stack needs to know at once whether the write worked).

#include <QList>
#include <QMetaType>
#include <QObject>
#include <QString>
#include <QStringList>
#include <QVector>

#include <functional>
#include <memory>

class QThread;

namespace vltune {

// What a dataset is, as the page's header shows it.
struct DatasetSummary
{
    QString path;             // what was opened
    QString root;             // the folder relative paths are shown from
    QString format;           // "image_captions", "sharegpt", ...
    QString detectedBecause;  // why that format was detected
    qint64 samples = 0;       // rows, bad ones included
    qint64 images = 0;        // distinct image files referenced
    qint64 problems = 0;      // problems found
    qint64 rowsWithProblems = 0;  // rows with at least one problem (training skips or stops on them)
    qint64 uncaptioned = 0;   // image_captions: images without a .txt
    bool captionsEditable = false;  // image_captions: each sample's caption is its own .txt file
    QString modelDir;         // the model the token lengths were measured with ("" = none)
    QString modelError;       // why that model could not be used ("" when it could or none was given)
};

// One validation problem.
struct DatasetProblem
{
    QString kind;     // "missing_image", ...
    QString file;     // data file relative to the root ("" = the dataset itself)
    qint64 row = -1;  // 0-based row in `file` (-1: the file as a whole)
    QString message;  // one sentence
    int record = -1;  // the sample it is about (-1: none, e.g. a row that could not be read)
};

// One sample, light enough to list 100,000 of them.
struct DatasetRow
{
    int index = 0;             // record index
    QString file;              // data file relative to the root
    qint64 row = 0;            // row within `file`
    QString imagePath;         // the first image's file ("" = no image or not found)
    QString text;              // the caption, else the first user and assistant turns
    QStringList problemKinds;  // kinds of the problems naming this sample
    qint64 tokens = -1;        // input_ids length (-1: not measured)
};

// A histogram: counts[i] for [edges[i], edges[i+1]).
struct DatasetHistogram
{
    QVector<qint64> edges;
    QVector<qint64> counts;
    qint64 min = 0;
    qint64 max = 0;
    double mean = 0;
    qint64 p95 = 0;
};

struct DatasetStatistics
{
    bool tokensMeasured = false;
    DatasetHistogram tokens;        // per sample, when measured
    DatasetHistogram imageWidth;    // per distinct image
    DatasetHistogram imageHeight;   // per distinct image
};

// One stretch of the training prompt.
struct DatasetPromptPiece
{
    QString text;
    bool learned = false;  // carries loss
    qint64 tokens = 0;
};

// Everything the detail pane shows for one sample.
struct DatasetPreview
{
    int index = -1;
    QString file;               // data file relative to the root
    qint64 row = 0;
    QString captionFile;        // image_captions: the absolute path of the .txt ("" otherwise)
    QString caption;            // the caption as read
    QString system;             // system prompt ("" = template default)
    QList<QPair<QString, QString>> turns;  // role, content (a preference pair's answers: "chosen", "rejected")
    QStringList imagePaths;     // resolved image files ("" where none was found)
    QList<DatasetPromptPiece> prompt;  // the training encoding (empty without a model)
    qint64 tokens = 0;          // after truncation
    qint64 learnedTokens = 0;
    QStringList notes;          // what truncation cut
    QString error;              // why the sample could not be encoded
};

class DatasetController final : public QObject
{
    Q_OBJECT

public:
    explicit DatasetController(QObject *parent = nullptr);
    ~DatasetController() override;

    // Opens and validates the dataset at `path` (folder or file) on the worker, with the
    // tokenizer and template of `modelDir` when given. opened() or failed() answers; an open
    // requested while another runs supersedes it (the older result is dropped).
    void open(const QString &path, const QString &modelDir = QString());
    // Opens the current dataset again with another model folder ("" = none).
    void setModelDir(const QString &modelDir);
    // Computes the preview of sample `index` on the worker; previewReady() answers.
    void requestPreview(int index);
    // Tells the worker that sample `index`'s caption now reads `caption` (after the page wrote
    // the file), so previews show the new text.
    void updateCaption(int index, const QString &caption);

    bool isBusy() const { return m_busy; }
    QString path() const { return m_path; }
    QString modelDir() const { return m_modelDir; }

    // Replaces `path` with `bytes` atomically (temporary file, fsync, rename). Returns "" or the
    // error, naming the file.
    static QString writeFileAtomically(const QString &path, const QByteArray &bytes);

signals:
    void opened(const vltune::DatasetSummary &summary, const QList<vltune::DatasetProblem> &problems,
                const QVector<vltune::DatasetRow> &rows, const vltune::DatasetStatistics &statistics);
    void previewReady(const vltune::DatasetPreview &preview);
    void failed(const QString &message);
    void busyChanged(bool busy);

private:
    struct Engine;
    void run(std::function<void()> job);
    void setBusy(bool busy);

    QThread *m_thread = nullptr;
    QObject *m_context = nullptr;  // lives on m_thread: jobs are queued to it
    std::shared_ptr<Engine> m_engine;
    QString m_path;
    QString m_modelDir;
    int m_openSerial = 0;    // the latest open(); older results are dropped
    int m_previewSerial = 0; // the latest requestPreview(); older previews are dropped
    bool m_busy = false;
};

} // namespace vltune

Q_DECLARE_METATYPE(vltune::DatasetSummary)
Q_DECLARE_METATYPE(vltune::DatasetPreview)
Q_DECLARE_METATYPE(vltune::DatasetStatistics)
