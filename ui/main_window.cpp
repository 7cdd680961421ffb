// The pages first: some carry engine headers, which must come before Qt's `slots` macro.
#include "app/application.h"
#include "app/theme.h"
#include "app/train_controller.h"
#include "core/demo/demo_project.h"
#include "core/train/train_config.h"
#include "ui/train_form.h"
#include "ui/chat_page.h"
#include "ui/dataset_page.h"
#include "ui/evaluate_page.h"
#include "ui/get_model_dialog.h"
#include "ui/image_cache_dialog.h"
#include "ui/monitor_page.h"
#include "ui/pinned_samples_editor.h"
#include "ui/train_page.h"
#include "widgets/device_indicator.h"

#include "ui/main_window.h"

#include <QAction>
#include <QApplication>
#include <QCloseEvent>
#include <QDir>
#include <QDragEnterEvent>
#include <QDropEvent>
#include <QFileDialog>
#include <QIcon>
#include <QKeySequence>
#include <QLabel>
#include <QMenu>
#include <QMenuBar>
#include <QMessageBox>
#include <QFileInfo>
#include <QFrame>
#include <QHBoxLayout>
#include <QMimeData>
#include <QPointer>
#include <QProcess>
#include <QPushButton>
#include <QSettings>
#include <QActionGroup>
#include <QShortcut>
#include <QThread>
#include <QStatusBar>
#include <QTabWidget>
#include <QUrl>
#include <QVBoxLayout>

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
    m_pages = new QTabWidget(this);
    m_pages->setObjectName(QStringLiteral("pages"));
    m_pages->setDocumentMode(true);
    m_pages->addTab(createStartPanel(), QIcon(QStringLiteral(":/icons/start.svg")), tr("Start"));
    m_datasetPage = new DatasetPage(m_pages);
    m_pages->addTab(m_datasetPage, QIcon(QStringLiteral(":/icons/dataset.svg")), tr("Dataset"));
    m_trainPage = new TrainPage(m_pages);
    m_pages->addTab(m_trainPage, QIcon(QStringLiteral(":/icons/train.svg")), tr("Train"));
    m_monitorPage = new MonitorPage(m_pages);
    m_pages->addTab(m_monitorPage, QIcon(QStringLiteral(":/icons/monitor.svg")), tr("Monitor"));
    m_chatPage = new ChatPage(m_pages);
    m_pages->addTab(m_chatPage, QIcon(QStringLiteral(":/icons/chat.svg")), tr("Chat"));
    m_evaluatePage = new EvaluatePage(m_pages);
    m_pages->addTab(m_evaluatePage, QIcon(QStringLiteral(":/icons/export.svg")), tr("Evaluate && Export"));
    setCentralWidget(m_pages);
    setAcceptDrops(true);
    connectTraining();
    createViewMenu();
    // Ctrl+1 … Ctrl+6: the pages in order.
    for (int i = 0; i < m_pages->count(); ++i) {
        auto *shortcut = new QShortcut(QKeySequence(Qt::CTRL | Qt::Key(Qt::Key_1 + i)), this);
        connect(shortcut, &QShortcut::activated, this, [this, i] { m_pages->setCurrentIndex(i); });
    }
    connect(m_datasetPage, &DatasetPage::datasetOpened, this, [this](const QString &path, const QString &) {
        rememberDataset(path);
        // Pins name rows of the dataset they were taken from.
        if (QFileInfo(path).absoluteFilePath() != m_pinnedDataset)
            m_trainPage->pinnedEditor()->clear();
        m_pinnedDataset = QFileInfo(path).absoluteFilePath();
    });
    PinnedSamplesEditor *pinned = m_trainPage->pinnedEditor();
    connect(m_datasetPage, &DatasetPage::pinRequested, pinned, &PinnedSamplesEditor::addSample);
    connect(m_datasetPage, &DatasetPage::unpinRequested, pinned, &PinnedSamplesEditor::removeSample);
    connect(pinned, &PinnedSamplesEditor::changed, this, [this] {
        m_datasetPage->setPinnedSamples(m_trainPage->pinnedEditor()->choices());
    });
    connect(m_trainPage, &TrainPage::startRequested, this, [](const QString &, const QString &yamlPath) {
        if (!yamlPath.isEmpty())
            QSettings().setValue(QStringLiteral("project/yaml"), yamlPath);
    });
    connect(m_datasetPage, &DatasetPage::statusMessage, this,
            [this](const QString &text) { statusBar()->showMessage(text, 8000); });
    connect(m_monitorPage, &MonitorPage::checkpointActivated, this, [this](const QString &dir) {
        // A checkpoint picked on the Monitor: chat with it next to the base model.
        m_chatPage->setModelAndAdapters(m_trainController->modelDir(), {dir});
        m_pages->setCurrentWidget(m_chatPage);
    });
    resize(1200, 800);
    restoreGeometry(QSettings().value(QStringLiteral("window/geometry")).toByteArray());
}

