#include "ui/pinned_samples_view.h"

#include "widgets/thumbnail_loader.h"

#include <QDir>
#include <QFile>
#include <QGridLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QPixmap>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QScrollArea>
#include <QSignalBlocker>
#include <QSlider>
#include <QStackedWidget>
#include <QVBoxLayout>

namespace vltune {

namespace {

QString pinnedPath(const QString &dir)
{
    return QDir(dir).filePath(QStringLiteral("pinned_samples.jsonl"));
}

QLabel *textLabel(QWidget *parent)
{
    auto *label = new QLabel(parent);
    label->setWordWrap(true);
    label->setTextFormat(Qt::PlainText);
    label->setTextInteractionFlags(Qt::TextSelectableByMouse);
    label->setAlignment(Qt::AlignLeft | Qt::AlignTop);
    return label;
}

constexpr int kImageSide = 112;

// The image of a card, decoded at its size (four at most, once per run).
QPixmap cardImage(const QString &path, qreal dpr)
{
    const int side = qRound(kImageSide * dpr);
    QPixmap pixmap = QPixmap::fromImage(decodeThumbnail(path, QSize(side, side)));
    pixmap.setDevicePixelRatio(dpr);
    return pixmap;
}

QLabel *captionLabel(const QString &text, QWidget *parent)
{
    auto *label = new QLabel(text, parent);
    label->setForegroundRole(QPalette::PlaceholderText);
    label->setAlignment(Qt::AlignRight | Qt::AlignTop);
    return label;
}

} // namespace

PinnedSamplesView::PinnedSamplesView(QWidget *parent)
    : QWidget(parent)
    , m_stack(new QStackedWidget(this))
    , m_empty(new QLabel(this))
    , m_slider(new QSlider(Qt::Horizontal, this))
    , m_roundLabel(new QLabel(this))
{
    setObjectName(QStringLiteral("pinnedSamplesView"));
    m_empty->setObjectName(QStringLiteral("pinnedEmpty"));
    m_empty->setAlignment(Qt::AlignCenter);
    m_empty->setWordWrap(true);
    m_empty->setForegroundRole(QPalette::PlaceholderText);
    m_empty->setText(tr("No pinned samples in this run. Pin up to four samples on the Dataset page (ask them your own "
                        "question on the Train page): every few steps the model answers them, and their answers appear here."));
    m_slider->setObjectName(QStringLiteral("pinnedRoundSlider"));
    m_slider->setRange(0, 0);
    m_slider->setPageStep(1);
    m_slider->setTickPosition(QSlider::TicksBelow);
    m_slider->setToolTip(tr("Step through the rounds; the rightmost is the latest and follows new ones"));
    m_roundLabel->setObjectName(QStringLiteral("pinnedRoundLabel"));
    m_roundLabel->setMinimumWidth(m_roundLabel->fontMetrics().horizontalAdvance(tr("step 000000 · round 000 of 000 (latest)")));

    auto *content = new QWidget;
    m_grid = new QGridLayout(content);
    m_grid->setContentsMargins(0, 0, 0, 0);
    auto *scroll = new QScrollArea(this);
    scroll->setWidgetResizable(true);
    scroll->setFrameShape(QFrame::NoFrame);
    scroll->setWidget(content);

    auto *rounds = new QWidget(this);
    auto *top = new QHBoxLayout;
    top->addWidget(new QLabel(tr("Round"), rounds));
    top->addWidget(m_slider, 1);
    top->addWidget(m_roundLabel);
    auto *roundsLayout = new QVBoxLayout(rounds);
    roundsLayout->setContentsMargins(0, 0, 0, 0);
    roundsLayout->addLayout(top);
    roundsLayout->addWidget(scroll, 1);

    m_stack->addWidget(m_empty);
    m_stack->addWidget(rounds);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_stack);

    connect(m_slider, &QSlider::valueChanged, this, [this](int value) {
        m_follow = value == m_slider->maximum();
        showRound();
    });
}

void PinnedSamplesView::reset()
{
    m_rounds.clear();
    m_offset = 0;
    m_lines = 0;
    m_follow = true;
    m_error.clear();
    showRound();
}

void PinnedSamplesView::setRunDir(const QString &dir)
{
    m_dir = dir;
    reset();
    refresh();
}

void PinnedSamplesView::refresh()
{
    if (m_dir.isEmpty())
        return;
    QFile file(pinnedPath(m_dir));
    if (!file.exists()) {
        if (!m_rounds.isEmpty())
            reset();
        return;
    }
    if (file.size() < m_offset)
        reset();  // a resumed run rewrote it
    if (!file.open(QIODevice::ReadOnly) || !file.seek(m_offset))
        return;
    const QByteArray fresh = file.readAll();
    const qsizetype end = fresh.lastIndexOf('\n');  // complete lines only
    if (end < 0)
        return;
    bool added = false;
    for (const QByteArray &line : fresh.left(end).split('\n')) {
        ++m_lines;
        QString error;
        const auto round = parseLine(line, tr("pinned_samples.jsonl line %1").arg(m_lines), &error);
        if (!error.isEmpty()) {
            if (m_error.isEmpty())
                m_error = error;
            emit lineError(error);
        }
        if (!round)
            continue;
        // A later round for a step already shown (a resumed run repeating it) replaces it.
        while (!m_rounds.isEmpty() && m_rounds.last().step >= round->step)
            m_rounds.removeLast();
        m_rounds.append(*round);
        added = true;
    }
    m_offset += end + 1;
    if (added)
        showRound();
}

