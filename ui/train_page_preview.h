#pragma once
// Preview: the settings as LLaMA-Factory YAML and the command line that runs the same training,
// each with a Copy button.

#include <QDialog>

namespace vltune {

class TrainPreviewDialog final : public QDialog
{
    Q_OBJECT

public:
    // `saved`: the YAML is already in the file the command names (else the user must save it first).
    TrainPreviewDialog(const QString &yaml, const QString &command, bool saved, QWidget *parent = nullptr);
};

} // namespace vltune
