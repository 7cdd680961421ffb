// The engine's log format first (no LibTorch here, but the core's headers come before Qt's).
#include "core/error.h"
#include "core/train/trainer_log.h"

#include "ui/monitor_page.h"

#include <QDir>
#include <QFile>
#include <QFileDialog>
#include <QFileInfo>
#include <QFileSystemWatcher>
#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>
#include <QTimer>
#include <QVBoxLayout>

#include "widgets/loss_chart.h"

namespace vltune {

namespace {

const QString kTrainLoss = QStringLiteral("train loss");
const QString kEvalLoss = QStringLiteral("eval loss");
const QString kLearningRate = QStringLiteral("learning rate");

QString logPath(const QString &dir)
{
    return QDir(dir).filePath(QStringLiteral("trainer_log.jsonl"));
}

} // namespace

MonitorPage::MonitorPage(QWidget *parent)
    : QWidget(parent)
    , m_runLabel(new QLabel(tr("No run open"), this))
    , m_status(new QLabel(this))
    , m_chart(new LossChart(this))
    , m_watcher(new QFileSystemWatcher(this))
    , m_poll(new QTimer(this))
{
    setObjectName(QStringLiteral("monitorPage"));
    m_status->setObjectName(QStringLiteral("monitorStatus"));
    m_status->setTextInteractionFlags(Qt::TextSelectableByMouse);
    auto *open = new QPushButton(tr("Open run…"), this);
    open->setObjectName(QStringLiteral("monitorOpenButton"));
    open->setToolTip(tr("A training run's output_dir: its trainer_log.jsonl is drawn and followed while it grows."));
    connect(open, &QPushButton::clicked, this, &MonitorPage::browse);

    auto *top = new QHBoxLayout;
    top->addWidget(open);
    top->addWidget(m_runLabel, 1);
    auto *layout = new QVBoxLayout(this);
    layout->addLayout(top);
    layout->addWidget(m_status);
    layout->addWidget(m_chart, 1);

    m_chart->addSeries(kTrainLoss, QColor(31, 119, 180), LossChart::YAxis::Left, /*smoothed=*/true);
    m_chart->addSeries(kEvalLoss, QColor(214, 39, 40), LossChart::YAxis::Left);
    m_chart->addSeries(kLearningRate, QColor(44, 160, 44), LossChart::YAxis::Right);
    m_chart->setAxisLabel(LossChart::YAxis::Left, tr("loss"));
    m_chart->setAxisLabel(LossChart::YAxis::Right, tr("learning rate"));

    // The watcher misses appends on some file systems; the poll is the safety net.
    connect(m_watcher, &QFileSystemWatcher::fileChanged, this, &MonitorPage::refresh);
    connect(m_watcher, &QFileSystemWatcher::directoryChanged, this, &MonitorPage::refresh);
    m_poll->setInterval(1000);
    connect(m_poll, &QTimer::timeout, this, &MonitorPage::refresh);
}

void MonitorPage::browse()
{
    const QString dir = QFileDialog::getExistingDirectory(this, tr("Training run (output_dir)"), m_dir);
    if (!dir.isEmpty())
        openRun(dir);
}

void MonitorPage::reset()
{
    m_chart->clear();
    m_offset = 0;
    m_lines = 0;
    m_lastStep = -1;
    m_summary.clear();
    m_error.clear();
}

bool MonitorPage::openRun(const QString &dir)
{
    if (!m_watcher->files().isEmpty())
        m_watcher->removePaths(m_watcher->files());
    if (!m_watcher->directories().isEmpty())
        m_watcher->removePaths(m_watcher->directories());
    m_dir = dir;
    reset();
    m_runLabel->setText(QDir::toNativeSeparators(dir));
    m_watcher->addPath(dir);
    if (QFileInfo::exists(logPath(dir)))
        m_watcher->addPath(logPath(dir));
    m_poll->start();
    refresh();
    return QFileInfo::exists(logPath(dir));
}

void MonitorPage::refresh()
{
    if (m_dir.isEmpty())
        return;
    const QString path = logPath(m_dir);
    QFile file(path);
    if (!file.exists()) {
        m_status->setText(tr("No trainer_log.jsonl in this folder yet: waiting for the run to log its first step."));
        return;
    }
    if (!m_watcher->files().contains(path))
        m_watcher->addPath(path);
    if (file.size() < m_offset)
        reset();  // rewritten (a resumed run truncates its log): draw it again from the start
    if (!file.open(QIODevice::ReadOnly) || !file.seek(m_offset))
        return;
    const QByteArray fresh = file.readAll();
    // Only complete lines: the writer may be half-way through the last one.
    const qsizetype end = fresh.lastIndexOf('\n');
    if (end < 0)
        return;
    for (const QByteArray &line : fresh.left(end).split('\n'))
        addLine(line.toStdString(), ++m_lines);
    m_offset += end + 1;
    m_status->setText(statusText());
}

void MonitorPage::addLine(const std::string &line, qint64 lineNumber)
{
    std::optional<train::LogRecord> r;
    try {
        r = train::parse_log_line(line, "trainer_log.jsonl line " + std::to_string(lineNumber));
    } catch (const Error &e) {
        if (m_error.isEmpty())
            m_error = QString::fromStdString(e.what());
        return;  // one bad line costs that line, not the chart
    }
    if (!r)
        return;
    const double step = static_cast<double>(r->current_steps);
    if (r->loss)
        m_chart->appendPoints(kTrainLoss, {step}, {*r->loss});
    if (r->eval_loss)
        m_chart->appendPoints(kEvalLoss, {step}, {*r->eval_loss});
    if (r->lr)
        m_chart->appendPoints(kLearningRate, {step}, {*r->lr});
    m_lastStep = step;
    QString summary = tr("step %1 of %2 (%3%) · elapsed %4 · remaining %5")
                          .arg(r->current_steps)
                          .arg(r->total_steps)
                          .arg(r->percentage)
                          .arg(QString::fromStdString(r->elapsed_time), QString::fromStdString(r->remaining_time));
    if (r->throughput)
        summary += tr(" · %1 tokens/s").arg(*r->throughput, 0, 'f', 0);
    m_summary = summary;
}

QString MonitorPage::statusText() const
{
    QString text = m_summary;
    if (!m_error.isEmpty())
        text += (text.isEmpty() ? QString() : QStringLiteral(" · ")) + tr("skipped: %1").arg(m_error);
    return text;
}

} // namespace vltune
