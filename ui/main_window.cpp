#include "ui/main_window.h"

#include <QAction>
#include <QApplication>
#include <QIcon>
#include <QKeySequence>
#include <QLabel>
#include <QMenu>
#include <QMenuBar>
#include <QMessageBox>
#include <QStatusBar>
#include <QTabWidget>
#include <QVBoxLayout>

#include "ui/chat_page.h"
#include "ui/monitor_page.h"
#include "widgets/device_indicator.h"

namespace vltune {

namespace {

QString fromStd(const std::string &text)
{
    return QString::fromStdString(text);
}

} // namespace

MainWindow::MainWindow(const RuntimeInfo &runtime, QWidget *parent)
    : QMainWindow(parent)
    , m_runtime(runtime)
{
    setObjectName(QStringLiteral("mainWindow"));
    setWindowTitle(QStringLiteral("vltune"));
    createActions();
    createMenus();
    createStatusBar();
    auto *pages = new QTabWidget(this);
    pages->setObjectName(QStringLiteral("pages"));
    pages->setDocumentMode(true);
    pages->addTab(createStartPanel(), tr("Start"));
    m_monitorPage = new MonitorPage(pages);
    pages->addTab(m_monitorPage, tr("Monitor"));
    m_chatPage = new ChatPage(pages);
    pages->addTab(m_chatPage, tr("Chat"));
    setCentralWidget(pages);
    resize(1200, 800);
}

MainWindow::~MainWindow() = default;

void MainWindow::createActions()
{
    m_quitAction = new QAction(tr("&Quit"), this);
    m_quitAction->setObjectName(QStringLiteral("actionQuit"));
    m_quitAction->setShortcuts(QKeySequence::Quit);
    m_quitAction->setStatusTip(tr("Quit vltune"));
    m_quitAction->setMenuRole(QAction::QuitRole);
    m_quitAction->setIcon(QIcon::fromTheme(QStringLiteral("application-exit")));
    connect(m_quitAction, &QAction::triggered, this, &QWidget::close);

    m_aboutAction = new QAction(tr("&About vltune"), this);
    m_aboutAction->setObjectName(QStringLiteral("actionAbout"));
    m_aboutAction->setStatusTip(
        tr("Show the vltune and LibTorch versions and whether CUDA is available"));
    m_aboutAction->setMenuRole(QAction::AboutRole);
    connect(m_aboutAction, &QAction::triggered, this, &MainWindow::showAbout);

    m_aboutQtAction = new QAction(tr("About &Qt"), this);
    m_aboutQtAction->setObjectName(QStringLiteral("actionAboutQt"));
    m_aboutQtAction->setStatusTip(tr("Show the Qt version and license"));
    m_aboutQtAction->setMenuRole(QAction::AboutQtRole);
    connect(m_aboutQtAction, &QAction::triggered, qApp, &QApplication::aboutQt);
}

void MainWindow::createMenus()
{
    QMenu *fileMenu = menuBar()->addMenu(tr("&File"));
    fileMenu->setObjectName(QStringLiteral("menuFile"));
    fileMenu->addAction(m_quitAction);

    QMenu *helpMenu = menuBar()->addMenu(tr("&Help"));
    helpMenu->setObjectName(QStringLiteral("menuHelp"));
    helpMenu->addAction(m_aboutAction);
    helpMenu->addAction(m_aboutQtAction);
}

void MainWindow::createStatusBar()
{
    m_deviceIndicator = new DeviceIndicator(statusBar());
    m_deviceIndicator->setCudaDeviceCount(m_runtime.cuda_available ? m_runtime.cuda_device_count : 0);
    statusBar()->addPermanentWidget(m_deviceIndicator);
    statusBar()->showMessage(tr("Ready"));
}

QWidget *MainWindow::createStartPanel()
{
    auto *panel = new QWidget(this);
    panel->setObjectName(QStringLiteral("startPanel"));

    auto *icon = new QLabel(panel);
    icon->setPixmap(QApplication::windowIcon().pixmap(112, 112));
    icon->setAlignment(Qt::AlignCenter);

    auto *name = new QLabel(QStringLiteral("vltune"), panel);
    name->setObjectName(QStringLiteral("startTitle"));
    QFont nameFont = name->font();
    nameFont.setPointSizeF(nameFont.pointSizeF() * 2.6);
    nameFont.setWeight(QFont::DemiBold);
    name->setFont(nameFont);
    name->setAlignment(Qt::AlignCenter);

    auto *purpose = new QLabel(tr("Fine-tune vision-language models on your own machine."), panel);
    purpose->setObjectName(QStringLiteral("startPurpose"));
    QFont purposeFont = purpose->font();
    purposeFont.setPointSizeF(purposeFont.pointSizeF() * 1.25);
    purpose->setFont(purposeFont);
    purpose->setAlignment(Qt::AlignCenter);
    purpose->setWordWrap(true);

    //: The runtime line on the start panel: vltune version, LibTorch version, CUDA summary.
    auto *runtime = new QLabel(tr("vltune %1 · LibTorch %2 · %3")
                                   .arg(fromStd(m_runtime.vltune_version),
                                        fromStd(m_runtime.torch_version), cudaSummary()),
                               panel);
    runtime->setObjectName(QStringLiteral("startRuntime"));
    runtime->setAlignment(Qt::AlignCenter);
    runtime->setForegroundRole(QPalette::PlaceholderText);
    // Selectable, so it can be pasted into a bug report.
    runtime->setTextInteractionFlags(Qt::TextSelectableByMouse);

    auto *layout = new QVBoxLayout(panel);
    layout->setContentsMargins(48, 48, 48, 48);
    layout->setSpacing(12);
    layout->addStretch(2);
    layout->addWidget(icon);
    layout->addSpacing(8);
    layout->addWidget(name);
    layout->addWidget(purpose);
    layout->addSpacing(16);
    layout->addWidget(runtime);
    layout->addStretch(3);
    return panel;
}

QString MainWindow::cudaSummary() const
{
    if (!m_runtime.cuda_available)
        return tr("CUDA: not available, running on the CPU");
    return tr("CUDA: %n device(s)", nullptr, m_runtime.cuda_device_count);
}

QString MainWindow::aboutText() const
{
    const QString imageIo = m_runtime.image_io ? tr("Image decoding: OpenCV")
                                               : tr("Image decoding: not built in");
    return QStringLiteral("<h3>vltune %1</h3><p>%2</p><p>%3<br/>%4<br/>%5<br/>%6</p>")
        .arg(fromStd(m_runtime.vltune_version).toHtmlEscaped(),
             tr("Fine-tune vision-language models on your own machine.").toHtmlEscaped(),
             tr("LibTorch %1").arg(fromStd(m_runtime.torch_version)).toHtmlEscaped(),
             cudaSummary().toHtmlEscaped(),
             imageIo.toHtmlEscaped(),
             tr("Qt %1").arg(QString::fromLatin1(qVersion())).toHtmlEscaped());
}

void MainWindow::showAbout()
{
    QMessageBox::about(this, tr("About vltune"), aboutText());
}

} // namespace vltune
