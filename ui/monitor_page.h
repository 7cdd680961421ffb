#pragma once

#include <QString>
#include <QWidget>

class QFileSystemWatcher;
class QLabel;
class QTimer;

namespace vltune {

class LossChart;

// Monitor: a run's output_dir drawn from its trainer_log.jsonl (train loss raw and smoothed, eval
// loss, learning rate), followed live while the run writes it (from this app or vltune-cli), and
// redrawn whole when reopened later.
class MonitorPage final : public QWidget
{
    Q_OBJECT

public:
    explicit MonitorPage(QWidget *parent = nullptr);

    // Shows the run in `dir` and follows its log. False (and a message in the status line) when
    // the folder has no trainer_log.jsonl yet; it is still watched, so a run that starts appears.
    bool openRun(const QString &dir);
    QString runDir() const { return m_dir; }
    LossChart *chart() const { return m_chart; }
    // The status line: steps, times, last loss, or what went wrong reading the log.
    QString statusText() const;
    // Reads what the log gained since the last read (also called by the watcher and a poll timer).
    void refresh();

private:
    void browse();
    void reset();
    void addLine(const std::string &line, qint64 lineNumber);

    QLabel *m_runLabel = nullptr;
    QLabel *m_status = nullptr;
    LossChart *m_chart = nullptr;
    QFileSystemWatcher *m_watcher = nullptr;
    QTimer *m_poll = nullptr;
    QString m_dir;
    qint64 m_offset = 0;      // bytes of the log already read (complete lines only)
    qint64 m_lines = 0;       // lines read
    double m_lastStep = -1;   // last step drawn
    QString m_summary;        // the last record's steps and times
    QString m_error;          // the first unreadable line, if any
};

} // namespace vltune
