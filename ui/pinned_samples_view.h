#pragma once

#include <QString>
#include <QVector>
#include <QWidget>

#include <optional>

class QGridLayout;
class QLabel;
class QSlider;
class QStackedWidget;

namespace vltune {

// One pinned sample's answer in one round, as pinned_samples.jsonl holds it.
struct PinnedAnswerText
{
    qint64 record = 0;   // index into the dataset's records
    QString source;      // "data.json row 3" ("" in files written before it was recorded)
    QString image;       // the sample's first image ("" = none or not recorded)
    QString question;    // the last user turn as asked
    QString reference;   // the dataset's answer
    QString answer;      // the model's
    bool stopped = true; // ended with an EOS (false: cut at max_new_tokens)
};

// One round: every pinned sample answered at `step` (0: the base model, before training).
struct PinnedRoundText
{
    qint64 step = 0;
    QVector<PinnedAnswerText> answers;
};

// The pinned samples of a run (output_dir/pinned_samples.jsonl, one round a line, appended every N
// steps): per sample its question, the reference, the base model's answer and the answer at the
// chosen round, the latest by default and highlighted; a slider steps through the rounds.
class PinnedSamplesView final : public QWidget
{
    Q_OBJECT

public:
    explicit PinnedSamplesView(QWidget *parent = nullptr);

    // Shows the run in `dir` (empty: nothing) and reads what its file holds.
    void setRunDir(const QString &dir);
    // Reads the rounds appended since the last read; a rewritten (shorter) file is read again.
    void refresh();

    int roundCount() const { return int(m_rounds.size()); }
    QVector<qint64> steps() const;
    // The round shown, -1 when there is none. Choosing the last one follows new rounds again.
    int currentRound() const;
    void setCurrentRound(int round);
    bool isFollowingLatest() const { return m_follow; }
    int sampleCount() const;
    // The step-0 answer of sample `sample` (empty without a step-0 round).
    QString baseAnswer(int sample) const;
    // The image path shown on sample `sample`'s card ("" when none).
    QString shownImage(int sample) const;
    // The answer of sample `sample` in the round shown.
    QString shownAnswer(int sample) const;
    // The first line that could not be read, naming it; empty if none.
    QString error() const { return m_error; }

    // One line of pinned_samples.jsonl; nullopt for a blank line; `error` says what is wrong
    // (naming `where`) for a line that is not a round.
    static std::optional<PinnedRoundText> parseLine(const QByteArray &line, const QString &where, QString *error);

signals:
    // A line could not be read (once per line), for the Monitor's log.
    void lineError(const QString &message);

private:
    struct Card
    {
        QWidget *box = nullptr;
        QLabel *image = nullptr;
        QString imagePath;  // what `image` shows
        QLabel *title = nullptr;
        QLabel *question = nullptr;
        QLabel *reference = nullptr;
        QLabel *base = nullptr;
        QLabel *answerTitle = nullptr;
        QLabel *answer = nullptr;
        QLabel *history = nullptr;
    };

    void reset();
    void showRound();
    void ensureCards(int count);
    const PinnedRoundText *baseRound() const;
    QString historyHtml(int sample, int shown) const;

    QStackedWidget *m_stack = nullptr;
    QLabel *m_empty = nullptr;
    QSlider *m_slider = nullptr;
    QLabel *m_roundLabel = nullptr;
    QGridLayout *m_grid = nullptr;
    QVector<Card> m_cards;
    QVector<PinnedRoundText> m_rounds;
    QString m_dir;
    qint64 m_offset = 0;
    qint64 m_lines = 0;
    bool m_follow = true;
    QString m_error;
};

} // namespace vltune
