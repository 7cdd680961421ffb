#pragma once

#include <QDateTime>
#include <QString>
#include <QVector>
#include <QWidget>

class QListWidget;
class QListWidgetItem;

namespace vltune {

// A training run the Monitor has shown, as remembered between sessions.
struct RunRecord
{
    QString path;            // the run's output_dir, absolute
    QString name;            // shown name (the folder's name)
    qint64 lastStep = -1;    // last logged step (-1: nothing logged yet)
    qint64 totalSteps = 0;   // steps the run makes
    QVector<double> losses;  // train loss, downsampled for the sparkline
    QDateTime opened;        // last time the Monitor showed it
};

// The Monitor's list of past runs, newest first, each with its loss sparkline; clicking one
// reopens it. Kept in QSettings (group "monitor/runs"), so it survives restarts; at most kMaxRuns.
class RunHistory final : public QWidget
{
    Q_OBJECT

public:
    static constexpr int kMaxRuns = 20;
    static constexpr int kSparklinePoints = 64;

    explicit RunHistory(QWidget *parent = nullptr);

    QVector<RunRecord> runs() const { return m_runs; }
    // Moves the run at `path` to the top (adding it when new), marks it current, and saves.
    void touch(const QString &path);
    // Updates the listed run with `record.path` (steps and losses) and saves; ignored if not listed.
    // `redraw` false: only the stored list changes (the page is being destroyed, so its widgets
    // must not be rebuilt).
    void update(const RunRecord &record, bool redraw = true);
    void remove(const QString &path);
    // Re-reads the list from QSettings.
    void reload();
    // The list, for tests.
    QListWidget *list() const { return m_list; }

signals:
    void runActivated(const QString &path);

private:
    void save() const;
    void rebuild();
    void showContextMenu(const QPoint &pos);
    int indexOf(const QString &path) const;

    QListWidget *m_list = nullptr;
    QVector<RunRecord> m_runs;
    QString m_current;
};

} // namespace vltune
