#pragma once

#include <QMainWindow>

#include "core/runtime_info.h"

class QAction;
class QWidget;

namespace vltune {

class ChatPage;
class MonitorPage;
class DeviceIndicator;

// The application window: menus, the status bar with the compute device, and the start panel.
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

private:
    void createActions();
    void createMenus();
    void createStatusBar();
    QWidget *createStartPanel();
    QString cudaSummary() const;
    void showAbout();

    RuntimeInfo m_runtime;
    QAction *m_quitAction = nullptr;
    QAction *m_aboutAction = nullptr;
    QAction *m_aboutQtAction = nullptr;
    DeviceIndicator *m_deviceIndicator = nullptr;
    ChatPage *m_chatPage = nullptr;
    MonitorPage *m_monitorPage = nullptr;
};

} // namespace vltune
