#include "ui/train_page_preview.h"

#include <QApplication>
#include <QClipboard>
#include <QDialogButtonBox>
#include <QFontDatabase>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QVBoxLayout>

namespace vltune {

TrainPreviewDialog::TrainPreviewDialog(const QString &yaml, const QString &command, bool saved, QWidget *parent)
    : QDialog(parent)
{
    setWindowTitle(tr("Preview training settings"));
    resize(760, 640);
    const QFont mono = QFontDatabase::systemFont(QFontDatabase::FixedFont);

    auto *yamlEdit = new QPlainTextEdit(yaml, this);
    yamlEdit->setObjectName(QStringLiteral("trainPreviewYaml"));
    yamlEdit->setReadOnly(true);
    yamlEdit->setFont(mono);
    yamlEdit->setLineWrapMode(QPlainTextEdit::NoWrap);
    auto *copyYaml = new QPushButton(tr("Copy YAML"), this);
    connect(copyYaml, &QPushButton::clicked, this, [yaml] { QApplication::clipboard()->setText(yaml); });

    auto *commandEdit = new QLineEdit(command, this);
    commandEdit->setObjectName(QStringLiteral("trainPreviewCommand"));
    commandEdit->setReadOnly(true);
    commandEdit->setFont(mono);
    auto *copyCommand = new QPushButton(tr("Copy command"), this);
    connect(copyCommand, &QPushButton::clicked, this, [command] { QApplication::clipboard()->setText(command); });

    auto *yamlHeader = new QHBoxLayout;
    yamlHeader->addWidget(new QLabel(tr("<b>YAML</b> (LLaMA-Factory keys; llamafactory-cli reads it too)"), this), 1);
    yamlHeader->addWidget(copyYaml);
    auto *commandRow = new QHBoxLayout;
    commandRow->addWidget(commandEdit, 1);
    commandRow->addWidget(copyCommand);
    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Close, this);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);

    auto *layout = new QVBoxLayout(this);
    layout->addLayout(yamlHeader);
    layout->addWidget(yamlEdit, 1);
    layout->addWidget(new QLabel(saved ? tr("<b>Command line</b> (the same training without the GUI)")
                                       : tr("<b>Command line</b> (the same training without the GUI, once the YAML "
                                            "is saved under that name)"),
                                 this));
    layout->addLayout(commandRow);
    layout->addWidget(buttons);
}

} // namespace vltune
