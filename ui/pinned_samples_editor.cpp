#include "ui/pinned_samples_editor.h"

#include "widgets/thumbnail_loader.h"

#include <QFileInfo>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPixmap>
#include <QSpinBox>
#include <QToolButton>
#include <QVBoxLayout>

namespace vltune {

namespace {

constexpr int kThumb = 48;

// A small thumbnail of `path`, decoded at that size (four at most, so on the GUI thread).
QPixmap thumbnail(const QString &path, qreal dpr)
{
    if (path.isEmpty())
        return {};
    const int side = qRound(kThumb * dpr);
    QPixmap pixmap = QPixmap::fromImage(decodeThumbnail(path, QSize(side, side)));
    pixmap.setDevicePixelRatio(dpr);
    return pixmap;
}

// The row's text without image markers, on one line.
QString plainQuestion(const QString &text)
{
    QString s = text;
    s.remove(QStringLiteral("<image>"));
    return s.simplified();
}

} // namespace

PinnedSamplesEditor::PinnedSamplesEditor(QWidget *parent)
    : QWidget(parent)
{
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    m_empty = new QLabel(tr("No samples pinned: the run answers its first four validation samples. "
                            "Pin up to four on the Dataset page (the pin button above the image) and ask them your own question."),
                         this);
    m_empty->setObjectName(QStringLiteral("pinnedEmptyLabel"));
    m_empty->setWordWrap(true);
    m_empty->setStyleSheet(QStringLiteral("color: palette(mid);"));
    m_rowsLayout = new QVBoxLayout;
    m_rowsLayout->setSpacing(4);

    auto *everyRow = new QHBoxLayout;
    auto *everyLabel = new QLabel(tr("Answer every"), this);
    m_every = new QSpinBox(this);
    m_every->setObjectName(QStringLiteral("pinnedEverySpin"));
    m_every->setRange(0, 1000000);
    m_every->setSuffix(tr(" steps"));
    m_every->setSpecialValueText(tr("evaluation interval"));
    m_every->setToolTip(tr("Steps between two rounds of answers (each round generates one answer per pinned sample). "
                           "The evaluation interval, else the logging interval, when left at its lowest value."));
    everyLabel->setBuddy(m_every);
    everyRow->addWidget(everyLabel);
    everyRow->addWidget(m_every, 1);
    connect(m_every, &QSpinBox::valueChanged, this, &PinnedSamplesEditor::changed);

    layout->addWidget(m_empty);
    layout->addLayout(m_rowsLayout);
    layout->addLayout(everyRow);
}

bool PinnedSamplesEditor::addSample(const PinnedSampleChoice &choice)
{
    if (isFull() || contains(choice.file, choice.row))
        return false;
    Row row;
    row.choice = choice;
    row.box = new QWidget(this);
    row.box->setObjectName(QStringLiteral("pinnedRow"));
    auto *h = new QHBoxLayout(row.box);
    h->setContentsMargins(0, 0, 0, 0);
    auto *thumb = new QLabel(row.box);
    thumb->setFixedSize(kThumb, kThumb);
    thumb->setAlignment(Qt::AlignCenter);
    const QPixmap pixmap = thumbnail(choice.imagePath, devicePixelRatioF());
    if (pixmap.isNull())
        thumb->setText(tr("no image"));
    else
        thumb->setPixmap(pixmap);
    thumb->setToolTip(QFileInfo(choice.imagePath).fileName());
    auto *column = new QVBoxLayout;
    column->setSpacing(2);
    //: A pinned sample's title: record number, data file and row.
    auto *title = new QLabel(tr("#%1 %2 row %3").arg(choice.index).arg(choice.file).arg(choice.row), row.box);
    title->setTextFormat(Qt::PlainText);
    row.question = new QLineEdit(choice.question, row.box);
    row.question->setObjectName(QStringLiteral("pinnedQuestionEdit"));
    const QString own = plainQuestion(choice.text);
    row.question->setPlaceholderText(own.isEmpty() ? tr("its own question") : tr("its own: %1").arg(own));
    row.question->setToolTip(tr("The question asked about this image every round; leave empty to ask the sample's own."));
    row.question->setClearButtonEnabled(true);
    connect(row.question, &QLineEdit::textEdited, this, &PinnedSamplesEditor::changed);
    column->addWidget(title);
    column->addWidget(row.question);
    auto *remove = new QToolButton(row.box);
    remove->setObjectName(QStringLiteral("pinnedRemoveButton"));
    remove->setText(QStringLiteral("✕"));
    remove->setAutoRaise(true);
    remove->setToolTip(tr("Unpin this sample"));
    const QString file = choice.file;
    const qint64 r = choice.row;
    connect(remove, &QToolButton::clicked, this, [this, file, r] { removeSample(file, r); });
    h->addWidget(thumb);
    h->addLayout(column, 1);
    h->addWidget(remove, 0, Qt::AlignTop);
    m_rowsLayout->addWidget(row.box);
    m_rows.append(row);
    updateEmptyState();
    emit changed();
    return true;
}

void PinnedSamplesEditor::removeSample(const QString &file, qint64 row)
{
    for (int i = 0; i < m_rows.size(); ++i) {
        if (m_rows[i].choice.file != file || m_rows[i].choice.row != row)
            continue;
        delete m_rows[i].box;
        m_rows.removeAt(i);
        updateEmptyState();
        emit changed();
        return;
    }
}

bool PinnedSamplesEditor::contains(const QString &file, qint64 row) const
{
    for (const Row &r : m_rows)
        if (r.choice.file == file && r.choice.row == row)
            return true;
    return false;
}

void PinnedSamplesEditor::clear()
{
    if (m_rows.isEmpty())
        return;
    for (const Row &r : std::as_const(m_rows))
        delete r.box;
    m_rows.clear();
    updateEmptyState();
    emit changed();
}

QVector<PinnedSampleChoice> PinnedSamplesEditor::choices() const
{
    QVector<PinnedSampleChoice> out;
    for (const Row &r : m_rows) {
        PinnedSampleChoice c = r.choice;
        c.question = r.question->text().trimmed();
        out.append(c);
    }
    return out;
}

int PinnedSamplesEditor::every() const
{
    return m_every->value();
}

void PinnedSamplesEditor::setEvery(int steps)
{
    m_every->setValue(steps);
}

void PinnedSamplesEditor::updateEmptyState()
{
    m_empty->setVisible(m_rows.isEmpty());
}

} // namespace vltune
