// The engine's log format first (no LibTorch here, but the core's headers come before Qt's).
#include "core/error.h"
#include "core/train/trainer_log.h"

#include "ui/monitor_page.h"

#include <QCheckBox>
#include <QDesktopServices>
#include <QDir>
#include <QFile>
#include <QFileDialog>
#include <QFileInfo>
#include <QFileSystemWatcher>
#include <QFontDatabase>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLocale>
#include <QMenu>
#include <QMessageBox>
#include <QPlainTextEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QRegularExpression>
#include <QSplitter>
#include <QTabWidget>
#include <QTimer>
#include <QTreeWidget>
#include <QUrl>
#include <QVBoxLayout>

#include "app/gpu_stats.h"
#include "ui/pinned_samples_view.h"
#include "ui/run_history.h"
#include "widgets/loss_chart.h"

#include <algorithm>
#include <climits>

namespace vltune {

namespace {

const QString kTrainLoss = QStringLiteral("train loss");
const QString kEvalLoss = QStringLiteral("eval loss");
const QString kLearningRate = QStringLiteral("learning rate");
const QString kGradNorm = QStringLiteral("grad norm");
const QString kThroughput = QStringLiteral("tokens/s");
const QString kRewardMargin = QStringLiteral("reward margin");
const QString kEvalRewardMargin = QStringLiteral("eval reward margin");
const QString kRewardAccuracy = QStringLiteral("reward accuracy");

// The value of TRL's metric `key` in `r`, if logged.
std::optional<double> loggedMetric(const train::LogRecord &r, const char *key)
{
    for (const auto &[name, value] : r.metrics)
        if (name == key)
            return value;
    return std::nullopt;
}

// Log lines kept in the pane; older ones scroll away (the file keeps them all).
constexpr int kMaxLogLines = 5000;
// A run's history entry is written at most this often while it logs.
constexpr int kHistorySaveMs = 5000;

QString logPath(const QString &dir)
{
    return QDir(dir).filePath(QStringLiteral("trainer_log.jsonl"));
}

QString formatBytes(qint64 bytes)
{
    return bytes < 0 ? QStringLiteral("?") : QLocale().formattedDataSize(bytes, 1, QLocale::DataSizeTraditionalFormat);
}

} // namespace

// Points of one read, appended to the chart in one call per series.
struct MonitorPage::Batch
{
    QVector<double> trainSteps, train;
    QVector<double> evalSteps, eval;
    QVector<double> lrSteps, lr;
    QVector<double> gradSteps, grad;
    QVector<double> throughputSteps, throughput;
    QVector<double> marginSteps, margin;
    QVector<double> evalMarginSteps, evalMargin;
    QVector<double> accuracySteps, accuracy;
    QStringList log;
    std::optional<train::LogRecord> last;  // the newest record: what the progress bar shows
};

MonitorPage::MonitorPage(QWidget *parent)
    : QWidget(parent)
    , m_runLabel(new QLabel(tr("No run open"), this))
    , m_status(new QLabel(this))
    , m_progress(new QProgressBar(this))
    , m_resources(new QLabel(this))
    , m_chart(new LossChart(this))
    , m_tabs(new QTabWidget(this))
    , m_pinned(new PinnedSamplesView(this))
    , m_checkpoints(new QTreeWidget(this))
    , m_log(new QPlainTextEdit(this))
    , m_history(new RunHistory(this))
    , m_watcher(new QFileSystemWatcher(this))
    , m_poll(new QTimer(this))
    , m_statsTimer(new QTimer(this))
    , m_gpu(std::make_unique<GpuStats>())
{
    setObjectName(QStringLiteral("monitorPage"));
    m_status->setObjectName(QStringLiteral("monitorStatus"));
    m_status->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_status->setWordWrap(true);
    m_status->hide();
    QFont runFont = m_runLabel->font();
    runFont.setBold(true);
    m_runLabel->setFont(runFont);
    m_runLabel->setTextInteractionFlags(Qt::TextSelectableByMouse);

    auto *open = new QPushButton(tr("Open run…"), this);
    open->setObjectName(QStringLiteral("monitorOpenButton"));
    open->setToolTip(tr("A training run's output_dir: its trainer_log.jsonl is drawn and followed while it grows."));
    connect(open, &QPushButton::clicked, this, &MonitorPage::browse);
    auto *png = new QPushButton(tr("Export PNG…"), this);
    png->setToolTip(tr("Save the chart as an image"));
    connect(png, &QPushButton::clicked, this, &MonitorPage::exportPng);
    auto *csv = new QPushButton(tr("Export CSV…"), this);
    csv->setToolTip(tr("Save every series as a table: one row per step"));
    connect(csv, &QPushButton::clicked, this, &MonitorPage::exportCsv);

    m_progress->setObjectName(QStringLiteral("monitorProgress"));
    m_progress->setRange(0, 1);
    m_progress->setValue(0);
    m_progress->setTextVisible(true);
    m_progress->setFormat(tr("No steps logged yet"));
    m_resources->setObjectName(QStringLiteral("monitorResources"));
    m_resources->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_resources->setForegroundRole(QPalette::PlaceholderText);

    // Series toggles: loss-sized values share the left axis; the learning rate and the throughput
    // take turns on the right one, their scales being far apart.
    auto *toggles = new QHBoxLayout;
    toggles->addWidget(new QLabel(tr("Show:"), this));
    auto addToggle = [&](const QString &series, const QString &label, bool on) {
        auto *box = new QCheckBox(label, this);
        box->setObjectName(QStringLiteral("monitorShow_") + QString(series).replace(QRegularExpression(QStringLiteral("\\W")), QStringLiteral("_")));
        box->setChecked(on);
        connect(box, &QCheckBox::toggled, this, [this, series](bool checked) { setSeriesShown(series, checked); });
        toggles->addWidget(box);
        return box;
    };
    addToggle(kTrainLoss, tr("Train loss"), true);
    addToggle(kEvalLoss, tr("Eval loss"), true);
    addToggle(kGradNorm, tr("Grad norm"), false);
    m_lrBox = addToggle(kLearningRate, tr("Learning rate"), true);
    m_throughputBox = addToggle(kThroughput, tr("Tokens/s"), false);
    // DPO's curves: shown (and ticked) once a run logs rewards.
    m_marginBox = addToggle(kRewardMargin, tr("Reward margin"), false);
    m_marginBox->setToolTip(tr("DPO: how much more the adapted model prefers the chosen answers than the base model "
                               "does, beta × (log-ratio chosen − log-ratio rejected), averaged; it should climb."));
    m_accuracyBox = addToggle(kRewardAccuracy, tr("Reward accuracy"), false);
    m_accuracyBox->setToolTip(tr("DPO: the share of pairs whose chosen answer gets the higher reward (0–1)."));
    m_marginBox->hide();
    m_accuracyBox->hide();
    toggles->addStretch(1);

    m_chart->addSeries(kTrainLoss, QColor(31, 119, 180), LossChart::YAxis::Left, /*smoothed=*/true);
    m_chart->addSeries(kEvalLoss, QColor(214, 39, 40), LossChart::YAxis::Left);
    m_chart->addSeries(kGradNorm, QColor(148, 103, 189), LossChart::YAxis::Left);
    m_chart->addSeries(kLearningRate, QColor(44, 160, 44), LossChart::YAxis::Right);
    m_chart->addSeries(kThroughput, QColor(255, 127, 14), LossChart::YAxis::Right);
    m_chart->addSeries(kRewardMargin, QColor(23, 190, 207), LossChart::YAxis::Left, /*smoothed=*/true);
    m_chart->addSeries(kEvalRewardMargin, QColor(140, 86, 75), LossChart::YAxis::Left);
    m_chart->addSeries(kRewardAccuracy, QColor(188, 189, 34), LossChart::YAxis::Left);
    m_chart->setSeriesVisible(kRewardMargin, false);
    m_chart->setSeriesVisible(kEvalRewardMargin, false);
    m_chart->setSeriesVisible(kRewardAccuracy, false);
    m_chart->setSeriesVisible(kGradNorm, false);
    m_chart->setSeriesVisible(kThroughput, false);
    m_chart->setAxisLabel(LossChart::YAxis::Left, tr("loss"));
    m_chart->setAxisLabel(LossChart::YAxis::Right, tr("learning rate"));

    m_checkpoints->setObjectName(QStringLiteral("monitorCheckpoints"));
    m_checkpoints->setHeaderLabels({tr("Checkpoint"), tr("Step"), tr("Saved")});
    m_checkpoints->setRootIsDecorated(false);
    m_checkpoints->setUniformRowHeights(true);
    m_checkpoints->setContextMenuPolicy(Qt::CustomContextMenu);
    m_checkpoints->header()->setSectionResizeMode(0, QHeaderView::Stretch);
    m_checkpoints->setToolTip(tr("Double-click a checkpoint to chat with it"));
    connect(m_checkpoints, &QTreeWidget::itemDoubleClicked, this, [this](QTreeWidgetItem *item) {
        emit checkpointActivated(item->data(0, Qt::UserRole).toString());
    });
    connect(m_checkpoints, &QTreeWidget::customContextMenuRequested, this, &MonitorPage::showCheckpointMenu);

    m_log->setObjectName(QStringLiteral("monitorLog"));
    m_log->setReadOnly(true);
    m_log->setMaximumBlockCount(kMaxLogLines);
    m_log->setLineWrapMode(QPlainTextEdit::NoWrap);
    m_log->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));

    m_tabs->setObjectName(QStringLiteral("monitorTabs"));
    m_tabs->addTab(m_pinned, tr("Pinned samples"));
    m_tabs->addTab(m_checkpoints, tr("Checkpoints"));
    m_tabs->addTab(m_log, tr("Log"));
    connect(m_pinned, &PinnedSamplesView::lineError, this, &MonitorPage::appendLog);

    // Layout: the run's header over a sidebar of past runs and the chart over the tabs.
    auto *top = new QHBoxLayout;
    top->addWidget(open);
    top->addWidget(m_runLabel, 1);
    top->addWidget(png);
    top->addWidget(csv);

    auto *chartPane = new QWidget(this);
    auto *chartLayout = new QVBoxLayout(chartPane);
    chartLayout->setContentsMargins(0, 0, 0, 0);
    chartLayout->addLayout(toggles);
    chartLayout->addWidget(m_chart, 1);
    auto *vertical = new QSplitter(Qt::Vertical, this);
    vertical->addWidget(chartPane);
    vertical->addWidget(m_tabs);
    vertical->setStretchFactor(0, 3);
    vertical->setStretchFactor(1, 2);
    vertical->setChildrenCollapsible(false);

    auto *horizontal = new QSplitter(Qt::Horizontal, this);
    horizontal->addWidget(m_history);
    horizontal->addWidget(vertical);
    horizontal->setStretchFactor(0, 0);
    horizontal->setStretchFactor(1, 1);
    horizontal->setSizes({240, 900});

    auto *layout = new QVBoxLayout(this);
    layout->addLayout(top);
    layout->addWidget(m_progress);
    layout->addWidget(m_resources);
    layout->addWidget(m_status);
    layout->addWidget(horizontal, 1);

    connect(m_history, &RunHistory::runActivated, this, [this](const QString &path) { openRun(path); });

    // The watcher misses appends on some file systems; the poll is the safety net.
    connect(m_watcher, &QFileSystemWatcher::fileChanged, this, &MonitorPage::refresh);
    connect(m_watcher, &QFileSystemWatcher::directoryChanged, this, &MonitorPage::refresh);
    m_poll->setInterval(1000);
    connect(m_poll, &QTimer::timeout, this, &MonitorPage::refresh);
    m_statsTimer->setInterval(1000);
    connect(m_statsTimer, &QTimer::timeout, this, &MonitorPage::sampleResources);
    sampleResources();
}

