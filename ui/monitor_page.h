#pragma once

#include <QElapsedTimer>
#include <QString>
#include <QVector>
#include <QWidget>

#include <memory>

namespace vltune::train {
struct LogRecord;
}

class QCheckBox;
class QFileSystemWatcher;
class QLabel;
class QPlainTextEdit;
class QProgressBar;
class QTabWidget;
class QTimer;
class QTreeWidget;

namespace vltune {

class GpuStats;
class LossChart;
class PinnedSamplesView;
class RunHistory;

// Monitor: a run's output_dir drawn from its trainer_log.jsonl (train loss raw and smoothed, eval
// loss, learning rate, grad norm, tokens/s; DPO runs add their reward margin and accuracy), followed live while the run writes it (from this app or
// vltune-cli), and redrawn whole when reopened later. Around the chart: the progress, GPU and memory
// readings, the run's checkpoints, its pinned samples' answers, a log, and the runs opened before.
class MonitorPage final : public QWidget
{
    Q_OBJECT

public:
    explicit MonitorPage(QWidget *parent = nullptr);
    ~MonitorPage() override;

    // Shows the run in `dir` and follows its log. False (and a message in the status line) when
    // the folder has no trainer_log.jsonl yet; it is still watched, so a run that starts appears.
    bool openRun(const QString &dir);
    QString runDir() const { return m_dir; }
    LossChart *chart() const { return m_chart; }
    PinnedSamplesView *pinnedView() const { return m_pinned; }
    RunHistory *runHistory() const { return m_history; }
    // The status line: what went wrong reading the log, or what the page waits for.
    QString statusText() const;
    // The progress bar's text ("step 120 / 600 · epoch 1.20 · 0:04:10 elapsed · ETA 0:16:40").
    QString progressText() const;
    // The checkpoint-N folders of the run as listed, newest (highest step) first: their steps.
    QVector<qint64> checkpointSteps() const;
    // The GPU and memory strip's text.
    QString resourcesText() const;
    // The log pane's text.
    QString logText() const;
    // Reads what the log, the checkpoints and the pinned samples gained since the last read (also
    // called by the watcher and a poll timer).
    void refresh();
    // Takes a GPU and memory reading now (a timer does it every second while the page is shown).
    void sampleResources();

public slots:
    // A line for the log pane (the training controller's messages).
    void appendLog(const QString &message);

signals:
    // A checkpoint was double-clicked (or "Open in Chat" chosen): its folder, to open in Chat.
    void checkpointActivated(const QString &dir);

protected:
    void showEvent(QShowEvent *event) override;
    void hideEvent(QHideEvent *event) override;

private:
    struct Batch;

    void browse();
    void exportPng();
    void exportCsv();
    void reset();
    void readLog();
    void addLine(const std::string &line, qint64 lineNumber, Batch &batch);
    void showProgress(const train::LogRecord &record);
    void refreshCheckpoints();
    void saveHistory(bool redraw = true);
    void setSeriesShown(const QString &series, bool on);
    void showCheckpointMenu(const QPoint &pos);

    QLabel *m_runLabel = nullptr;
    QLabel *m_status = nullptr;
    QProgressBar *m_progress = nullptr;
    QLabel *m_resources = nullptr;
    LossChart *m_chart = nullptr;
    QCheckBox *m_lrBox = nullptr;
    QCheckBox *m_throughputBox = nullptr;
    QCheckBox *m_marginBox = nullptr;    // DPO runs only
    QCheckBox *m_accuracyBox = nullptr;  // DPO runs only
    QTabWidget *m_tabs = nullptr;
    PinnedSamplesView *m_pinned = nullptr;
    QTreeWidget *m_checkpoints = nullptr;
    QPlainTextEdit *m_log = nullptr;
    RunHistory *m_history = nullptr;
    QFileSystemWatcher *m_watcher = nullptr;
    QTimer *m_poll = nullptr;
    QTimer *m_statsTimer = nullptr;
    std::unique_ptr<GpuStats> m_gpu;
    QString m_dir;
    qint64 m_offset = 0;      // bytes of the log already read (complete lines only)
    qint64 m_lines = 0;       // lines read
    qint64 m_lastStep = -1;   // last step logged
    qint64 m_totalSteps = 0;  // steps the run makes
    QString m_error;          // the first unreadable line, if any
    QString m_checkpointKey;  // names and times of the listed checkpoints, to skip needless rebuilds
    QElapsedTimer m_sinceHistorySave;
    bool m_historyDirty = false;
};

} // namespace vltune
