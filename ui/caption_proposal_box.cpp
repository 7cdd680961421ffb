#include "ui/caption_proposal_box.h"

#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QVBoxLayout>

#include "app/caption_proposer.h"

namespace vltune {

CaptionProposalBox::CaptionProposalBox(QWidget *parent)
    : QWidget(parent)
    , m_proposer(new CaptionProposer(this))
{
    setObjectName(QStringLiteral("captionProposalBox"));
    auto *row = new QHBoxLayout;
    m_adapterEdit = new QLineEdit(this);
    m_adapterEdit->setObjectName(QStringLiteral("captionAdapterEdit"));
    m_adapterEdit->setPlaceholderText(tr("Adapter folder (optional: the base model without)"));
    auto *browse = new QPushButton(tr("Adapter…"), this);
    connect(browse, &QPushButton::clicked, this, [this] {
        const QString dir = QFileDialog::getExistingDirectory(this, tr("Adapter folder"), m_adapterEdit->text());
        if (!dir.isEmpty())
            setAdapterDir(dir);
    });
    m_promptEdit = new QLineEdit(tr("Describe the image."), this);
    m_promptEdit->setObjectName(QStringLiteral("captionPromptEdit"));
    m_promptEdit->setToolTip(tr("What the model is asked with the image"));
    m_proposeButton = new QPushButton(tr("Caption with Model…"), this);
    m_proposeButton->setObjectName(QStringLiteral("captionProposeButton"));
    m_proposeButton->setToolTip(tr("Let the preview model (with the adapter) propose a caption for this image; nothing is written until you save."));
    connect(m_proposeButton, &QPushButton::clicked, this, &CaptionProposalBox::propose);
    row->addWidget(m_adapterEdit, 2);
    row->addWidget(browse);
    row->addWidget(m_promptEdit, 2);
    row->addWidget(m_proposeButton);

    m_proposal = new QPlainTextEdit(this);
    m_proposal->setObjectName(QStringLiteral("captionProposal"));
    m_proposal->setReadOnly(true);
    m_proposal->setMaximumHeight(64);
    m_proposal->setPlaceholderText(tr("The model's proposal appears here"));
    m_acceptButton = new QPushButton(tr("Use Proposal"), this);
    m_acceptButton->setObjectName(QStringLiteral("captionAcceptButton"));
    m_acceptButton->setToolTip(tr("Put the proposal in the caption editor (Save Caption writes it)."));
    connect(m_acceptButton, &QPushButton::clicked, this, [this] {
        const QString caption = proposal();
        discard();
        emit accepted(caption);
    });
    m_discardButton = new QPushButton(tr("Discard"), this);
    m_discardButton->setObjectName(QStringLiteral("captionDiscardButton"));
    connect(m_discardButton, &QPushButton::clicked, this, &CaptionProposalBox::discard);
    m_status = new QLabel(this);
    m_status->setObjectName(QStringLiteral("captionProposalStatus"));
    m_status->setWordWrap(true);
    auto *answer = new QHBoxLayout;
    answer->addWidget(m_proposal, 1);
    auto *answerButtons = new QVBoxLayout;
    answerButtons->addWidget(m_acceptButton);
    answerButtons->addWidget(m_discardButton);
    answerButtons->addStretch(1);
    answer->addLayout(answerButtons);

    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addLayout(row);
    layout->addLayout(answer);
    layout->addWidget(m_status);

    connect(m_proposer, &CaptionProposer::proposed, this, &CaptionProposalBox::showProposal);
    connect(m_proposer, &CaptionProposer::failed, this, [this](const QString &message) {
        m_status->setText(tr("Could not caption: %1").arg(message));
    });
    connect(m_proposer, &CaptionProposer::busyChanged, this, &CaptionProposalBox::updateButtons);
    updateButtons();
}

void CaptionProposalBox::setModelDir(const QString &dir)
{
    m_modelDir = dir;
    updateButtons();
}

void CaptionProposalBox::setAdapterDir(const QString &dir)
{
    m_adapterEdit->setText(dir);
}

void CaptionProposalBox::setImage(const QString &path)
{
    if (path == m_image)
        return;
    m_image = path;
    discard();
}

void CaptionProposalBox::setPrompt(const QString &prompt)
{
    m_promptEdit->setText(prompt);
}

QString CaptionProposalBox::proposal() const
{
    return m_proposal->toPlainText();
}

void CaptionProposalBox::propose()
{
    if (m_modelDir.isEmpty() || m_image.isEmpty() || m_proposer->isBusy())
        return;
    discard();
    m_status->setText(tr("Captioning %1…").arg(QFileInfo(m_image).fileName()));
    const QString prompt = m_promptEdit->text().trimmed().isEmpty() ? tr("Describe the image.") : m_promptEdit->text().trimmed();
    m_proposer->propose(m_modelDir, m_adapterEdit->text().trimmed(), m_image, prompt);
}

void CaptionProposalBox::showProposal(const QString &imagePath, const QString &caption)
{
    if (imagePath != m_image) {  // the user moved on to another image meanwhile
        m_status->clear();
        return;
    }
    m_proposal->setPlainText(caption);
    m_status->setText(caption.isEmpty() ? tr("The model proposed an empty caption.")
                                        : tr("Proposed by the model: use it or discard it."));
    updateButtons();
}

void CaptionProposalBox::discard()
{
    m_proposal->clear();
    m_status->clear();
    updateButtons();
}

void CaptionProposalBox::updateButtons()
{
    const bool busy = m_proposer->isBusy();
    m_proposeButton->setEnabled(!busy && !m_modelDir.isEmpty() && !m_image.isEmpty());
    m_proposeButton->setToolTip(m_modelDir.isEmpty() ? tr("Choose a model for the preview first (Model… above).")
                                                     : tr("Let the preview model (with the adapter) propose a caption for this image; nothing is written until you save."));
    const bool has = !m_proposal->toPlainText().isEmpty();
    m_acceptButton->setEnabled(has);
    m_discardButton->setEnabled(has);
}

} // namespace vltune