MonitorPage::~MonitorPage()
{
    // The window around this page is being torn down: store the run, rebuild no widget.
    saveHistory(/*redraw=*/false);
}

void MonitorPage::showEvent(QShowEvent *event)
{
    QWidget::showEvent(event);
    sampleResources();
    m_statsTimer->start();
}

void MonitorPage::hideEvent(QHideEvent *event)
{
    QWidget::hideEvent(event);
    m_statsTimer->stop();  // nobody looks: no readings
}

void MonitorPage::browse()
{
    const QString dir = QFileDialog::getExistingDirectory(this, tr("Training run (output_dir)"), m_dir);
    if (!dir.isEmpty())
        openRun(dir);
}

void MonitorPage::exportPng()
{
    const QString name = m_dir.isEmpty() ? QStringLiteral("loss") : QFileInfo(m_dir).fileName() + QStringLiteral("-loss");
    const QString path = QFileDialog::getSaveFileName(this, tr("Export chart"), QDir(m_dir).filePath(name + QStringLiteral(".png")),
                                                      tr("PNG images (*.png)"));
    if (path.isEmpty())
        return;
    QString error;
    if (!m_chart->exportPng(path, 1600, 900, &error))
        QMessageBox::warning(this, tr("Export chart"), error);
}

void MonitorPage::exportCsv()
{
    const QString name = m_dir.isEmpty() ? QStringLiteral("loss") : QFileInfo(m_dir).fileName() + QStringLiteral("-loss");
    const QString path = QFileDialog::getSaveFileName(this, tr("Export data"), QDir(m_dir).filePath(name + QStringLiteral(".csv")),
                                                      tr("CSV files (*.csv)"));
    if (path.isEmpty())
        return;
    QString error;
    if (!m_chart->exportCsv(path, &error))
        QMessageBox::warning(this, tr("Export data"), error);
}

