#pragma once

#include <QMainWindow>

#include "core/runtime_info.h"

class QAction;
class QCloseEvent;
class QDragEnterEvent;
class QDropEvent;
class QLabel;
class QPushButton;
class QTabWidget;
class QWidget;

namespace vltune {

class ChatPage;
class DatasetPage;
class DeviceIndicator;
class EvaluatePage;
class MonitorPage;
class TrainController;
class TrainPage;

// The application window: menus, the status bar with the compute device, and the pages in the
// order a user works (Start · Dataset · Train · Monitor · Chat · Evaluate & Export). It owns the
// training controller and connects the pages: Start on the Train page runs it, the Monitor follows
// the run, and a finished run (or a checkpoint picked on the Monitor) is offered to Chat and
// Evaluate. A folder or file dropped anywhere no page takes it opens on the Dataset page.
class MainWindow final : public QMainWindow
{
    Q_OBJECT

public:
    // `runtime` is what the window reports (versions, CUDA); main() passes runtime_info().
    explicit MainWindow(const RuntimeInfo &runtime, QWidget *parent = nullptr);
    ~MainWindow() override;

    // Rich text shown by Help > About: vltune version, LibTorch version, CUDA, Qt.
    QString aboutText() const;
    ChatPage *chatPage() const { return m_chatPage; }
    MonitorPage *monitorPage() const { return m_monitorPage; }
    DatasetPage *datasetPage() const { return m_datasetPage; }
    TrainPage *trainPage() const { return m_trainPage; }
    EvaluatePage *evaluatePage() const { return m_evaluatePage; }
    TrainController *trainController() const { return m_trainController; }
    QTabWidget *pages() const { return m_pages; }

    // The first-run demo (core/demo/demo_project.h): made, or reused, in `root` on a worker
    // thread, then opened on every page (its dataset, its training YAML, its model in Chat and
    // Evaluate). The Start page says it is a demo and offers the user's own model and data.
    void openDemoProject(const QString &root);
    // Opens the project of the last session (its dataset and training YAML, remembered in
    // QSettings) unless it was the demo or is gone; false when there was nothing to reopen.
    bool reopenLastProject();
    // The demo's folder once opened ("" before).
    QString demoRoot() const { return m_demoRoot; }

signals:
    void demoReady(const QString &root);
    void demoFailed(const QString &message);

protected:
    void dragEnterEvent(QDragEnterEvent *event) override;
    void dropEvent(QDropEvent *event) override;
    void closeEvent(QCloseEvent *event) override;

private:
    void createActions();
    void createMenus();
    void createStatusBar();
    void createViewMenu();
    void rememberDataset(const QString &path);
    void updateRecentDatasetsMenu();
    QWidget *createStartPanel();
    void connectTraining();
    void onTrainingFinished(const QString &outcome, qint64 globalStep, qint64 totalSteps, double trainLoss);
    void onTrainingFailed(const QString &message);
    void openDataset();
    void chooseOwnModel();
    void getModel();
    void showImageCache();
    // `dir` becomes the model of the Train form, Chat, Evaluate and the dataset preview.
    void useModel(const QString &dir);
    void showDemo(const QString &root, const QString &model, const QString &dataset, const QString &yaml,
                  const QString &outputDir);
    QWidget *createDemoCard(QWidget *parent);
    QString cudaSummary() const;
    void showAbout();

    RuntimeInfo m_runtime;
    QAction *m_quitAction = nullptr;
    QAction *m_openDatasetAction = nullptr;
    QAction *m_getModelAction = nullptr;
    QAction *m_imageCacheAction = nullptr;
    QMenu *m_recentDatasetsMenu = nullptr;
    QAction *m_aboutAction = nullptr;
    QAction *m_aboutQtAction = nullptr;
    DeviceIndicator *m_deviceIndicator = nullptr;
    QTabWidget *m_pages = nullptr;
    ChatPage *m_chatPage = nullptr;
    MonitorPage *m_monitorPage = nullptr;
    DatasetPage *m_datasetPage = nullptr;
    TrainPage *m_trainPage = nullptr;
    EvaluatePage *m_evaluatePage = nullptr;
    TrainController *m_trainController = nullptr;
    QLabel *m_demoLabel = nullptr;
    QPushButton *m_trainDemoButton = nullptr;
    QString m_demoRoot;
    QPushButton *m_restartButton = nullptr;  // "Restart now" after a language change
    bool m_restartOnClose = false;
    QString m_pinnedDataset;  // the dataset the Train page's pins were taken from (absolute)
};

} // namespace vltune
