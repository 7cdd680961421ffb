#pragma once

#include <QWidget>

class QLabel;
class QTextBrowser;

namespace vltune {

// One column of a chat: a title ("base", "checkpoint-200") over the conversation, the user's turns
// and the model's answers, the answer being written growing as its pieces stream in.
class ChatTranscript final : public QWidget
{
    Q_OBJECT

public:
    explicit ChatTranscript(const QString &title, QWidget *parent = nullptr);

    QString title() const;
    // The user's message and the names of the images it shows.
    void addUserTurn(const QString &text, const QStringList &imageNames);
    // Starts the model's next answer (empty until pieces come).
    void beginAnswer();
    void appendToAnswer(const QString &piece);
    // Ends it; `note` (speed, why it stopped) is shown small under it.
    void endAnswer(const QString &note);
    // Takes the last answer back (Regenerate).
    void dropLastAnswer();
    void clear();

    // The answer being written, or the last one.
    QString lastAnswer() const;
    // The whole conversation as plain text (Copy).
    QString plainText() const;

private:
    void render();

    struct Turn
    {
        bool user = false;
        QString text;
        QString note;
    };
    QLabel *m_title = nullptr;
    QTextBrowser *m_view = nullptr;
    QList<Turn> m_turns;
};

} // namespace vltune