void MainWindow::createViewMenu()
{
    auto *view = new QMenu(tr("&View"), this);
    view->setObjectName(QStringLiteral("menuView"));
    menuBar()->insertMenu(menuBar()->actions().last(), view);  // before Help, the last one

    QMenu *theme = view->addMenu(tr("&Theme"));
    theme->setObjectName(QStringLiteral("menuTheme"));
    auto *themes = new QActionGroup(this);
    const Theme current = themeFromName(QSettings().value(QStringLiteral("ui/theme")).toString());
    const std::pair<Theme, QString> choices[] = {
        {Theme::System, tr("&System")}, {Theme::Light, tr("&Light")}, {Theme::Dark, tr("&Dark")}};
    for (const auto &[value, label] : choices) {
        QAction *a = theme->addAction(label);
        a->setObjectName(QStringLiteral("actionTheme_") + themeName(value));
        a->setCheckable(true);
        a->setChecked(value == current);
        themes->addAction(a);
        connect(a, &QAction::triggered, this, [value] {
            QSettings().setValue(QStringLiteral("ui/theme"), themeName(value));
            applyTheme(*qApp, value);
        });
    }

    // The language applies at the next start: every page builds its text once. "Restart now" in
    // the status bar restarts at once (asking first when a run is training; the project reopens).
    m_restartButton = new QPushButton(tr("Restart now"), this);
    m_restartButton->setObjectName(QStringLiteral("restartButton"));
    m_restartButton->setToolTip(tr("Quit and start vltune again in the chosen language; the last dataset and YAML reopen."));
    m_restartButton->setFlat(true);
    m_restartButton->hide();
    statusBar()->addPermanentWidget(m_restartButton);
    connect(m_restartButton, &QPushButton::clicked, this, [this] {
        m_restartOnClose = true;
        if (!close())
            m_restartOnClose = false;
    });
    QMenu *language = view->addMenu(tr("&Language"));
    language->setObjectName(QStringLiteral("menuLanguage"));
    auto *languages = new QActionGroup(this);
    const QString chosen = QSettings().value(QStringLiteral("ui/language")).toString();
    const std::pair<QString, QString> locales[] = {
        {QString(), tr("System language")}, {QStringLiteral("en"), QStringLiteral("English")},
        {QStringLiteral("zh_CN"), QStringLiteral("简体中文")}};
    for (const auto &[code, label] : locales) {
        QAction *a = language->addAction(label);
        a->setObjectName(QStringLiteral("actionLanguage_") + (code.isEmpty() ? QStringLiteral("system") : code));
        a->setCheckable(true);
        a->setChecked(code == chosen);
        languages->addAction(a);
        connect(a, &QAction::triggered, this, [this, code] {
            if (code.isEmpty())
                QSettings().remove(QStringLiteral("ui/language"));
            else
                QSettings().setValue(QStringLiteral("ui/language"), code);
            statusBar()->showMessage(tr("The language changes when vltune starts again."), 8000);
            m_restartButton->show();
        });
    }
}

void MainWindow::rememberDataset(const QString &path)
{
    QSettings settings;
    settings.setValue(QStringLiteral("project/dataset"), path);
    QStringList recent = settings.value(QStringLiteral("recent/datasets")).toStringList();
    recent.removeAll(path);
    recent.prepend(path);
    while (recent.size() > 8)
        recent.removeLast();
    settings.setValue(QStringLiteral("recent/datasets"), recent);
    updateRecentDatasetsMenu();
}

