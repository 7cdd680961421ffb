#pragma once
// Train: the grouped settings form (ui/train_form.h), GPU-memory presets, a live estimate of tokens
// per sample (from the user's own images) and of VRAM, Preview (YAML + the equivalent CLI command),
// Save/Load YAML in LLaMA-Factory's keys, and Start / Pause / Resume / Stop. The page runs nothing:
// it emits requests for the training controller and shows the state it is told.

#include <QString>
#include <QWidget>

#include <memory>

#include "app/train_estimate.h"
#include "core/train/train_config.h"

class QComboBox;
class QLabel;
class QPushButton;
class QThread;
class QTimer;

namespace vltune {

class PinnedSamplesEditor;
class TrainForm;

class TrainPage final : public QWidget
{
    Q_OBJECT

public:
    enum class RunState { Idle, Running, Paused, Stopping };
    Q_ENUM(RunState)

    explicit TrainPage(QWidget *parent = nullptr);
    ~TrainPage() override;

    TrainForm *form() const { return m_form; }
    // The samples the run answers every N steps (pinned from the Dataset page).
    PinnedSamplesEditor *pinnedEditor() const { return m_pinned; }
    RunState runState() const { return m_state; }

    // The YAML file the settings were last loaded from or saved to ("" = none yet).
    QString yamlPath() const { return m_yamlPath; }
    // What Preview shows: the form as LLaMA-Factory YAML, and the command that runs it.
    QString yamlText() const;
    QString cliCommand() const;

    // Load / Save without dialogs (the buttons ask for the path and call these). Problems go to
    // the message bar; false when the file could not be read or written.
    bool loadYaml(const QString &path);
    bool saveYaml(const QString &path);
    // The message bar's text ("" when hidden).
    QString message() const;

    // The last finished estimate, and whether one is running.
    const TrainEstimate &estimate() const { return m_estimate; }
    bool isEstimating() const { return m_estimateThread != nullptr; }
    // Starts an estimate of the current settings now (it also runs by itself after changes).
    void refreshEstimate();
    // What Start does: checks the form and emits startRequested (nothing while a run is going).
    void start();

public slots:
    // The controller says what training is doing; buttons and form follow.
    void setRunState(vltune::TrainPage::RunState state);

signals:
    // Start pressed with valid settings: the YAML to run and the file it was saved to ("" = unsaved).
    void startRequested(const QString &yamlText, const QString &yamlPath);
    void stopRequested();
    void pauseRequested();
    void resumeRequested();
    // An estimate finished (estimate() has it).
    void estimateUpdated();

private:
    QWidget *createToolbar();
    QWidget *createSidePanel();
    void showMessage(const QString &text, bool error);
    void onFormChanged();
    void onValidityChanged(bool valid, const QString &message);
    void onPresetChosen(int index);
    void onEstimateDone();
    void showEstimate();
    void updateButtons();
    void preview();
    void chooseLoad();
    void chooseSave();
    void chooseCheckpoint();

    TrainForm *m_form = nullptr;
    PinnedSamplesEditor *m_pinned = nullptr;
    RunState m_state = RunState::Idle;
    QString m_yamlPath;
    QComboBox *m_presetCombo = nullptr;
    QPushButton *m_loadButton = nullptr;
    QPushButton *m_saveButton = nullptr;
    QPushButton *m_previewButton = nullptr;
    QLabel *m_messageBar = nullptr;
    QLabel *m_tokensLabel = nullptr;
    QLabel *m_cutoffLabel = nullptr;
    QLabel *m_memoryLabel = nullptr;
    QLabel *m_estimateStatus = nullptr;
    QLabel *m_stateLabel = nullptr;
    QLabel *m_blockedLabel = nullptr;
    QPushButton *m_startButton = nullptr;
    QPushButton *m_pauseButton = nullptr;
    QPushButton *m_resumeButton = nullptr;
    QPushButton *m_stopButton = nullptr;
    QPushButton *m_checkpointButton = nullptr;
    QTimer *m_estimateTimer = nullptr;
    QThread *m_estimateThread = nullptr;
    std::shared_ptr<TrainEstimate> m_pending;  // what the running thread writes
    bool m_estimateAgain = false;               // settings changed while it ran
    TrainEstimate m_estimate;
    train::TrainConfig m_estimatedConfig;       // what m_estimate was computed for
};

} // namespace vltune