std::optional<PinnedRoundText> PinnedSamplesView::parseLine(const QByteArray &line, const QString &where, QString *error)
{
    if (line.trimmed().isEmpty())
        return std::nullopt;
    QJsonParseError parseError;
    const QJsonDocument doc = QJsonDocument::fromJson(line, &parseError);
    if (parseError.error != QJsonParseError::NoError) {
        *error = tr("%1: not JSON (%2)").arg(where, parseError.errorString());
        return std::nullopt;
    }
    const QJsonObject object = doc.object();
    if (!doc.isObject() || !object.value(QStringLiteral("step")).isDouble() || !object.value(QStringLiteral("samples")).isArray()) {
        *error = tr("%1: a round needs \"step\" and \"samples\"").arg(where);
        return std::nullopt;
    }
    PinnedRoundText round;
    round.step = object.value(QStringLiteral("step")).toInteger();
    for (const QJsonValue &value : object.value(QStringLiteral("samples")).toArray()) {
        const QJsonObject s = value.toObject();
        PinnedAnswerText a;
        a.record = s.value(QStringLiteral("record")).toInteger();
        a.source = s.value(QStringLiteral("source")).toString();
        a.image = s.value(QStringLiteral("image")).toString();
        a.question = s.value(QStringLiteral("question")).toString();
        a.reference = s.value(QStringLiteral("reference")).toString();
        a.answer = s.value(QStringLiteral("answer")).toString();
        a.stopped = s.value(QStringLiteral("stopped")).toBool(true);
        round.answers.append(a);
    }
    return round;
}

QVector<qint64> PinnedSamplesView::steps() const
{
    QVector<qint64> out;
    for (const PinnedRoundText &r : m_rounds)
        out.append(r.step);
    return out;
}

int PinnedSamplesView::currentRound() const
{
    return m_rounds.isEmpty() ? -1 : m_slider->value();
}

void PinnedSamplesView::setCurrentRound(int round)
{
    if (!m_rounds.isEmpty())
        m_slider->setValue(round);
}

int PinnedSamplesView::sampleCount() const
{
    return m_rounds.isEmpty() ? 0 : int(m_rounds.last().answers.size());
}

const PinnedRoundText *PinnedSamplesView::baseRound() const
{
    return !m_rounds.isEmpty() && m_rounds.first().step == 0 ? &m_rounds.first() : nullptr;
}

QString PinnedSamplesView::baseAnswer(int sample) const
{
    const PinnedRoundText *base = baseRound();
    return base && sample >= 0 && sample < base->answers.size() ? base->answers[sample].answer : QString();
}

QString PinnedSamplesView::shownImage(int sample) const
{
    return sample >= 0 && sample < m_cards.size() && sample < sampleCount() ? m_cards[sample].imagePath : QString();
}

QString PinnedSamplesView::shownAnswer(int sample) const
{
    const int round = currentRound();
    if (round < 0)
        return {};
    const auto &answers = m_rounds[round].answers;
    return sample >= 0 && sample < answers.size() ? answers[sample].answer : QString();
}

void PinnedSamplesView::ensureCards(int count)
{
    while (m_cards.size() < count) {
        const int index = int(m_cards.size());
        Card c;
        auto *box = new QGroupBox(this);
        c.box = box;
        c.image = new QLabel(box);
        c.image->setObjectName(QStringLiteral("pinnedImage%1").arg(index));
        c.image->setFixedSize(kImageSide, kImageSide);
        c.image->setAlignment(Qt::AlignCenter);
        c.image->setForegroundRole(QPalette::PlaceholderText);
        c.question = textLabel(box);
        QFont bold = c.question->font();
        bold.setBold(true);
        c.question->setFont(bold);
        c.reference = textLabel(box);
        c.base = textLabel(box);
        c.answer = textLabel(box);
        c.answer->setObjectName(QStringLiteral("pinnedAnswer%1").arg(index));
        c.base->setObjectName(QStringLiteral("pinnedBase%1").arg(index));
        // The answer being watched stands out from the fixed texts around it.
        c.answer->setAutoFillBackground(true);
        c.answer->setBackgroundRole(QPalette::AlternateBase);
        c.answer->setMargin(4);
        c.answerTitle = captionLabel(QString(), box);
        c.history = new QLabel(box);
        c.history->setObjectName(QStringLiteral("pinnedHistory%1").arg(index));
        c.history->setTextFormat(Qt::RichText);
        c.history->setWordWrap(true);
        c.history->setAlignment(Qt::AlignLeft | Qt::AlignTop);
        auto *grid = new QGridLayout(box);
        grid->setColumnStretch(2, 1);
        grid->addWidget(c.image, 0, 0, 3, 1, Qt::AlignTop);
        grid->addWidget(c.question, 0, 1, 1, 2);
        grid->addWidget(captionLabel(tr("Reference"), box), 1, 1);
        grid->addWidget(c.reference, 1, 2);
        grid->addWidget(captionLabel(tr("Base model"), box), 2, 1);
        grid->addWidget(c.base, 2, 2);
        grid->addWidget(c.answerTitle, 3, 0, 1, 2);
        grid->addWidget(c.answer, 3, 2);
        grid->addWidget(captionLabel(tr("Over steps"), box), 4, 0, 1, 2);
        grid->addWidget(c.history, 4, 2);
        grid->setRowStretch(5, 1);
        // Two columns: four samples fit without scrolling on a normal window.
        m_grid->addWidget(box, index / 2, index % 2);
        m_cards.append(c);
    }
    for (int i = 0; i < m_cards.size(); ++i)
        m_cards[i].box->setVisible(i < count);
}