void MainWindow::updateRecentDatasetsMenu()
{
    m_recentDatasetsMenu->clear();
    const QStringList recent = QSettings().value(QStringLiteral("recent/datasets")).toStringList();
    for (const QString &path : recent) {
        QAction *a = m_recentDatasetsMenu->addAction(path);
        connect(a, &QAction::triggered, this, [this, path] {
            m_datasetPage->openPath(path);
            m_pages->setCurrentWidget(m_datasetPage);
        });
    }
    m_recentDatasetsMenu->setEnabled(!recent.isEmpty());
}

bool MainWindow::reopenLastProject()
{
    QSettings settings;
    const QString dataset = settings.value(QStringLiteral("project/dataset")).toString();
    const QString yaml = settings.value(QStringLiteral("project/yaml")).toString();
    // The demo is not a project of the user's: a run that last showed it starts on it again.
    const QString demo = QDir(demoProjectFolder()).absolutePath() + QLatin1Char('/');
    const auto usable = [&demo](const QString &path) {
        return !path.isEmpty() && QFileInfo::exists(path) && !QFileInfo(path).absoluteFilePath().startsWith(demo);
    };
    const bool haveDataset = usable(dataset);
    const bool haveYaml = usable(yaml);
    if (!haveDataset && !haveYaml)
        return false;
    if (haveDataset)
        m_datasetPage->openPath(dataset);
    if (haveYaml)
        m_trainPage->loadYaml(yaml);
    m_demoLabel->setText(tr("Reopened your last project (%1). Train the demo to try vltune on a tiny model first.")
                             .arg(QDir::toNativeSeparators(haveYaml ? yaml : dataset)));
    return true;
}

void MainWindow::connectTraining()
{
    m_trainController = new TrainController(this);
    connect(m_trainPage, &TrainPage::startRequested, this, [this](const QString &yamlText, const QString &yamlPath) {
        TrainController::Options options;
        // The Monitor's pinned samples: the user's, else the first validation rows.
        const QVector<PinnedSampleChoice> pins = m_trainPage->pinnedEditor()->choices();
        options.pinnedSamples = pins.isEmpty() ? PinnedSamplesEditor::kMaxPinned : 0;
        for (const PinnedSampleChoice &p : pins)
            options.pinned.append({p.file, p.row, p.question});
        options.pinnedEvery = m_trainPage->pinnedEditor()->every();
        options.imageCache = ImageCacheSettings::load();
        m_trainController->start(yamlText, yamlPath.isEmpty() ? tr("Train page") : yamlPath, options);
    });
    connect(m_trainPage, &TrainPage::stopRequested, m_trainController, &TrainController::stop);
    connect(m_trainPage, &TrainPage::pauseRequested, m_trainController, &TrainController::pause);
    connect(m_trainPage, &TrainPage::resumeRequested, m_trainController, &TrainController::resume);
    connect(m_trainController, &TrainController::stateChanged, this, [this](TrainController::State state) {
        switch (state) {
        case TrainController::State::Idle: m_trainPage->setRunState(TrainPage::RunState::Idle); break;
        case TrainController::State::Running: m_trainPage->setRunState(TrainPage::RunState::Running); break;
        case TrainController::State::Paused: m_trainPage->setRunState(TrainPage::RunState::Paused); break;
        case TrainController::State::Stopping: m_trainPage->setRunState(TrainPage::RunState::Stopping); break;
        }
    });
    connect(m_trainController, &TrainController::runStarted, this, [this](const QString &outputDir) {
        m_monitorPage->openRun(outputDir);
        m_monitorPage->appendLog(tr("Training started: %1").arg(outputDir));
        m_pages->setCurrentWidget(m_monitorPage);
    });
    connect(m_trainController, &TrainController::message, m_monitorPage, &MonitorPage::appendLog);
    connect(m_trainController, &TrainController::stepDone, this, [this](const TrainStep &s) {
        //: Status bar during training: step, total, loss.
        statusBar()->showMessage(tr("Training: step %1 of %2, loss %3")
                                     .arg(s.step)
                                     .arg(s.totalSteps)
                                     .arg(s.loss, 0, 'f', 4));
    });
    connect(m_trainController, &TrainController::checkpointSaved, this,
            [this](const QString &dir) { m_monitorPage->appendLog(tr("Checkpoint saved: %1").arg(dir)); });
    connect(m_trainController, &TrainController::finished, this, &MainWindow::onTrainingFinished);
    connect(m_trainController, &TrainController::failed, this, &MainWindow::onTrainingFailed);
}