void MonitorPage::reset()
{
    m_chart->clear();
    m_offset = 0;
    m_lines = 0;
    m_lastStep = -1;
    m_totalSteps = 0;
    m_error.clear();
    m_progress->setRange(0, 1);
    m_progress->setValue(0);
    m_progress->setFormat(tr("No steps logged yet"));
    m_marginBox->setChecked(false);
    m_accuracyBox->setChecked(false);
    m_marginBox->hide();
    m_accuracyBox->hide();
    m_chart->setAxisLabel(LossChart::YAxis::Left, tr("loss"));
}

bool MonitorPage::openRun(const QString &dir)
{
    saveHistory();  // the run being left keeps its last state
    if (!m_watcher->files().isEmpty())
        m_watcher->removePaths(m_watcher->files());
    if (!m_watcher->directories().isEmpty())
        m_watcher->removePaths(m_watcher->directories());
    m_dir = dir;
    reset();
    m_log->clear();
    m_checkpoints->clear();
    m_checkpointKey.clear();
    m_runLabel->setText(QDir::toNativeSeparators(dir));
    m_runLabel->setToolTip(QDir::toNativeSeparators(dir));
    m_history->touch(dir);
    m_watcher->addPath(dir);
    if (QFileInfo::exists(logPath(dir)))
        m_watcher->addPath(logPath(dir));
    m_pinned->setRunDir(dir);
    m_poll->start();
    refresh();
    m_historyDirty = true;
    saveHistory();
    return QFileInfo::exists(logPath(dir));
}

