#pragma once
// "Caption with my model": a model (and optionally an adapter) loaded on a worker thread proposes
// a caption for one image, greedily, as Chat would answer the prompt. Only value types cross the
// thread; the model stays loaded for the next image while the folders are the same. Nothing is
// written: the Dataset page shows the proposal and the user accepts it into the editor or not.

#include <QObject>
#include <QString>

#include <functional>
#include <memory>

class QThread;

namespace vltune {

class CaptionProposer final : public QObject
{
    Q_OBJECT

public:
    explicit CaptionProposer(QObject *parent = nullptr);
    ~CaptionProposer() override;

    // Proposes a caption for `imagePath`: the user turn is `prompt` with the image, the answer
    // greedy up to `maxNewTokens` tokens, with `adapterDir`'s adapter active ("" = the base
    // model). proposed() or failed() answers.
    void propose(const QString &modelDir, const QString &adapterDir, const QString &imagePath, const QString &prompt,
                 int maxNewTokens = 64);
    bool isBusy() const { return m_busy; }

signals:
    void proposed(const QString &imagePath, const QString &caption);
    void failed(const QString &message);
    void busyChanged(bool busy);

private:
    struct Engine;
    void setBusy(bool busy);

    QThread *m_thread = nullptr;
    QObject *m_context = nullptr;  // lives on m_thread: jobs are queued to it
    std::shared_ptr<Engine> m_engine;
    bool m_busy = false;
};

} // namespace vltune
