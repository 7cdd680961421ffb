#pragma once

#include <QString>
#include <QVector>
#include <QWidget>

class QLabel;
class QLineEdit;
class QSpinBox;
class QVBoxLayout;

namespace vltune {

// A dataset row the user pinned for the Monitor, with the question to ask it.
struct PinnedSampleChoice
{
    QString file;       // data file relative to the dataset root (the run finds the row by file and row)
    qint64 row = 0;     // row within `file`
    int index = -1;     // record index on the Dataset page (for the title only)
    QString imagePath;  // the first image ("" = none)
    QString text;       // the row's text, shown as the question's placeholder
    QString question;   // the user's question ("" = the row's own)
};

// The Train page's "Pinned samples": up to four dataset rows, each with a thumbnail and an
// editable question, answered before training and every N steps (the Monitor shows the answers
// change). Rows are pinned from the Dataset page; without any, a run answers its first validation
// rows.
class PinnedSamplesEditor final : public QWidget
{
    Q_OBJECT

public:
    static constexpr int kMaxPinned = 4;

    explicit PinnedSamplesEditor(QWidget *parent = nullptr);

    // Adds `choice` (false: already pinned, or four are).
    bool addSample(const PinnedSampleChoice &choice);
    void removeSample(const QString &file, qint64 row);
    bool contains(const QString &file, qint64 row) const;
    bool isFull() const { return m_rows.size() >= kMaxPinned; }
    void clear();
    // The pins with the questions as edited.
    QVector<PinnedSampleChoice> choices() const;
    // Steps between rounds (0: eval_steps, else logging_steps).
    int every() const;
    void setEvery(int steps);

signals:
    // A pin was added or removed, or a question edited.
    void changed();

private:
    struct Row
    {
        PinnedSampleChoice choice;
        QWidget *box = nullptr;
        QLineEdit *question = nullptr;
    };

    void updateEmptyState();

    QVBoxLayout *m_rowsLayout = nullptr;
    QLabel *m_empty = nullptr;
    QSpinBox *m_every = nullptr;
    QVector<Row> m_rows;
};

} // namespace vltune