void MonitorPage::refresh()
{
    if (m_dir.isEmpty())
        return;
    readLog();
    refreshCheckpoints();
    m_pinned->refresh();
    if (m_historyDirty && (!m_sinceHistorySave.isValid() || m_sinceHistorySave.elapsed() >= kHistorySaveMs))
        saveHistory();
}

void MonitorPage::readLog()
{
    const QString path = logPath(m_dir);
    QFile file(path);
    if (!file.exists()) {
        m_status->setText(tr("No trainer_log.jsonl in this folder yet: waiting for the run to log its first step."));
        m_status->show();
        return;
    }
    if (!m_watcher->files().contains(path))
        m_watcher->addPath(path);
    if (file.size() < m_offset) {
        reset();  // rewritten (a resumed run truncates its log): draw it again from the start
        appendLog(tr("trainer_log.jsonl was rewritten (the run resumed): reading it again"));
    }
    if (!file.open(QIODevice::ReadOnly) || !file.seek(m_offset)) {
        m_status->setText(tr("Cannot read %1: %2").arg(QDir::toNativeSeparators(path), file.errorString()));
        m_status->show();
        return;
    }
    const QByteArray fresh = file.readAll();
    // Only complete lines: the writer may be half-way through the last one.
    const qsizetype end = fresh.lastIndexOf('\n');
    if (end < 0) {
        m_status->setText(statusText());
        m_status->setVisible(!m_status->text().isEmpty());
        return;
    }
    Batch batch;
    for (const QByteArray &line : fresh.left(end).split('\n'))
        addLine(line.toStdString(), ++m_lines, batch);
    m_offset += end + 1;

    // Once per read: QProgressBar repaints at once on a value change, too slow for every line.
    if (batch.last)
        showProgress(*batch.last);
    m_chart->appendPoints(kTrainLoss, batch.trainSteps, batch.train);
    m_chart->appendPoints(kEvalLoss, batch.evalSteps, batch.eval);
    m_chart->appendPoints(kLearningRate, batch.lrSteps, batch.lr);
    m_chart->appendPoints(kGradNorm, batch.gradSteps, batch.grad);
    m_chart->appendPoints(kThroughput, batch.throughputSteps, batch.throughput);
    m_chart->appendPoints(kRewardMargin, batch.marginSteps, batch.margin);
    m_chart->appendPoints(kEvalRewardMargin, batch.evalMarginSteps, batch.evalMargin);
    m_chart->appendPoints(kRewardAccuracy, batch.accuracySteps, batch.accuracy);
    if ((!batch.marginSteps.isEmpty() || !batch.evalMarginSteps.isEmpty()) && m_marginBox->isHidden()) {
        m_marginBox->show();
        m_accuracyBox->show();
        m_marginBox->setChecked(true);  // a preference run: its margin is what to watch
        m_chart->setAxisLabel(LossChart::YAxis::Left, tr("loss, reward"));
    }
    // The pane keeps only its last lines anyway: a long log reopened costs one append, not 100k.
    if (batch.log.size() > kMaxLogLines)
        batch.log = batch.log.mid(batch.log.size() - kMaxLogLines);
    if (!batch.log.isEmpty())
        m_log->appendPlainText(batch.log.join(QLatin1Char('\n')));
    if (!batch.trainSteps.isEmpty() || !batch.evalSteps.isEmpty())
        m_historyDirty = true;
    m_status->setText(statusText());
    m_status->setVisible(!m_status->text().isEmpty());
}

