#pragma once

#include <QWidget>

class QLabel;
class QLineEdit;
class QPlainTextEdit;
class QPushButton;

namespace vltune {

class CaptionProposer;

// "Caption with model…" under the Dataset page's caption editor: the preview model (and an
// optional adapter) proposes a caption for the selected image; the user accepts it into the
// editor (then saves as usual) or discards it. Nothing is written here.
class CaptionProposalBox final : public QWidget
{
    Q_OBJECT

public:
    explicit CaptionProposalBox(QWidget *parent = nullptr);

    CaptionProposer *proposer() const { return m_proposer; }
    // The model folder (the page's preview model; "" = none: the action is disabled).
    void setModelDir(const QString &dir);
    void setAdapterDir(const QString &dir);
    // The image captions are proposed for ("" = none); a proposal for another image is dropped.
    void setImage(const QString &path);
    // The prompt the model is asked with (default "Describe the image.").
    void setPrompt(const QString &prompt);
    // The proposal on screen ("" = none).
    QString proposal() const;

signals:
    // The user took the proposal: it belongs in the caption editor.
    void accepted(const QString &caption);

private:
    void propose();
    void showProposal(const QString &imagePath, const QString &caption);
    void discard();
    void updateButtons();

    CaptionProposer *m_proposer = nullptr;
    QString m_modelDir;
    QString m_image;
    QLineEdit *m_adapterEdit = nullptr;
    QLineEdit *m_promptEdit = nullptr;
    QPushButton *m_proposeButton = nullptr;
    QPlainTextEdit *m_proposal = nullptr;
    QPushButton *m_acceptButton = nullptr;
    QPushButton *m_discardButton = nullptr;
    QLabel *m_status = nullptr;
};

} // namespace vltune