void MainWindow::onTrainingFinished(const QString &outcome, qint64 globalStep, qint64 totalSteps, double trainLoss)
{
    const QString dir = m_trainController->outputDir();
    const QString text = outcome == QLatin1String("stopped")
                             ? tr("Training stopped at step %1 of %2; a checkpoint is in %3. Start again to resume.")
                                   .arg(globalStep)
                                   .arg(totalSteps)
                                   .arg(dir)
                             : tr("Training finished at step %1 of %2 (mean train loss %3); the adapter is in %4.")
                                   .arg(globalStep)
                                   .arg(totalSteps)
                                   .arg(trainLoss, 0, 'f', 4)
                                   .arg(dir);
    statusBar()->showMessage(text);
    m_monitorPage->appendLog(text);
    m_monitorPage->refresh();
    // The adapter is ready to compare and evaluate against its base.
    m_chatPage->setModelAndAdapters(m_trainController->modelDir(), {dir});
    m_evaluatePage->setModelAndAdapter(m_trainController->modelDir(), dir);
    m_evaluatePage->suggestFromRun(m_trainController->datasetDir(), m_trainController->validationDatasets(), dir);
}

void MainWindow::onTrainingFailed(const QString &message)
{
    const QString text = tr("Training failed: %1").arg(message);
    statusBar()->showMessage(text);
    m_monitorPage->appendLog(text);
    // Non-blocking: the run's files stay where they are, the form keeps the settings.
    auto *box = new QMessageBox(QMessageBox::Warning, tr("Training failed"), message, QMessageBox::Ok, this);
    box->setObjectName(QStringLiteral("trainingFailedBox"));
    box->setAttribute(Qt::WA_DeleteOnClose);
    box->open();
}

void MainWindow::openDataset()
{
    const QString dir = QFileDialog::getExistingDirectory(this, tr("Open dataset folder"));
    if (dir.isEmpty())
        return;
    m_datasetPage->openPath(dir);
    m_pages->setCurrentWidget(m_datasetPage);
}

void MainWindow::dragEnterEvent(QDragEnterEvent *event)
{
    const QList<QUrl> urls = event->mimeData()->urls();
    if (!urls.isEmpty() && urls.first().isLocalFile())
        event->acceptProposedAction();
}

void MainWindow::dropEvent(QDropEvent *event)
{
    // Reaches the window only where no page took the drop (Chat takes images itself).
    const QList<QUrl> urls = event->mimeData()->urls();
    if (urls.isEmpty() || !urls.first().isLocalFile())
        return;
    m_datasetPage->openPath(urls.first().toLocalFile());
    m_pages->setCurrentWidget(m_datasetPage);
    event->acceptProposedAction();
}

