#pragma once

#include <QHash>
#include <QString>
#include <QStringList>
#include <QWidget>

#include "app/evaluate_controller.h"

class QAction;
class QCheckBox;
class QComboBox;
class QDoubleSpinBox;
class QGridLayout;
class QGroupBox;
class QLabel;
class QLineEdit;
class QProgressBar;
class QPushButton;
class QSpinBox;
class QTableWidget;

namespace vltune {

// Evaluate & Export: LLaMA-Factory's "Evaluate & Predict" on a dataset (progress per sample, the
// predictions as they arrive, then BLEU-4 / ROUGE as percentages, eval loss and perplexity; the
// files land in the output folder), and the merge of an adapter into its base model exported as a
// full checkpoint (dtype, shard size). Run and Export stay disabled, saying why, until the folders
// they need are there.
class EvaluatePage final : public QWidget
{
    Q_OBJECT

public:
    explicit EvaluatePage(QWidget *parent = nullptr);

    EvaluateController *controller() const { return m_controller; }
    // What the forms say now.
    EvaluateSettings evaluateSettings() const;
    ExportSettings exportSettings() const;
    // Why Run / Export cannot start now ("" when they can).
    QString evaluateBlockedReason() const;
    QString exportBlockedReason() const;

public slots:
    // Fills both forms' model and adapter (e.g. from a finished training run).
    void setModelAndAdapter(const QString &modelDir, const QString &adapterDir);
    // What a training run suggests for the fields still empty (what the user typed stays): its
    // dataset folder and names (the datasets it validated on), predictions beside its adapter in
    // "<outputDir>-predict" (LLaMA-Factory's saves/.../predict beside .../sft), and the merged
    // export in "<outputDir>-merged" unless that exists already (the export wants a new folder).
    void suggestFromRun(const QString &datasetDir, const QStringList &datasets, const QString &outputDir);

signals:
    // A merged checkpoint was written to `dir` (the chat page can load it).
    void exported(const QString &dir);

private:
    QGroupBox *createEvaluateBox();
    QGroupBox *createExportBox();
    QLineEdit *addFolderRow(QGridLayout *grid, int row, const QString &label, const QString &placeholder,
                            const QString &objectName, bool file);
    void setProblem(QLineEdit *edit, const QString &problem);
    void validate();
    void runEvaluate();
    void runExport();
    void onStarted(int total, const QString &summary);
    void onProgress(const EvaluateProgress &progress);
    void onFinished(const EvaluateMetrics &metrics);
    void onFailed(const QString &message);
    void onExportProgress(const ExportStatus &status);
    void onExportFinished(const QString &dir, const QString &summary);
    void onExportFailed(const QString &message);
    void setMetric(int row, double value, const QString &text);
    void clearMetrics();

    EvaluateController *m_controller = nullptr;
    bool m_exporting = false;  // the controller's job is an export (else a prediction)
    bool m_statusIsHint = true;  // the status line still says what Run needs (no run yet)
    // Evaluate
    QLineEdit *m_modelEdit = nullptr;
    QLineEdit *m_adapterEdit = nullptr;
    QLineEdit *m_datasetEdit = nullptr;
    QLineEdit *m_datasetNamesEdit = nullptr;
    QLineEdit *m_outputEdit = nullptr;
    QSpinBox *m_maxSamples = nullptr;
    QSpinBox *m_maxNewTokens = nullptr;
    QCheckBox *m_greedyCheck = nullptr;
    QCheckBox *m_evalLossCheck = nullptr;
    QCheckBox *m_skipBadCheck = nullptr;
    QPushButton *m_runButton = nullptr;
    QPushButton *m_stopButton = nullptr;
    QProgressBar *m_progress = nullptr;
    QLabel *m_progressLabel = nullptr;
    QLabel *m_statusLabel = nullptr;
    QTableWidget *m_metrics = nullptr;
    QLabel *m_rougeNote = nullptr;
    QTableWidget *m_predictions = nullptr;
    // Export
    QLineEdit *m_exportModelEdit = nullptr;
    QLineEdit *m_exportAdapterEdit = nullptr;
    QLineEdit *m_exportOutEdit = nullptr;
    QComboBox *m_dtypeCombo = nullptr;
    QDoubleSpinBox *m_shardSize = nullptr;
    QPushButton *m_exportButton = nullptr;
    QProgressBar *m_exportProgress = nullptr;
    QLabel *m_exportResult = nullptr;

    QHash<QLineEdit *, QAction *> m_problemActions;  // the warning icon inside each marked field
};

} // namespace vltune