QString PinnedSamplesView::historyHtml(int sample, int shown) const
{
    // Newest first, the shown round in bold: how the answer moved, at a glance.
    constexpr int kMaxRows = 8;
    QString html = QStringLiteral("<table cellspacing='0' cellpadding='1'>");
    int rows = 0;
    for (int r = int(m_rounds.size()) - 1; r >= 0 && rows < kMaxRows; --r, ++rows) {
        const auto &answers = m_rounds[r].answers;
        const QString answer = sample < answers.size() ? answers[sample].answer.toHtmlEscaped() : QStringLiteral("–");
        const QString step = m_rounds[r].step == 0 ? tr("base") : QString::number(m_rounds[r].step);
        const bool bold = r == shown;
        html += QStringLiteral("<tr><td align='right' style='color:gray; padding-right:8px'>%1</td><td>%2%3%4</td></tr>")
                    .arg(step, bold ? QStringLiteral("<b>") : QString(), answer, bold ? QStringLiteral("</b>") : QString());
    }
    if (int(m_rounds.size()) > kMaxRows)
        html += QStringLiteral("<tr><td></td><td style='color:gray'>%1</td></tr>").arg(tr("… %n earlier round(s)", nullptr, int(m_rounds.size()) - kMaxRows));
    return html + QStringLiteral("</table>");
}

void PinnedSamplesView::showRound()
{
    if (m_rounds.isEmpty()) {
        m_stack->setCurrentWidget(m_empty);
        ensureCards(0);
        const QSignalBlocker blocker(m_slider);
        m_slider->setRange(0, 0);
        return;
    }
    m_stack->setCurrentIndex(1);
    const int last = int(m_rounds.size()) - 1;
    {
        const QSignalBlocker blocker(m_slider);
        m_slider->setRange(0, last);
        if (m_follow)
            m_slider->setValue(last);
    }
    const int round = m_slider->value();
    const PinnedRoundText &shown = m_rounds[round];
    const PinnedRoundText *base = baseRound();
    const bool latest = round == last;
    m_roundLabel->setText(latest ? tr("step %1 · round %2 of %3 (latest)").arg(shown.step).arg(round + 1).arg(last + 1)
                                 : tr("step %1 · round %2 of %3").arg(shown.step).arg(round + 1).arg(last + 1));

    const int count = int(m_rounds.last().answers.size());
    ensureCards(count);
    for (int i = 0; i < count; ++i) {
        Card &c = m_cards[i];
        const PinnedAnswerText &info = m_rounds.last().answers[i];
        static_cast<QGroupBox *>(c.box)->setTitle(info.source.isEmpty()
                                                      ? tr("Sample %1 · record %2").arg(i + 1).arg(info.record)
                                                      : tr("Sample %1 · %2").arg(i + 1).arg(info.source));
        if (c.imagePath != info.image || c.image->pixmap().isNull()) {
            c.imagePath = info.image;
            const QPixmap pixmap = info.image.isEmpty() ? QPixmap() : cardImage(info.image, devicePixelRatioF());
            if (pixmap.isNull())
                c.image->setText(info.image.isEmpty() ? tr("no image") : tr("image not found"));
            else
                c.image->setPixmap(pixmap);
            c.image->setToolTip(QDir::toNativeSeparators(info.image));
        }
        QString question = info.question;
        question.remove(QStringLiteral("<image>"));
        c.question->setText(question.trimmed());
        c.reference->setText(info.reference);
        c.base->setText(base && i < base->answers.size() ? base->answers[i].answer : tr("(not recorded)"));
        QString answer = i < shown.answers.size() ? shown.answers[i].answer : QString();
        if (i < shown.answers.size() && !shown.answers[i].stopped)
            answer += QStringLiteral(" …");
        c.answer->setText(answer);
        c.answer->setToolTip(i < shown.answers.size() && !shown.answers[i].stopped
                                 ? tr("Cut at the answer length limit")
                                 : QString());
        c.answerTitle->setText(latest ? tr("Step %1 (latest)").arg(shown.step) : tr("Step %1").arg(shown.step));
        QFont font = c.answer->font();
        font.setBold(latest);
        c.answer->setFont(font);
        c.history->setText(historyHtml(i, round));
    }
}

} // namespace vltune
