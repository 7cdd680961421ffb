#include "ui/run_history.h"

#include <QDir>
#include <QFileInfo>
#include <QGridLayout>
#include <QLabel>
#include <QListWidget>
#include <QMenu>
#include <QSettings>
#include <QVBoxLayout>

#include "widgets/sparkline.h"

namespace vltune {

namespace {

const QString kGroup = QStringLiteral("monitor/runs");

QString joinNumbers(const QVector<double> &values)
{
    QStringList parts;
    parts.reserve(values.size());
    for (double v : values)
        parts.append(QString::number(v, 'g', 5));
    return parts.join(QLatin1Char(' '));
}

QVector<double> splitNumbers(const QString &text)
{
    QVector<double> out;
    for (const QString &part : text.split(QLatin1Char(' '), Qt::SkipEmptyParts)) {
        bool ok = false;
        const double v = part.toDouble(&ok);
        if (ok)
            out.append(v);
    }
    return out;
}

} // namespace

RunHistory::RunHistory(QWidget *parent)
    : QWidget(parent)
    , m_list(new QListWidget(this))
{
    setObjectName(QStringLiteral("runHistory"));
    m_list->setObjectName(QStringLiteral("runHistoryList"));
    // The open run's row is drawn as selected by the row itself (see rebuild()).
    m_list->setSelectionMode(QAbstractItemView::NoSelection);
    m_list->setContextMenuPolicy(Qt::CustomContextMenu);
    m_list->setUniformItemSizes(true);
    // Rows fit the list's width (names are cut, the tooltip has the path): no sideways scrolling.
    m_list->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    m_list->setResizeMode(QListView::Adjust);
    auto *title = new QLabel(tr("Recent runs"), this);
    QFont bold = title->font();
    bold.setBold(true);
    title->setFont(bold);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(title);
    layout->addWidget(m_list, 1);

    connect(m_list, &QListWidget::itemClicked, this, [this](QListWidgetItem *item) {
        const QString path = item->data(Qt::UserRole).toString();
        // Queued: reopening rebuilds this list, which must not happen inside its own click.
        if (path != m_current)
            QMetaObject::invokeMethod(this, [this, path] { emit runActivated(path); }, Qt::QueuedConnection);
    });
    connect(m_list, &QListWidget::customContextMenuRequested, this, &RunHistory::showContextMenu);
    reload();
}

void RunHistory::reload()
{
    m_runs.clear();
    QSettings settings;
    const int n = settings.beginReadArray(kGroup);
    for (int i = 0; i < n && m_runs.size() < kMaxRuns; ++i) {
        settings.setArrayIndex(i);
        RunRecord r;
        r.path = settings.value(QStringLiteral("path")).toString();
        if (r.path.isEmpty())
            continue;
        r.name = settings.value(QStringLiteral("name")).toString();
        r.lastStep = settings.value(QStringLiteral("lastStep"), -1).toLongLong();
        r.totalSteps = settings.value(QStringLiteral("totalSteps"), 0).toLongLong();
        r.losses = splitNumbers(settings.value(QStringLiteral("losses")).toString());
        r.opened = settings.value(QStringLiteral("opened")).toDateTime();
        m_runs.append(r);
    }
    settings.endArray();
    rebuild();
}

void RunHistory::save() const
{
    QSettings settings;
    settings.remove(kGroup);
    settings.beginWriteArray(kGroup, int(m_runs.size()));
    for (int i = 0; i < m_runs.size(); ++i) {
        const RunRecord &r = m_runs[i];
        settings.setArrayIndex(i);
        settings.setValue(QStringLiteral("path"), r.path);
        settings.setValue(QStringLiteral("name"), r.name);
        settings.setValue(QStringLiteral("lastStep"), r.lastStep);
        settings.setValue(QStringLiteral("totalSteps"), r.totalSteps);
        settings.setValue(QStringLiteral("losses"), joinNumbers(r.losses));
        settings.setValue(QStringLiteral("opened"), r.opened);
    }
    settings.endArray();
}

int RunHistory::indexOf(const QString &path) const
{
    for (int i = 0; i < m_runs.size(); ++i) {
        if (m_runs[i].path == path)
            return i;
    }
    return -1;
}

void RunHistory::touch(const QString &path)
{
    const QString clean = QDir::cleanPath(QFileInfo(path).absoluteFilePath());
    RunRecord r;
    if (const int i = indexOf(clean); i >= 0)
        r = m_runs.takeAt(i);
    r.path = clean;
    r.name = QFileInfo(clean).fileName();
    r.opened = QDateTime::currentDateTime();
    m_runs.prepend(r);
    while (m_runs.size() > kMaxRuns)
        m_runs.removeLast();
    m_current = clean;
    save();
    rebuild();
}

void RunHistory::update(const RunRecord &record, bool redraw)
{
    const int i = indexOf(QDir::cleanPath(QFileInfo(record.path).absoluteFilePath()));
    if (i < 0)
        return;
    RunRecord &r = m_runs[i];
    r.lastStep = record.lastStep;
    r.totalSteps = record.totalSteps;
    r.losses = Sparkline::downsample(record.losses, kSparklinePoints);
    save();
    if (redraw)
        rebuild();
}

void RunHistory::remove(const QString &path)
{
    const int i = indexOf(path);
    if (i < 0)
        return;
    m_runs.removeAt(i);
    save();
    rebuild();
}

void RunHistory::showContextMenu(const QPoint &pos)
{
    QListWidgetItem *item = m_list->itemAt(pos);
    if (!item)
        return;
    const QString path = item->data(Qt::UserRole).toString();
    QMenu menu(this);
    menu.addAction(tr("Open"), this, [this, path] { emit runActivated(path); });
    menu.addAction(tr("Remove from list"), this, [this, path] { remove(path); });
    menu.exec(m_list->viewport()->mapToGlobal(pos));
}

void RunHistory::rebuild()
{
    m_list->clear();
    for (const RunRecord &r : m_runs) {
        const bool missing = !QFileInfo(r.path).isDir();
        auto *row = new QWidget;
        auto *name = new QLabel(r.name.isEmpty() ? r.path : r.name, row);
        QFont bold = name->font();
        bold.setBold(true);
        name->setFont(bold);
        QString detail;
        if (missing)
            detail = tr("folder missing");
        else if (r.lastStep < 0)
            detail = tr("no steps logged");
        else if (r.losses.isEmpty())
            detail = tr("step %1 / %2").arg(r.lastStep).arg(r.totalSteps);
        else
            detail = tr("step %1 / %2 · loss %3").arg(r.lastStep).arg(r.totalSteps).arg(r.losses.last(), 0, 'f', 3);
        name->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
        auto *info = new QLabel(detail, row);
        info->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
        QFont small = info->font();
        small.setPointSizeF(small.pointSizeF() * 0.9);
        info->setFont(small);
        info->setForegroundRole(QPalette::PlaceholderText);
        auto *spark = new Sparkline(row);
        spark->setValues(r.losses);
        spark->setColor(QColor(31, 119, 180));  // the chart's train loss colour
        spark->setFixedSize(64, 20);
        auto *layout = new QGridLayout(row);
        layout->setContentsMargins(6, 4, 6, 4);
        layout->setVerticalSpacing(0);
        layout->addWidget(name, 0, 0, 1, 2);
        layout->addWidget(info, 1, 0);
        layout->addWidget(spark, 1, 1);
        layout->setColumnStretch(0, 1);
        if (r.path == m_current) {
            // Drawn as a selected row: the open run.
            row->setAutoFillBackground(true);
            row->setBackgroundRole(QPalette::Highlight);
            name->setForegroundRole(QPalette::HighlightedText);
            info->setForegroundRole(QPalette::HighlightedText);
            spark->setColor(row->palette().color(QPalette::HighlightedText));
        }
        row->setEnabled(!missing);
        row->setToolTip(QDir::toNativeSeparators(r.path)
                        + (r.opened.isValid() ? QStringLiteral("\n") + tr("Last opened %1").arg(QLocale().toString(r.opened, QLocale::ShortFormat)) : QString()));

        auto *item = new QListWidgetItem(m_list);
        item->setData(Qt::UserRole, r.path);
        item->setSizeHint(QSize(1, row->sizeHint().height()));
        m_list->setItemWidget(item, row);
    }
}

} // namespace vltune
