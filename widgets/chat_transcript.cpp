#include "widgets/chat_transcript.h"

#include <QLabel>
#include <QScrollBar>
#include <QTextBrowser>
#include <QVBoxLayout>

namespace vltune {

ChatTranscript::ChatTranscript(const QString &title, QWidget *parent)
    : QWidget(parent)
    , m_title(new QLabel(title, this))
    , m_view(new QTextBrowser(this))
{
    setObjectName(QStringLiteral("chatTranscript"));
    QFont bold = m_title->font();
    bold.setBold(true);
    m_title->setFont(bold);
    m_title->setAlignment(Qt::AlignHCenter);
    m_view->setOpenLinks(false);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_title);
    layout->addWidget(m_view, 1);
}

QString ChatTranscript::title() const
{
    return m_title->text();
}

void ChatTranscript::addUserTurn(const QString &text, const QStringList &imageNames)
{
    QString shown = text;
    if (!imageNames.isEmpty())
        shown = tr("[%1] %2").arg(imageNames.join(QStringLiteral(", ")), text);
    m_turns.append({true, shown, {}});
    render();
}

void ChatTranscript::beginAnswer()
{
    m_turns.append({false, {}, {}});
    render();
}

void ChatTranscript::appendToAnswer(const QString &piece)
{
    if (m_turns.isEmpty() || m_turns.last().user)
        beginAnswer();
    m_turns.last().text += piece;
    render();
}

void ChatTranscript::endAnswer(const QString &note)
{
    if (m_turns.isEmpty() || m_turns.last().user)
        beginAnswer();
    m_turns.last().note = note;
    render();
}

void ChatTranscript::dropLastAnswer()
{
    if (!m_turns.isEmpty() && !m_turns.last().user)
        m_turns.removeLast();
    render();
}

void ChatTranscript::clear()
{
    m_turns.clear();
    render();
}

QString ChatTranscript::lastAnswer() const
{
    for (auto it = m_turns.crbegin(); it != m_turns.crend(); ++it) {
        if (!it->user)
            return it->text;
    }
    return {};
}

QString ChatTranscript::plainText() const
{
    QStringList lines;
    for (const Turn &t : m_turns)
        lines << (t.user ? tr("User: %1") : tr("Model: %1")).arg(t.text);
    return lines.join(QStringLiteral("\n\n"));
}

void ChatTranscript::render()
{
    // Rebuilt whole: a conversation is short, and escaping each turn keeps model output inert.
    QString html;
    for (const Turn &t : m_turns) {
        const QString body = t.text.toHtmlEscaped().replace(QLatin1Char('\n'), QStringLiteral("<br>"));
        if (t.user)
            html += QStringLiteral("<p style='margin:6px 0'><b>%1</b> %2</p>").arg(tr("You:").toHtmlEscaped(), body);
        else
            html += QStringLiteral("<p style='margin:6px 0 2px 12px'>%1</p>").arg(body.isEmpty() ? QStringLiteral("…") : body);
        if (!t.note.isEmpty())
            html += QStringLiteral("<p style='margin:0 0 8px 12px; color:gray; font-size:small'>%1</p>").arg(t.note.toHtmlEscaped());
    }
    QScrollBar *bar = m_view->verticalScrollBar();
    const bool follow = bar->value() >= bar->maximum() - 4;  // keep following the end unless scrolled up
    m_view->setHtml(html);
    if (follow)
        bar->setValue(bar->maximum());
}

} // namespace vltune