void MainWindow::closeEvent(QCloseEvent *event)
{
    if (m_trainController->state() != TrainController::State::Idle) {
        const auto answer = QMessageBox::question(
            this, tr("Training is running"),
            tr("Stop training and quit? The run stops after the current step and writes a checkpoint, "
               "so it can be resumed later."),
            QMessageBox::Yes | QMessageBox::No, QMessageBox::No);
        if (answer != QMessageBox::Yes) {
            event->ignore();
            return;
        }
        m_trainController->stop();  // the controller's destructor waits for the checkpoint
    }
    QSettings().setValue(QStringLiteral("window/geometry"), saveGeometry());
    event->accept();
    if (m_restartOnClose) {
        QSettings().sync();
        QProcess::startDetached(QCoreApplication::applicationFilePath(), QCoreApplication::arguments().mid(1));
    }
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

    m_openDatasetAction = new QAction(tr("&Open Dataset…"), this);
    m_openDatasetAction->setObjectName(QStringLiteral("actionOpenDataset"));
    m_openDatasetAction->setShortcuts(QKeySequence::Open);
    m_openDatasetAction->setStatusTip(tr("Open a dataset folder on the Dataset page"));
    m_openDatasetAction->setIcon(QIcon::fromTheme(QStringLiteral("document-open")));
    connect(m_openDatasetAction, &QAction::triggered, this, &MainWindow::openDataset);

    m_getModelAction = new QAction(tr("&Get Model…"), this);
    m_getModelAction->setObjectName(QStringLiteral("actionGetModel"));
    m_getModelAction->setStatusTip(
        tr("Download a model from the Hugging Face Hub, or pick one already on this machine"));
    connect(m_getModelAction, &QAction::triggered, this, &MainWindow::getModel);

    m_imageCacheAction = new QAction(tr("Image &Cache…"), this);
    m_imageCacheAction->setObjectName(QStringLiteral("actionImageCache"));
    m_imageCacheAction->setStatusTip(tr("Where training keeps prepared images, how much it may keep, and emptying it"));
    connect(m_imageCacheAction, &QAction::triggered, this, &MainWindow::showImageCache);

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
    fileMenu->addAction(m_openDatasetAction);
    fileMenu->addAction(m_getModelAction);
    m_recentDatasetsMenu = fileMenu->addMenu(tr("Recent &Datasets"));
    m_recentDatasetsMenu->setObjectName(QStringLiteral("menuRecentDatasets"));
    updateRecentDatasetsMenu();
    fileMenu->addSeparator();
    fileMenu->addAction(m_imageCacheAction);
    fileMenu->addSeparator();
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
    layout->addSpacing(24);
    // Centred by stretches, not alignment: an aligned item gets no height-for-width, which the
    // card's wrapped text needs.
    auto *demoRow = new QHBoxLayout;
    demoRow->addStretch(1);
    demoRow->addWidget(createDemoCard(panel));
    demoRow->addStretch(1);
    layout->addLayout(demoRow);
    layout->addStretch(3);
    return panel;
}

QWidget *MainWindow::createDemoCard(QWidget *parent)
{
    auto *card = new QFrame(parent);
    card->setObjectName(QStringLiteral("demoCard"));
    card->setFrameShape(QFrame::StyledPanel);
    card->setFixedWidth(720);
    auto *title = new QLabel(tr("<b>Demo project</b>"), card);
    m_demoLabel = new QLabel(tr("No demo project open. Open your own dataset and model to begin."), card);
    m_demoLabel->setObjectName(QStringLiteral("demoLabel"));
    m_demoLabel->setWordWrap(true);
    m_trainDemoButton = new QPushButton(tr("Train the demo"), card);
    m_trainDemoButton->setObjectName(QStringLiteral("trainDemoButton"));
    m_trainDemoButton->setToolTip(tr("Start the demo's LoRA run; the Monitor shows it, then compare in Chat."));
    connect(m_trainDemoButton, &QPushButton::clicked, this, [this] {
        if (m_demoRoot.isEmpty()) {
            // Not open yet (the user's last project was): make it, then train it.
            auto *once = new QObject(this);
            connect(this, &MainWindow::demoReady, once, [this, once] {
                once->deleteLater();
                m_pages->setCurrentWidget(m_trainPage);
                m_trainPage->start();
            });
            connect(this, &MainWindow::demoFailed, once, &QObject::deleteLater);
            openDemoProject(demoProjectFolder());
            return;
        }
        m_pages->setCurrentWidget(m_trainPage);
        m_trainPage->start();
    });
    auto *ownData = new QPushButton(tr("Open my own dataset…"), card);
    ownData->setObjectName(QStringLiteral("ownDatasetButton"));
    connect(ownData, &QPushButton::clicked, this, &MainWindow::openDataset);
    auto *ownModel = new QPushButton(tr("Choose my own model…"), card);
    ownModel->setObjectName(QStringLiteral("ownModelButton"));
    connect(ownModel, &QPushButton::clicked, this, &MainWindow::chooseOwnModel);

    auto *buttons = new QHBoxLayout;
    buttons->addWidget(m_trainDemoButton);
    buttons->addStretch(1);
    buttons->addWidget(ownData);
    buttons->addWidget(ownModel);
    auto *layout = new QVBoxLayout(card);
    layout->setContentsMargins(16, 12, 16, 12);
    layout->addWidget(title);
    layout->addWidget(m_demoLabel);
    layout->addLayout(buttons);
    return card;
}

