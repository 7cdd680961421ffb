#include "ui/evaluate_page.h"

#include <QAction>
#include <QCheckBox>
#include <QColor>
#include <QComboBox>
#include <QDir>
#include <QDoubleSpinBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QGridLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QPalette>
#include <QProgressBar>
#include <QPushButton>
#include <QRegularExpression>
#include <QSpinBox>
#include <QSplitter>
#include <QStyle>
#include <QStyledItemDelegate>
#include <QTableWidget>
#include <QUrl>
#include <QVBoxLayout>

#include <cmath>

namespace vltune {

namespace {

// Rows of the metrics table.
enum MetricRow { Bleu4, Rouge1, Rouge2, RougeL, EvalLoss, Perplexity, MetricRows };

// Columns of the predictions table.
enum PredictionColumn { ColRecord, ColPrompt, ColLabel, ColPredict, ColBleu, ColRouge, PredictionColumns };

// "0:42", "12:05", "1:02:09".
QString clockText(double seconds)
{
    const qint64 s = static_cast<qint64>(std::floor(std::max(0.0, seconds)));
    if (s >= 3600)
        return QStringLiteral("%1:%2:%3").arg(s / 3600).arg(s / 60 % 60, 2, 10, QLatin1Char('0')).arg(s % 60, 2, 10, QLatin1Char('0'));
    return QStringLiteral("%1:%2").arg(s / 60).arg(s % 60, 2, 10, QLatin1Char('0'));
}

// A prompt for one table cell: runs of one special token ("<|image_pad|>" × 256) folded into
// "<|image_pad|>×256", newlines shown as ⏎.
QString compactPrompt(const QString &prompt)
{
    static const QRegularExpression repeated(QStringLiteral("(<[^<>\\s]{1,40}>)\\1+"));
    QString out;
    qsizetype last = 0;
    auto it = repeated.globalMatch(prompt);
    while (it.hasNext()) {
        const auto m = it.next();
        out += prompt.mid(last, m.capturedStart() - last);
        out += m.captured(1) + QStringLiteral("×%1").arg(m.capturedLength() / m.capturedLength(1));
        last = m.capturedEnd();
    }
    out += prompt.mid(last);
    return out.replace(QLatin1Char('\n'), QStringLiteral(" ⏎ "));
}

// The prompt column elides on the left: the end of a prompt (the last question) says the most.
class ElideLeftDelegate final : public QStyledItemDelegate
{
public:
    using QStyledItemDelegate::QStyledItemDelegate;

protected:
    void initStyleOption(QStyleOptionViewItem *option, const QModelIndex &index) const override
    {
        QStyledItemDelegate::initStyleOption(option, index);
        option->textElideMode = Qt::ElideLeft;
    }
};

QTableWidgetItem *readOnlyItem(const QString &text)
{
    auto *item = new QTableWidgetItem(text);
    item->setFlags(Qt::ItemIsSelectable | Qt::ItemIsEnabled);
    return item;
}

bool isModelFolder(const QString &dir)
{
    return QFileInfo(QDir(dir).filePath(QStringLiteral("config.json"))).isFile();
}

bool isAdapterFolder(const QString &dir)
{
    return QFileInfo(QDir(dir).filePath(QStringLiteral("adapter_config.json"))).isFile();
}

} // namespace

EvaluatePage::EvaluatePage(QWidget *parent)
    : QWidget(parent)
    , m_controller(new EvaluateController(this))
{
    setObjectName(QStringLiteral("evaluatePage"));
    auto *layout = new QVBoxLayout(this);
    layout->addWidget(createEvaluateBox(), 1);
    layout->addWidget(createExportBox());

    connect(m_controller, &EvaluateController::status, m_statusLabel, &QLabel::setText);
    connect(m_controller, &EvaluateController::started, this, &EvaluatePage::onStarted);
    connect(m_controller, &EvaluateController::progress, this, &EvaluatePage::onProgress);
    connect(m_controller, &EvaluateController::finished, this, &EvaluatePage::onFinished);
    connect(m_controller, &EvaluateController::failed, this, &EvaluatePage::onFailed);
    connect(m_controller, &EvaluateController::exportProgress, this, &EvaluatePage::onExportProgress);
    connect(m_controller, &EvaluateController::exportFinished, this, &EvaluatePage::onExportFinished);
    connect(m_controller, &EvaluateController::exportFailed, this, &EvaluatePage::onExportFailed);
    connect(m_controller, &EvaluateController::busyChanged, this, &EvaluatePage::validate);
    validate();
}

QLineEdit *EvaluatePage::addFolderRow(QGridLayout *grid, int row, const QString &label, const QString &placeholder,
                                      const QString &objectName, bool file)
{
    auto *edit = new QLineEdit(this);
    edit->setObjectName(objectName);
    edit->setPlaceholderText(placeholder);
    edit->setClearButtonEnabled(true);
    auto *browse = new QPushButton(tr("Browse…"), this);
    connect(browse, &QPushButton::clicked, this, [this, edit, label, file] {
        QString chosen = QFileDialog::getExistingDirectory(this, label, edit->text());
        if (chosen.isEmpty() && file)
            chosen = QFileDialog::getOpenFileName(this, label, edit->text(), tr("Datasets (*.json *.jsonl *.csv *.parquet);;All files (*)"));
        if (!chosen.isEmpty())
            edit->setText(QDir::toNativeSeparators(chosen));
    });
    connect(edit, &QLineEdit::textChanged, this, &EvaluatePage::validate);
    auto *caption = new QLabel(label, this);
    caption->setBuddy(edit);
    grid->addWidget(caption, row, 0);
    grid->addWidget(edit, row, 1);
    grid->addWidget(browse, row, 2);
    return edit;
}

QGroupBox *EvaluatePage::createEvaluateBox()
{
    auto *box = new QGroupBox(tr("Evaluate && Predict"), this);
    auto *layout = new QVBoxLayout(box);

    auto *grid = new QGridLayout;
    grid->setColumnStretch(1, 1);
    m_modelEdit = addFolderRow(grid, 0, tr("&Model"), tr("Base model folder (config.json, safetensors, tokenizer)"),
                               QStringLiteral("evalModelEdit"), false);
    m_adapterEdit = addFolderRow(grid, 1, tr("&Adapter"), tr("LoRA adapter folder (optional: empty evaluates the base model)"),
                                 QStringLiteral("evalAdapterEdit"), false);
    m_datasetEdit = addFolderRow(grid, 2, tr("&Dataset"), tr("Dataset folder (dataset_info.json) or file"),
                                 QStringLiteral("evalDatasetEdit"), true);
    m_datasetNamesEdit = new QLineEdit(this);
    m_datasetNamesEdit->setObjectName(QStringLiteral("evalDatasetNamesEdit"));
    m_datasetNamesEdit->setPlaceholderText(tr("Dataset names from dataset_info.json, comma-separated (empty: all)"));
    m_datasetNamesEdit->setToolTip(tr("LLaMA-Factory's eval_dataset: which entries of dataset_info.json to predict."));
    grid->addWidget(m_datasetNamesEdit, 3, 1, 1, 2);
    m_outputEdit = addFolderRow(grid, 4, tr("&Output"), tr("Folder for generated_predictions.jsonl and predict_results.json"),
                                QStringLiteral("evalOutputEdit"), false);
    m_outputEdit->setToolTip(tr("Created if missing. Files of an earlier prediction there are replaced."));
    layout->addLayout(grid);

    auto *options = new QHBoxLayout;
    m_maxSamples = new QSpinBox(box);
    m_maxSamples->setObjectName(QStringLiteral("evalMaxSamples"));
    m_maxSamples->setRange(0, 1'000'000);
    m_maxSamples->setValue(100);
    m_maxSamples->setSpecialValueText(tr("All"));
    m_maxSamples->setToolTip(tr("At most this many samples of each dataset (LLaMA-Factory's max_samples). Usual: 100–1000."));
    m_maxNewTokens = new QSpinBox(box);
    m_maxNewTokens->setObjectName(QStringLiteral("evalMaxNewTokens"));
    m_maxNewTokens->setRange(1, 8192);
    m_maxNewTokens->setValue(512);
    m_maxNewTokens->setToolTip(tr("Most new tokens per answer. Usual: 128–1024."));
    m_greedyCheck = new QCheckBox(tr("Greedy"), box);
    m_greedyCheck->setObjectName(QStringLiteral("evalGreedyCheck"));
    m_greedyCheck->setChecked(true);
    m_greedyCheck->setToolTip(tr("Always the most likely token: repeatable scores. Off: sampling with LLaMA-Factory's "
                                 "defaults (temperature 0.95, top-p 0.7, top-k 50, seed 42)."));
    m_evalLossCheck = new QCheckBox(tr("Also compute eval loss"), box);
    m_evalLossCheck->setObjectName(QStringLiteral("evalLossCheck"));
    m_evalLossCheck->setToolTip(tr("The supervised loss and perplexity over the same samples (LLaMA-Factory's do_eval)."));
    m_skipBadCheck = new QCheckBox(tr("Skip rows with problems"), box);
    m_skipBadCheck->setObjectName(QStringLiteral("evalSkipBadCheck"));
    m_skipBadCheck->setToolTip(tr("Leave out rows the template cannot take (missing images, bad roles). Off: refuse "
                                  "to run and list them."));
    m_runButton = new QPushButton(style()->standardIcon(QStyle::SP_MediaPlay), tr("Run"), box);
    m_runButton->setObjectName(QStringLiteral("evalRunButton"));
    m_runButton->setDefault(true);
    m_stopButton = new QPushButton(style()->standardIcon(QStyle::SP_MediaStop), tr("Stop"), box);
    m_stopButton->setObjectName(QStringLiteral("evalStopButton"));
    m_stopButton->setToolTip(tr("Stop after the current answer; the samples done are scored and written."));
    connect(m_runButton, &QPushButton::clicked, this, &EvaluatePage::runEvaluate);
    connect(m_stopButton, &QPushButton::clicked, m_controller, &EvaluateController::stop);
    options->addWidget(new QLabel(tr("Max samples"), box));
    options->addWidget(m_maxSamples);
    options->addSpacing(12);
    options->addWidget(new QLabel(tr("Max new tokens"), box));
    options->addWidget(m_maxNewTokens);
    options->addSpacing(12);
    options->addWidget(m_greedyCheck);
    options->addWidget(m_evalLossCheck);
    options->addWidget(m_skipBadCheck);
    options->addStretch(1);
    options->addWidget(m_runButton);
    options->addWidget(m_stopButton);
    layout->addLayout(options);

    auto *progressRow = new QHBoxLayout;
    m_progress = new QProgressBar(box);
    m_progress->setObjectName(QStringLiteral("evalProgress"));
    m_progress->setRange(0, 1);
    m_progress->setValue(0);
    m_progress->setTextVisible(false);
    m_progressLabel = new QLabel(box);
    m_progressLabel->setObjectName(QStringLiteral("evalProgressLabel"));
    m_progressLabel->setMinimumWidth(m_progressLabel->fontMetrics().horizontalAdvance(QStringLiteral("0000 / 0000 samples · 00:00 elapsed")));
    progressRow->addWidget(m_progress, 1);
    progressRow->addWidget(m_progressLabel);
    layout->addLayout(progressRow);
    m_statusLabel = new QLabel(tr("Choose a model, a dataset and an output folder."), box);
    m_statusLabel->setObjectName(QStringLiteral("evalStatusLabel"));
    m_statusLabel->setWordWrap(true);
    m_statusLabel->setTextInteractionFlags(Qt::TextSelectableByMouse | Qt::LinksAccessibleByMouse);
    m_statusLabel->setOpenExternalLinks(true);
    layout->addWidget(m_statusLabel);

    auto *splitter = new QSplitter(Qt::Horizontal, box);
    splitter->setChildrenCollapsible(false);
    auto *metricsPane = new QWidget(splitter);
    auto *metricsLayout = new QVBoxLayout(metricsPane);
    metricsLayout->setContentsMargins(0, 0, 0, 0);
    m_metrics = new QTableWidget(MetricRows, 2, metricsPane);
    m_metrics->setObjectName(QStringLiteral("evalMetricsTable"));
    m_metrics->setHorizontalHeaderLabels({tr("Metric"), tr("Value")});
    m_metrics->verticalHeader()->hide();
    m_metrics->horizontalHeader()->setSectionResizeMode(0, QHeaderView::ResizeToContents);
    m_metrics->horizontalHeader()->setStretchLastSection(true);
    m_metrics->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_metrics->setSelectionMode(QAbstractItemView::NoSelection);
    m_metrics->setFocusPolicy(Qt::NoFocus);
    m_metrics->setAlternatingRowColors(true);
    const QStringList names = {tr("BLEU-4"), tr("ROUGE-1"), tr("ROUGE-2"), tr("ROUGE-L"), tr("Eval loss"), tr("Perplexity")};
    const QStringList tips = {tr("predict_bleu-4: NLTK sentence BLEU over characters, mean over samples"),
                              tr("predict_rouge-1: unigram F-score"), tr("predict_rouge-2: bigram F-score"),
                              tr("predict_rouge-l: longest common subsequence F-score"),
                              tr("eval_loss: mean token cross-entropy of the answers"), tr("perplexity: exp(eval loss)")};
    for (int r = 0; r < MetricRows; ++r) {
        auto *name = readOnlyItem(names[r]);
        name->setToolTip(tips[r]);
        m_metrics->setItem(r, 0, name);
        auto *value = readOnlyItem(QStringLiteral("—"));
        value->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
        m_metrics->setItem(r, 1, value);
    }
    m_metrics->resizeRowsToContents();
    int tableHeight = m_metrics->horizontalHeader()->height() + 2 * m_metrics->frameWidth();
    for (int r = 0; r < MetricRows; ++r)
        tableHeight += m_metrics->rowHeight(r);
    m_metrics->setFixedHeight(tableHeight);
    m_rougeNote = new QLabel(tr("ROUGE over characters: no jieba dictionary — not comparable to LLaMA-Factory"), metricsPane);
    m_rougeNote->setObjectName(QStringLiteral("evalRougeNote"));
    m_rougeNote->setWordWrap(true);
    m_rougeNote->setToolTip(tr("Install python3-jieba (or set VLTUNE_JIEBA_DIR) to score ROUGE over jieba's words as LLaMA-Factory does."));
    QPalette warn = m_rougeNote->palette();
    warn.setColor(QPalette::WindowText, QColor(0xb3, 0x5c, 0x00));
    m_rougeNote->setPalette(warn);
    m_rougeNote->hide();
    metricsLayout->addWidget(m_metrics);
    metricsLayout->addWidget(m_rougeNote);
    metricsLayout->addStretch(1);

    m_predictions = new QTableWidget(0, PredictionColumns, splitter);
    m_predictions->setObjectName(QStringLiteral("evalPredictionsTable"));
    m_predictions->setHorizontalHeaderLabels({tr("Row"), tr("Prompt"), tr("Label"), tr("Predict"), tr("BLEU-4"), tr("ROUGE-L")});
    m_predictions->verticalHeader()->hide();
    m_predictions->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_predictions->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_predictions->setAlternatingRowColors(true);
    m_predictions->setWordWrap(false);
    m_predictions->setTextElideMode(Qt::ElideRight);
    m_predictions->setItemDelegateForColumn(ColPrompt, new ElideLeftDelegate(m_predictions));
    auto *header = m_predictions->horizontalHeader();
    header->setSectionResizeMode(QHeaderView::Interactive);
    header->setSectionResizeMode(ColPrompt, QHeaderView::Stretch);
    header->setSectionResizeMode(ColLabel, QHeaderView::Stretch);
    header->setSectionResizeMode(ColPredict, QHeaderView::Stretch);
    header->setSectionResizeMode(ColRecord, QHeaderView::ResizeToContents);
    header->setSectionResizeMode(ColBleu, QHeaderView::ResizeToContents);
    header->setSectionResizeMode(ColRouge, QHeaderView::ResizeToContents);
    splitter->addWidget(metricsPane);
    splitter->addWidget(m_predictions);
    splitter->setStretchFactor(0, 0);
    splitter->setStretchFactor(1, 1);
    splitter->setSizes({260, 900});
    layout->addWidget(splitter, 1);
    return box;
}

QGroupBox *EvaluatePage::createExportBox()
{
    auto *box = new QGroupBox(tr("Merge && Export"), this);
    auto *layout = new QVBoxLayout(box);
    auto *grid = new QGridLayout;
    grid->setColumnStretch(1, 1);
    m_exportModelEdit = addFolderRow(grid, 0, tr("Base mo&del"), tr("Base model folder"), QStringLiteral("exportModelEdit"), false);
    m_exportAdapterEdit = addFolderRow(grid, 1, tr("Ada&pter"), tr("LoRA adapter merged into the weights (empty: convert the base model)"),
                                       QStringLiteral("exportAdapterEdit"), false);
    m_exportOutEdit = addFolderRow(grid, 2, tr("E&xport to"), tr("New, empty folder for the merged checkpoint"),
                                   QStringLiteral("exportOutEdit"), false);
    layout->addLayout(grid);

    auto *row = new QHBoxLayout;
    m_dtypeCombo = new QComboBox(box);
    m_dtypeCombo->setObjectName(QStringLiteral("exportDtypeCombo"));
    m_dtypeCombo->addItem(tr("As the model (config.json)"), QString());
    m_dtypeCombo->addItem(QStringLiteral("float32"), QStringLiteral("float32"));
    m_dtypeCombo->addItem(QStringLiteral("bfloat16"), QStringLiteral("bfloat16"));
    m_dtypeCombo->addItem(QStringLiteral("float16"), QStringLiteral("float16"));
    m_dtypeCombo->setToolTip(tr("The weights' dtype in the exported files. bfloat16 halves the size of a float32 model."));
    m_shardSize = new QDoubleSpinBox(box);
    m_shardSize->setObjectName(QStringLiteral("exportShardSize"));
    m_shardSize->setRange(0.001, 100.0);
    m_shardSize->setDecimals(3);
    m_shardSize->setValue(5.0);
    m_shardSize->setSuffix(tr(" GB"));
    m_shardSize->setToolTip(tr("Largest weights file (transformers' max_shard_size, default 5 GB); a bigger model is split "
                               "into shards with an index."));
    m_exportButton = new QPushButton(style()->standardIcon(QStyle::SP_DialogSaveButton), tr("Export"), box);
    m_exportButton->setObjectName(QStringLiteral("exportButton"));
    connect(m_exportButton, &QPushButton::clicked, this, &EvaluatePage::runExport);
    m_exportProgress = new QProgressBar(box);
    m_exportProgress->setObjectName(QStringLiteral("exportProgress"));
    m_exportProgress->setRange(0, 100);
    m_exportProgress->setValue(0);
    m_exportProgress->setFormat(QString());
    row->addWidget(new QLabel(tr("Dtype"), box));
    row->addWidget(m_dtypeCombo);
    row->addSpacing(12);
    row->addWidget(new QLabel(tr("Max shard size"), box));
    row->addWidget(m_shardSize);
    row->addSpacing(12);
    row->addWidget(m_exportProgress, 1);
    row->addWidget(m_exportButton);
    layout->addLayout(row);
    m_exportResult = new QLabel(box);
    m_exportResult->setObjectName(QStringLiteral("exportResultLabel"));
    m_exportResult->setWordWrap(true);
    m_exportResult->setTextInteractionFlags(Qt::TextSelectableByMouse | Qt::LinksAccessibleByMouse);
    m_exportResult->setOpenExternalLinks(true);
    layout->addWidget(m_exportResult);
    return box;
}

EvaluateSettings EvaluatePage::evaluateSettings() const
{
    EvaluateSettings s;
    s.modelDir = m_modelEdit->text().trimmed();
    s.adapterDir = m_adapterEdit->text().trimmed();
    s.datasetDir = m_datasetEdit->text().trimmed();
    for (const QString &name : m_datasetNamesEdit->text().split(QLatin1Char(','), Qt::SkipEmptyParts)) {
        if (!name.trimmed().isEmpty())
            s.datasetNames << name.trimmed();
    }
    s.outputDir = m_outputEdit->text().trimmed();
    s.maxSamples = m_maxSamples->value();
    s.maxNewTokens = m_maxNewTokens->value();
    s.greedy = m_greedyCheck->isChecked();
    s.computeEvalLoss = m_evalLossCheck->isChecked();
    s.skipBadRows = m_skipBadCheck->isChecked();
    return s;
}

ExportSettings EvaluatePage::exportSettings() const
{
    ExportSettings s;
    s.modelDir = m_exportModelEdit->text().trimmed();
    s.adapterDir = m_exportAdapterEdit->text().trimmed();
    s.outputDir = m_exportOutEdit->text().trimmed();
    s.dtype = m_dtypeCombo->currentData().toString();
    s.maxShardBytes = static_cast<quint64>(std::llround(m_shardSize->value() * 1e9));
    return s;
}

void EvaluatePage::setModelAndAdapter(const QString &modelDir, const QString &adapterDir)
{
    m_modelEdit->setText(modelDir);
    m_adapterEdit->setText(adapterDir);
    m_exportModelEdit->setText(modelDir);
    m_exportAdapterEdit->setText(adapterDir);
}

void EvaluatePage::suggestFromRun(const QString &datasetDir, const QStringList &datasets, const QString &outputDir)
{
    if (m_datasetEdit->text().trimmed().isEmpty() && !datasetDir.isEmpty()) {
        m_datasetEdit->setText(datasetDir);
        if (m_datasetNamesEdit->text().trimmed().isEmpty())
            m_datasetNamesEdit->setText(datasets.join(QStringLiteral(", ")));
    }
    const QString run = QDir::cleanPath(outputDir);
    if (run.isEmpty() || run == QStringLiteral("."))
        return;
    if (m_outputEdit->text().trimmed().isEmpty())
        m_outputEdit->setText(run + QStringLiteral("-predict"));
    const QString merged = run + QStringLiteral("-merged");
    if (m_exportOutEdit->text().trimmed().isEmpty() && !QFileInfo::exists(merged))
        m_exportOutEdit->setText(merged);
}

void EvaluatePage::setProblem(QLineEdit *edit, const QString &problem)
{
    QAction *action = m_problemActions.value(edit);
    if (!action) {
        action = edit->addAction(style()->standardIcon(QStyle::SP_MessageBoxWarning), QLineEdit::TrailingPosition);
        m_problemActions.insert(edit, action);
    }
    // An empty field only blocks the button (its tooltip says why); a wrong one is marked too.
    action->setVisible(!problem.isEmpty() && !edit->text().trimmed().isEmpty());
    action->setToolTip(problem);
    edit->setProperty("problem", problem);
}

QString EvaluatePage::evaluateBlockedReason() const
{
    if (m_controller->isBusy())
        return tr("A job is running");
    for (QLineEdit *e : {m_modelEdit, m_adapterEdit, m_datasetEdit, m_outputEdit}) {
        const QString problem = e->property("problem").toString();
        if (!problem.isEmpty())
            return problem;
    }
    return {};
}

QString EvaluatePage::exportBlockedReason() const
{
    if (m_controller->isBusy())
        return tr("A job is running");
    for (QLineEdit *e : {m_exportModelEdit, m_exportAdapterEdit, m_exportOutEdit}) {
        const QString problem = e->property("problem").toString();
        if (!problem.isEmpty())
            return problem;
    }
    return {};
}

void EvaluatePage::validate()
{
    const auto modelProblem = [this](const QString &dir) -> QString {
        if (dir.isEmpty())
            return tr("Choose the model folder");
        if (!QFileInfo(dir).isDir())
            return tr("Model folder not found: %1").arg(dir);
        if (!isModelFolder(dir))
            return tr("%1 has no config.json: not a model folder").arg(dir);
        return {};
    };
    const auto adapterProblem = [this](const QString &dir) -> QString {
        if (dir.isEmpty())
            return {};
        if (!QFileInfo(dir).isDir())
            return tr("Adapter folder not found: %1").arg(dir);
        if (!isAdapterFolder(dir))
            return tr("%1 has no adapter_config.json: not a LoRA adapter").arg(dir);
        return {};
    };

    const EvaluateSettings e = evaluateSettings();
    setProblem(m_modelEdit, modelProblem(e.modelDir));
    setProblem(m_adapterEdit, adapterProblem(e.adapterDir));
    QString datasetProblem;
    if (e.datasetDir.isEmpty())
        datasetProblem = tr("Choose the dataset folder or file");
    else if (!QFileInfo::exists(e.datasetDir))
        datasetProblem = tr("Dataset not found: %1").arg(e.datasetDir);
    setProblem(m_datasetEdit, datasetProblem);
    QString outputProblem;
    if (e.outputDir.isEmpty())
        outputProblem = tr("Choose the output folder");
    else if (QFileInfo(e.outputDir).exists() && !QFileInfo(e.outputDir).isDir())
        outputProblem = tr("%1 is a file, not a folder").arg(e.outputDir);
    setProblem(m_outputEdit, outputProblem);

    const ExportSettings x = exportSettings();
    setProblem(m_exportModelEdit, modelProblem(x.modelDir));
    setProblem(m_exportAdapterEdit, adapterProblem(x.adapterDir));
    QString outProblem;
    const QFileInfo out(x.outputDir);
    if (x.outputDir.isEmpty())
        outProblem = tr("Choose the folder to export to");
    else if (out.exists() && !out.isDir())
        outProblem = tr("%1 is a file, not a folder").arg(x.outputDir);
    else if (out.isDir() && !QDir(x.outputDir).isEmpty(QDir::AllEntries | QDir::NoDotAndDotDot | QDir::Hidden))
        outProblem = tr("%1 is not empty: export into a new or empty folder (files there would be replaced)").arg(x.outputDir);
    setProblem(m_exportOutEdit, outProblem);

    const bool busy = m_controller->isBusy();
    const QString runReason = evaluateBlockedReason();
    m_runButton->setEnabled(runReason.isEmpty());
    m_runButton->setToolTip(runReason.isEmpty() ? tr("Answer every sample and score the answers (BLEU-4, ROUGE)") : runReason);
    if (m_statusIsHint)
        m_statusLabel->setText(runReason.isEmpty() ? tr("Ready: Run answers the dataset's samples and scores the answers.")
                                                   : tr("Choose a model, a dataset and an output folder."));
    m_stopButton->setEnabled(busy && !m_exporting);
    const QString exportReason = exportBlockedReason();
    m_exportButton->setEnabled(exportReason.isEmpty());
    m_exportButton->setToolTip(exportReason.isEmpty() ? tr("Merge the adapter into the weights and write a full checkpoint")
                                                      : exportReason);
}

void EvaluatePage::clearMetrics()
{
    for (int r = 0; r < MetricRows; ++r) {
        m_metrics->item(r, 1)->setText(QStringLiteral("—"));
        m_metrics->item(r, 1)->setData(Qt::UserRole, QVariant());
    }
    m_rougeNote->hide();
}

void EvaluatePage::setMetric(int row, double value, const QString &text)
{
    QTableWidgetItem *item = m_metrics->item(row, 1);
    item->setText(text);
    item->setData(Qt::UserRole, value);
}

void EvaluatePage::runEvaluate()
{
    if (!evaluateBlockedReason().isEmpty())
        return;
    m_exporting = false;
    clearMetrics();
    m_predictions->setRowCount(0);
    m_progress->setRange(0, 0);  // busy until the first count arrives
    m_progressLabel->clear();
    m_statusIsHint = false;
    m_statusLabel->setText(tr("Starting…"));
    m_controller->evaluate(evaluateSettings());
}

void EvaluatePage::onStarted(int total, const QString &summary)
{
    m_progress->setRange(0, total);
    m_progress->setValue(0);
    m_progressLabel->setText(tr("%1 / %2 samples · %3 elapsed").arg(0).arg(total).arg(clockText(0)));
    m_statusLabel->setText(summary);
}

void EvaluatePage::onProgress(const EvaluateProgress &p)
{
    m_progress->setRange(0, p.total);
    m_progress->setValue(p.done);
    m_progressLabel->setText(tr("%1 / %2 samples · %3 elapsed").arg(p.done).arg(p.total).arg(clockText(p.elapsedSeconds)));
    if (p.done == p.total && m_evalLossCheck->isChecked())
        m_statusLabel->setText(tr("Computing the eval loss…"));

    const int row = m_predictions->rowCount();
    m_predictions->insertRow(row);
    auto *record = readOnlyItem(QString::number(p.record + 1));
    record->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
    record->setToolTip(tr("Dataset row %1").arg(p.record + 1));
    m_predictions->setItem(row, ColRecord, record);
    auto *prompt = readOnlyItem(compactPrompt(p.prompt));
    prompt->setData(Qt::UserRole, p.prompt);
    prompt->setToolTip(p.prompt.toHtmlEscaped().left(4000));
    m_predictions->setItem(row, ColPrompt, prompt);
    auto *label = readOnlyItem(p.label.trimmed());
    label->setData(Qt::UserRole, p.label);
    label->setToolTip(p.label);
    m_predictions->setItem(row, ColLabel, label);
    auto *predict = readOnlyItem(p.predict.trimmed());
    predict->setData(Qt::UserRole, p.predict);
    predict->setToolTip(p.predict);
    m_predictions->setItem(row, ColPredict, predict);
    for (const auto &[column, value] : {std::pair{ColBleu, p.bleu4}, std::pair{ColRouge, p.rougeL}}) {
        auto *item = readOnlyItem(QString::number(value, 'f', 2));
        item->setData(Qt::UserRole, value);
        item->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
        m_predictions->setItem(row, column, item);
    }
    m_predictions->scrollToBottom();
}

void EvaluatePage::onFinished(const EvaluateMetrics &m)
{
    const auto percent = [](double v) { return QStringLiteral("%1 %").arg(QString::number(v, 'f', 2)); };
    setMetric(Bleu4, m.bleu4, percent(m.bleu4));
    setMetric(Rouge1, m.rouge1, percent(m.rouge1));
    setMetric(Rouge2, m.rouge2, percent(m.rouge2));
    setMetric(RougeL, m.rougeL, percent(m.rougeL));
    for (int r : {Rouge1, Rouge2, RougeL})
        m_metrics->item(r, 1)->setToolTip(m.rougeLabel);
    if (m.hasEvalLoss) {
        setMetric(EvalLoss, m.evalLoss, QString::number(m.evalLoss, 'f', 4));
        setMetric(Perplexity, m.perplexity, std::isfinite(m.perplexity) ? QString::number(m.perplexity, 'f', 4) : tr("∞"));
    }
    m_rougeNote->setVisible(m.rougeOverCharacters);
    m_progress->setRange(0, std::max(1, m.planned));
    m_progress->setValue(m.samples);
    const QString link = QStringLiteral("<a href=\"%1\">%2</a>")
                             .arg(QUrl::fromLocalFile(m.outputDir).toString(), m.outputDir.toHtmlEscaped());
    if (m.cancelled)
        m_statusLabel->setText(tr("Stopped after %1 of %2 samples; their predictions and scores are in %3")
                                   .arg(m.samples)
                                   .arg(m.planned)
                                   .arg(link));
    else
        m_statusLabel->setText(tr("Done: %n sample(s) in %1; predictions and scores are in %2", nullptr, m.samples)
                                   .arg(clockText(m.runtimeSeconds), link));
}

void EvaluatePage::onFailed(const QString &message)
{
    m_progress->setRange(0, 1);
    m_progress->setValue(0);
    m_statusLabel->setText(tr("Error: %1").arg(message.toHtmlEscaped()));
}

void EvaluatePage::runExport()
{
    if (!exportBlockedReason().isEmpty())
        return;
    m_exporting = true;
    m_exportResult->clear();
    m_exportProgress->setValue(0);
    m_controller->exportMerged(exportSettings());
}

void EvaluatePage::onExportProgress(const ExportStatus &s)
{
    // Loading and merging take the first fifth of the bar, the weights the rest.
    int value = 0;
    QString text;
    switch (s.phase) {
    case ExportStatus::Loading:
        value = 2;
        text = tr("Loading the model…");
        break;
    case ExportStatus::Merging:
        value = 10;
        text = tr("Merging the adapter…");
        break;
    case ExportStatus::Writing:
        value = 20 + (s.bytesTotal ? static_cast<int>(75 * s.bytesDone / s.bytesTotal) : 0);
        text = tr("Writing weights: %1 of %2")
                   .arg(QLocale().formattedDataSize(static_cast<qint64>(s.bytesDone)),
                        QLocale().formattedDataSize(static_cast<qint64>(s.bytesTotal)));
        break;
    case ExportStatus::Copying:
        value = 97;
        text = tr("Copying the tokenizer and configs…");
        break;
    case ExportStatus::Done:
        value = 100;
        text = tr("Done");
        break;
    }
    m_exportProgress->setValue(value);
    m_exportProgress->setFormat(text);
}

void EvaluatePage::onExportFinished(const QString &dir, const QString &summary)
{
    m_exporting = false;
    m_exportResult->setText(tr("Exported to <a href=\"%1\">%2</a> (%3)")
                                .arg(QUrl::fromLocalFile(dir).toString(), dir.toHtmlEscaped(), summary.toHtmlEscaped()));
    validate();  // the folder is not empty any more
    emit exported(dir);
}

void EvaluatePage::onExportFailed(const QString &message)
{
    m_exporting = false;
    m_exportProgress->setValue(0);
    m_exportProgress->setFormat(QString());
    m_exportResult->setText(tr("Export failed: %1").arg(message.toHtmlEscaped()));
}

} // namespace vltune