void MonitorPage::addLine(const std::string &line, qint64 lineNumber, Batch &batch)
{
    std::optional<train::LogRecord> r;
    try {
        r = train::parse_log_line(line, "trainer_log.jsonl line " + std::to_string(lineNumber));
    } catch (const Error &e) {
        const QString message = QString::fromStdString(e.what());
        if (m_error.isEmpty())
            m_error = message;
        batch.log.append(tr("skipped: %1").arg(message));
        return;  // one bad line costs that line, not the chart
    }
    if (!r)
        return;
    const double step = static_cast<double>(r->current_steps);
    QStringList parts{tr("step %1/%2").arg(r->current_steps).arg(r->total_steps)};
    if (r->loss) {
        batch.trainSteps.append(step);
        batch.train.append(*r->loss);
        parts.append(tr("loss %1").arg(*r->loss, 0, 'f', 4));
    }
    if (r->eval_loss) {
        batch.evalSteps.append(step);
        batch.eval.append(*r->eval_loss);
        parts.append(tr("eval loss %1").arg(*r->eval_loss, 0, 'f', 4));
    }
    if (r->lr) {
        batch.lrSteps.append(step);
        batch.lr.append(*r->lr);
        parts.append(tr("lr %1").arg(*r->lr, 0, 'e', 2));
    }
    if (r->grad_norm) {
        batch.gradSteps.append(step);
        batch.grad.append(*r->grad_norm);
        parts.append(tr("grad norm %1").arg(*r->grad_norm, 0, 'f', 3));
    }
    if (const auto margin = loggedMetric(*r, "rewards/margins")) {
        batch.marginSteps.append(step);
        batch.margin.append(*margin);
        parts.append(tr("reward margin %1").arg(*margin, 0, 'f', 4));
    }
    if (const auto accuracy = loggedMetric(*r, "rewards/accuracies")) {
        batch.accuracySteps.append(step);
        batch.accuracy.append(*accuracy);
        parts.append(tr("accuracy %1").arg(*accuracy, 0, 'f', 3));
    }
    if (const auto margin = loggedMetric(*r, "eval_rewards/margins")) {
        batch.evalMarginSteps.append(step);
        batch.evalMargin.append(*margin);
        parts.append(tr("eval reward margin %1").arg(*margin, 0, 'f', 4));
    }
    if (r->throughput) {
        batch.throughputSteps.append(step);
        batch.throughput.append(*r->throughput);
        parts.append(tr("%1 tokens/s").arg(*r->throughput, 0, 'f', 0));
    }
    batch.log.append(parts.join(QStringLiteral("  ")));

    m_lastStep = r->current_steps;
    m_totalSteps = r->total_steps;
    batch.last = std::move(r);
}