void MainWindow::openDemoProject(const QString &root)
{
    m_demoLabel->setText(tr("Preparing the demo project in %1…").arg(root));
    QPointer<MainWindow> self(this);
    // Drawing the images and learning the tokenizer take about a second: off the GUI thread.
    QThread *worker = QThread::create([self, root] {
        try {
            const demo::DemoProject p = demo::make_demo_project(root.toStdString());
            const auto q = [](const std::filesystem::path &path) { return QString::fromStdString(path.string()); };
            const QString model = q(p.model), dataset = q(p.dataset), yaml = q(p.train_yaml), out = q(p.output_dir);
            QMetaObject::invokeMethod(
                self.data(), [self, root, model, dataset, yaml, out] {
                    if (self)
                        self->showDemo(root, model, dataset, yaml, out);
                },
                Qt::QueuedConnection);
        } catch (const std::exception &e) {
            const QString message = QString::fromStdString(e.what());
            QMetaObject::invokeMethod(
                self.data(), [self, message] {
                    if (!self)
                        return;
                    self->m_demoLabel->setText(tr("The demo project could not be made: %1").arg(message));
                    emit self->demoFailed(message);
                },
                Qt::QueuedConnection);
        }
    });
    connect(worker, &QThread::finished, worker, &QObject::deleteLater);
    worker->start();
}

void MainWindow::showDemo(const QString &root, const QString &model, const QString &dataset, const QString &yaml,
                          const QString &outputDir)
{
    m_demoRoot = root;
    // A run already trained (an earlier session) is offered straight away.
    const bool trained = QFileInfo::exists(outputDir + QStringLiteral("/adapter_model.safetensors"));
    m_datasetPage->setModelDir(model);
    m_datasetPage->openPath(dataset);
    m_trainPage->loadYaml(yaml);
    m_chatPage->setModelAndAdapters(model, trained ? QStringList{outputDir} : QStringList{});
    m_evaluatePage->setModelAndAdapter(model, trained ? outputDir : QString());
    if (trained) {
        const train::TrainConfig config = m_trainPage->form()->config();
        m_evaluatePage->suggestFromRun(QString::fromStdString(config.dataset_dir),
                                       TrainController::validationDatasetsOf(config), outputDir);
    }
    m_demoLabel->setText(
        tr("This is a demo: coloured shapes and a tiny Qwen2-VL with random weights, made on this machine in %1. "
           "Train it (under a minute on a CPU), watch the loss on the Monitor, then ask Chat \"What is in the "
           "picture?\" about a shape: the adapted model names it, the base model cannot.")
            .arg(root));
    setWindowTitle(tr("vltune — demo project"));
    emit demoReady(root);
}

void MainWindow::chooseOwnModel()
{
    const QString dir = QFileDialog::getExistingDirectory(this, tr("Model folder (config.json, safetensors, tokenizer)"));
    if (!dir.isEmpty())
        useModel(dir);
}

void MainWindow::getModel()
{
    GetModelDialog dialog(this);
    if (dialog.exec() == QDialog::Accepted && !dialog.modelDir().isEmpty())
        useModel(dialog.modelDir());
}

void MainWindow::showImageCache()
{
    auto *dialog = new ImageCacheDialog(ImageCacheSettings::load(), this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    dialog->open();  // it saves the settings when accepted
}

void MainWindow::useModel(const QString &dir)
{
    TrainForm::addRecentModel(dir);
    // The user's own model replaces the demo's on the pages that use one.
    train::TrainConfig config = m_trainPage->form()->config();
    config.model_name_or_path = dir.toStdString();
    m_trainPage->form()->setConfig(config);
    m_chatPage->setModelAndAdapters(dir, {});
    m_evaluatePage->setModelAndAdapter(dir, QString());
    m_datasetPage->setModelDir(dir);
    setWindowTitle(QStringLiteral("vltune"));
    m_pages->setCurrentWidget(m_trainPage);
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