void MonitorPage::showProgress(const train::LogRecord &r)
{
    QStringList text{tr("step %1 / %2").arg(r.current_steps).arg(r.total_steps)};
    if (r.epoch)
        text.append(tr("epoch %1").arg(*r.epoch, 0, 'f', 2));
    if (!r.elapsed_time.empty())
        text.append(tr("%1 elapsed").arg(QString::fromStdString(r.elapsed_time)));
    if (r.total_steps > 0 && r.current_steps >= r.total_steps)
        text.append(tr("done"));
    else if (!r.remaining_time.empty())
        text.append(tr("ETA %1").arg(QString::fromStdString(r.remaining_time)));
    // QProgressBar expands %p, %v and %m in its format.
    m_progress->setFormat(text.join(QStringLiteral(" · ")).replace(QLatin1Char('%'), QStringLiteral("%%")));
    // Steps can pass int's range only in theory; the bar counts in int.
    const int total = int(std::clamp<qint64>(r.total_steps, 1, INT_MAX));
    m_progress->setRange(0, total);
    m_progress->setValue(int(std::clamp<qint64>(r.current_steps, 0, total)));
}

void MonitorPage::refreshCheckpoints()
{
    static const QRegularExpression name(QStringLiteral("^checkpoint-(\\d+)$"));
    // tmp-checkpoint-N is renamed to checkpoint-N once complete, so a listed one is whole.
    const QFileInfoList dirs = QDir(m_dir).entryInfoList({QStringLiteral("checkpoint-*")}, QDir::Dirs | QDir::NoDotAndDotDot);
    struct Entry
    {
        qint64 step;
        QFileInfo info;
    };
    QVector<Entry> entries;
    QString key;
    for (const QFileInfo &info : dirs) {
        const auto match = name.match(info.fileName());
        if (!match.hasMatch())
            continue;
        entries.append({match.captured(1).toLongLong(), info});
        key += info.fileName() + QLatin1Char('@') + QString::number(info.lastModified().toMSecsSinceEpoch()) + QLatin1Char(';');
    }
    if (key == m_checkpointKey)
        return;
    m_checkpointKey = key;
    std::sort(entries.begin(), entries.end(), [](const Entry &a, const Entry &b) { return a.step > b.step; });
    const QString selected = m_checkpoints->currentItem() ? m_checkpoints->currentItem()->data(0, Qt::UserRole).toString() : QString();
    m_checkpoints->clear();
    for (const Entry &e : entries) {
        auto *item = new QTreeWidgetItem(m_checkpoints);
        item->setText(0, e.info.fileName());
        item->setText(1, QLocale().toString(e.step));
        item->setTextAlignment(1, Qt::AlignRight | Qt::AlignVCenter);
        item->setText(2, QLocale().toString(e.info.lastModified(), QLocale::ShortFormat));
        item->setData(0, Qt::UserRole, e.info.absoluteFilePath());
        item->setData(1, Qt::UserRole, e.step);
        item->setToolTip(0, QDir::toNativeSeparators(e.info.absoluteFilePath()));
        if (e.info.absoluteFilePath() == selected)
            m_checkpoints->setCurrentItem(item);
    }
    m_checkpoints->resizeColumnToContents(1);
    m_tabs->setTabText(m_tabs->indexOf(m_checkpoints),
                       entries.isEmpty() ? tr("Checkpoints") : tr("Checkpoints (%1)").arg(entries.size()));
}

void MonitorPage::showCheckpointMenu(const QPoint &pos)
{
    QTreeWidgetItem *item = m_checkpoints->itemAt(pos);
    if (!item)
        return;
    const QString dir = item->data(0, Qt::UserRole).toString();
    QMenu menu(this);
    menu.addAction(tr("Open in Chat"), this, [this, dir] { emit checkpointActivated(dir); });
    menu.addAction(tr("Show folder"), this, [dir] { QDesktopServices::openUrl(QUrl::fromLocalFile(dir)); });
    menu.exec(m_checkpoints->viewport()->mapToGlobal(pos));
}

QVector<qint64> MonitorPage::checkpointSteps() const
{
    QVector<qint64> out;
    for (int i = 0; i < m_checkpoints->topLevelItemCount(); ++i)
        out.append(m_checkpoints->topLevelItem(i)->data(1, Qt::UserRole).toLongLong());
    return out;
}

void MonitorPage::saveHistory(bool redraw)
{
    if (m_dir.isEmpty() || !m_historyDirty)
        return;
    RunRecord r;
    r.path = m_dir;
    r.lastStep = m_lastStep;
    r.totalSteps = m_totalSteps;
    r.losses = m_chart->values(kTrainLoss);
    m_history->update(r, redraw);
    m_historyDirty = false;
    m_sinceHistorySave.start();
}

void MonitorPage::setSeriesShown(const QString &series, bool on)
{
    m_chart->setSeriesVisible(series, on);
    if (series == kRewardMargin)
        m_chart->setSeriesVisible(kEvalRewardMargin, on);
    // One series on the right axis at a time: their scales (1e-4 against 1e4) cannot share it.
    if (on && series == kLearningRate)
        m_throughputBox->setChecked(false);
    if (on && series == kThroughput)
        m_lrBox->setChecked(false);
    if (on && (series == kLearningRate || series == kThroughput))
        m_chart->setAxisLabel(LossChart::YAxis::Right, series == kThroughput ? tr("tokens/s") : tr("learning rate"));
}

QString MonitorPage::statusText() const
{
    return m_error.isEmpty() ? QString() : tr("Skipped: %1").arg(m_error);
}

QString MonitorPage::progressText() const
{
    return m_progress->format();
}

QString MonitorPage::logText() const
{
    return m_log->toPlainText();
}

QString MonitorPage::resourcesText() const
{
    return m_resources->text();
}

void MonitorPage::sampleResources()
{
    QStringList parts;
    if (!m_gpu->available()) {
        parts.append(tr("No NVIDIA GPU (%1)").arg(m_gpu->unavailableReason()));
    } else {
        const QVector<GpuSample> gpus = m_gpu->sampleGpus();
        if (gpus.isEmpty())
            parts.append(tr("No NVIDIA GPU (NVML reports none)"));
        for (int i = 0; i < gpus.size(); ++i) {
            const GpuSample &g = gpus[i];
            QStringList gpu{tr("GPU %1 %2").arg(i).arg(g.name)};
            if (g.utilizationPercent >= 0)
                gpu.append(tr("%1% busy").arg(g.utilizationPercent));
            if (g.memoryTotal > 0)
                gpu.append(tr("%1 / %2").arg(formatBytes(g.memoryUsed), formatBytes(g.memoryTotal)));
            if (g.temperatureC >= 0)
                gpu.append(tr("%1 °C").arg(g.temperatureC));
            if (g.powerW >= 0)
                gpu.append(tr("%1 W").arg(g.powerW, 0, 'f', 0));
            parts.append(gpu.join(QStringLiteral(" · ")));
        }
    }
    const MemorySample memory = GpuStats::sampleMemory();
    QStringList cpu;
    if (memory.processRss >= 0)
        cpu.append(tr("this app %1").arg(formatBytes(memory.processRss)));
    if (memory.systemTotal > 0 && memory.systemAvailable >= 0)
        cpu.append(tr("system %1 / %2 used").arg(formatBytes(memory.systemTotal - memory.systemAvailable), formatBytes(memory.systemTotal)));
    if (!cpu.isEmpty())
        parts.append(tr("CPU memory: %1").arg(cpu.join(QStringLiteral(" · "))));
    m_resources->setText(parts.join(QStringLiteral("   |   ")));
}

void MonitorPage::appendLog(const QString &message)
{
    m_log->appendPlainText(message);
}

} // namespace vltune
