// Engine headers first: Qt's `signals` / `slots` macros break LibTorch's.
#include "app/train_estimate.h"
#include "core/io/json_file.h"
#include "core/train/train_config.h"

#include "ui/train_page.h"

#include <QComboBox>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QFrame>
#include <QGridLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLocale>
#include <QPushButton>
#include <QRegularExpression>
#include <QScrollArea>
#include <QSplitter>
#include <QThread>
#include <QTimer>
#include <QVBoxLayout>

#include "ui/pinned_samples_editor.h"
#include "ui/train_form.h"
#include "ui/train_form_fields.h"
#include "ui/train_page_preview.h"

namespace vltune {

namespace {

// "14 GB", "4.4 GB", "350 MB".
QString gigabytes(double bytes)
{
    if (bytes < 1e9)
        return QStringLiteral("%1 MB").arg(bytes / 1e6, 0, 'f', 0);
    return QStringLiteral("%1 GB").arg(bytes / 1e9, 0, 'f', bytes < 10e9 ? 1 : 0);
}

QString count(int64_t n)
{
    return QLocale().toString(static_cast<qlonglong>(n));
}

// 6.6 M, 2.2 B.
QString parameters(int64_t n)
{
    if (n >= 1'000'000'000)
        return QStringLiteral("%1 B").arg(static_cast<double>(n) / 1e9, 0, 'f', 2);
    if (n >= 1'000'000)
        return QStringLiteral("%1 M").arg(static_cast<double>(n) / 1e6, 0, 'f', 1);
    return count(n);
}

// The settings the estimate reads, so unrelated edits (learning rate, ...) do not start one.
bool sameEstimateInputs(const train::TrainConfig &a, const train::TrainConfig &b)
{
    return a.model_name_or_path == b.model_name_or_path && a.template_name == b.template_name &&
           a.dataset_dir == b.dataset_dir && a.dataset == b.dataset && a.media_dir == b.media_dir &&
           a.image_max_pixels == b.image_max_pixels && a.image_min_pixels == b.image_min_pixels &&
           a.cutoff_len == b.cutoff_len && a.per_device_train_batch_size == b.per_device_train_batch_size &&
           a.disable_gradient_checkpointing == b.disable_gradient_checkpointing && a.use_unsloth_gc == b.use_unsloth_gc &&
           a.bf16 == b.bf16 && a.fp16 == b.fp16 && a.pure_bf16 == b.pure_bf16 && a.finetuning_type == b.finetuning_type &&
           a.lora_rank == b.lora_rank && a.lora_target == b.lora_target &&
           a.freeze_trainable_layers == b.freeze_trainable_layers;
}

QLabel *wrappingLabel(QWidget *parent, const QString &objectName)
{
    auto *label = new QLabel(parent);
    label->setObjectName(objectName);
    label->setWordWrap(true);
    label->setTextFormat(Qt::RichText);
    return label;
}

} // namespace

TrainPage::TrainPage(QWidget *parent)
    : QWidget(parent)
    , m_form(new TrainForm(this))
    , m_estimateTimer(new QTimer(this))
{
    setObjectName(QStringLiteral("trainPage"));
    m_estimateTimer->setSingleShot(true);
    m_estimateTimer->setInterval(600);
    connect(m_estimateTimer, &QTimer::timeout, this, &TrainPage::refreshEstimate);

    auto *scroll = new QScrollArea(this);
    scroll->setWidget(m_form);
    scroll->setWidgetResizable(true);
    scroll->setFrameShape(QFrame::NoFrame);

    auto *splitter = new QSplitter(Qt::Horizontal, this);
    splitter->setChildrenCollapsible(false);
    splitter->addWidget(scroll);
    splitter->addWidget(createSidePanel());
    splitter->setStretchFactor(0, 1);
    splitter->setStretchFactor(1, 0);
    splitter->setSizes({1000, 380});

    m_messageBar = new QLabel(this);
    m_messageBar->setObjectName(QStringLiteral("trainMessageBar"));
    m_messageBar->setWordWrap(true);
    m_messageBar->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_messageBar->hide();

    auto *layout = new QVBoxLayout(this);
    layout->addWidget(createToolbar());
    layout->addWidget(m_messageBar);
    layout->addWidget(splitter, 1);

    connect(m_form, &TrainForm::changed, this, &TrainPage::onFormChanged);
    connect(m_form, &TrainForm::validityChanged, this, &TrainPage::onValidityChanged);
    onValidityChanged(m_form->isValid(), m_form->errorMessage());
    updateButtons();
    showEstimate();
}

TrainPage::~TrainPage()
{
    // The estimate thread writes only into the result it co-owns; it reads headers for a moment,
    // so waiting for it is short.
    if (m_estimateThread) {
        m_estimateThread->disconnect(this);
        m_estimateThread->wait();
        delete m_estimateThread;
    }
}

QWidget *TrainPage::createToolbar()
{
    auto *bar = new QWidget(this);
    auto *layout = new QHBoxLayout(bar);
    layout->setContentsMargins(0, 0, 0, 0);
    auto *presetLabel = new QLabel(tr("GPU memory preset:"), bar);
    m_presetCombo = new QComboBox(bar);
    m_presetCombo->setObjectName(QStringLiteral("trainPresetCombo"));
    m_presetCombo->addItem(tr("Choose…"), 0);
    for (int gb : TrainForm::presetGigabytes())
        m_presetCombo->addItem(tr("%1 GB").arg(gb), gb);
    const QString presetTip = tr("Sets batch size, accumulation, gradient checkpointing, bf16 and the image pixel "
                                 "budget for a GPU of this size (a ~2B model with LoRA, effective batch 16).");
    m_presetCombo->setToolTip(presetTip);
    presetLabel->setToolTip(presetTip);
    connect(m_presetCombo, &QComboBox::activated, this, &TrainPage::onPresetChosen);

    m_loadButton = new QPushButton(tr("Load YAML…"), bar);
    m_loadButton->setObjectName(QStringLiteral("trainLoadButton"));
    m_loadButton->setToolTip(tr("Read a LLaMA-Factory training YAML into the form."));
    connect(m_loadButton, &QPushButton::clicked, this, &TrainPage::chooseLoad);
    m_saveButton = new QPushButton(tr("Save YAML…"), bar);
    m_saveButton->setObjectName(QStringLiteral("trainSaveButton"));
    m_saveButton->setToolTip(tr("Write the settings as a LLaMA-Factory training YAML."));
    connect(m_saveButton, &QPushButton::clicked, this, &TrainPage::chooseSave);
    m_previewButton = new QPushButton(tr("Preview…"), bar);
    m_previewButton->setObjectName(QStringLiteral("trainPreviewButton"));
    m_previewButton->setToolTip(tr("Show the YAML and the equivalent vltune-cli command."));
    connect(m_previewButton, &QPushButton::clicked, this, &TrainPage::preview);

    layout->addWidget(presetLabel);
    layout->addWidget(m_presetCombo);
    layout->addStretch(1);
    layout->addWidget(m_loadButton);
    layout->addWidget(m_saveButton);
    layout->addWidget(m_previewButton);
    return bar;
}

QWidget *TrainPage::createSidePanel()
{
    auto *panel = new QWidget(this);
    panel->setMinimumWidth(340);
    auto *layout = new QVBoxLayout(panel);
    layout->setContentsMargins(0, 0, 0, 0);

    auto *estimateBox = new QGroupBox(tr("Estimate"), panel);
    auto *estimateLayout = new QVBoxLayout(estimateBox);
    m_tokensLabel = wrappingLabel(estimateBox, QStringLiteral("trainTokensLabel"));
    m_tokensLabel->setToolTip(tr("Measured on up to 200 samples of the dataset, images counted from their file "
                                 "headers under the current image pixel limits; text is approximated at 4 bytes per token."));
    m_cutoffLabel = wrappingLabel(estimateBox, QStringLiteral("trainCutoffLabel"));
    m_memoryLabel = wrappingLabel(estimateBox, QStringLiteral("trainMemoryLabel"));
    m_memoryLabel->setToolTip(tr("weights = parameters × 2 bytes (bf16/fp16) or 4; optimizer = trainable parameters × 16 "
                                 "bytes (fp32 copy, gradient, AdamW moments); activations = batch × tokens × per-layer "
                                 "cost (much less with gradient checkpointing) + logits. CUDA's own overhead and the "
                                 "vision tower are not counted: expect 10–30% more."));
    m_estimateStatus = wrappingLabel(estimateBox, QStringLiteral("trainEstimateStatus"));
    m_estimateStatus->setStyleSheet(QStringLiteral("color: palette(mid);"));
    auto *refresh = new QPushButton(tr("Measure again"), estimateBox);
    refresh->setToolTip(tr("Measure the dataset's images again (after adding images, say)."));
    connect(refresh, &QPushButton::clicked, this, &TrainPage::refreshEstimate);
    estimateLayout->addWidget(m_tokensLabel);
    estimateLayout->addWidget(m_cutoffLabel);
    estimateLayout->addWidget(m_memoryLabel);
    auto *statusRow = new QHBoxLayout;
    statusRow->addWidget(m_estimateStatus, 1);
    statusRow->addWidget(refresh);
    estimateLayout->addLayout(statusRow);

    auto *runBox = new QGroupBox(tr("Run"), panel);
    auto *runLayout = new QGridLayout(runBox);
    m_stateLabel = new QLabel(runBox);
    m_stateLabel->setObjectName(QStringLiteral("trainStateLabel"));
    m_startButton = new QPushButton(tr("Start training"), runBox);
    m_startButton->setObjectName(QStringLiteral("trainStartButton"));
    m_startButton->setDefault(true);
    m_startButton->setMinimumHeight(34);
    QFont bold = m_startButton->font();
    bold.setBold(true);
    m_startButton->setFont(bold);
    connect(m_startButton, &QPushButton::clicked, this, &TrainPage::start);
    m_pauseButton = new QPushButton(tr("Pause"), runBox);
    m_pauseButton->setObjectName(QStringLiteral("trainPauseButton"));
    m_pauseButton->setToolTip(tr("Pause after the current step (the GPU memory stays allocated)."));
    connect(m_pauseButton, &QPushButton::clicked, this, &TrainPage::pauseRequested);
    m_resumeButton = new QPushButton(tr("Resume"), runBox);
    m_resumeButton->setObjectName(QStringLiteral("trainResumeButton"));
    connect(m_resumeButton, &QPushButton::clicked, this, &TrainPage::resumeRequested);
    m_stopButton = new QPushButton(tr("Stop"), runBox);
    m_stopButton->setObjectName(QStringLiteral("trainStopButton"));
    m_stopButton->setToolTip(tr("Stop after the current step and save a checkpoint to resume from later."));
    connect(m_stopButton, &QPushButton::clicked, this, &TrainPage::stopRequested);
    m_checkpointButton = new QPushButton(tr("Resume from checkpoint…"), runBox);
    m_checkpointButton->setObjectName(QStringLiteral("trainCheckpointButton"));
    m_checkpointButton->setToolTip(tr("Pick a checkpoint-N folder of an earlier run; Start then continues from it."));
    connect(m_checkpointButton, &QPushButton::clicked, this, &TrainPage::chooseCheckpoint);
    m_blockedLabel = wrappingLabel(runBox, QStringLiteral("trainBlockedLabel"));
    m_blockedLabel->setStyleSheet(QStringLiteral("color: #c0392b;"));
    runLayout->addWidget(m_stateLabel, 0, 0, 1, 3);
    runLayout->addWidget(m_startButton, 1, 0, 1, 3);
    runLayout->addWidget(m_pauseButton, 2, 0);
    runLayout->addWidget(m_resumeButton, 2, 1);
    runLayout->addWidget(m_stopButton, 2, 2);
    runLayout->addWidget(m_checkpointButton, 3, 0, 1, 3);
    runLayout->addWidget(m_blockedLabel, 4, 0, 1, 3);

    auto *pinnedBox = new QGroupBox(tr("Pinned samples"), panel);
    pinnedBox->setToolTip(tr("Answered with the current adapter before training and every N steps; the Monitor shows "
                             "the answers change next to the base model's."));
    auto *pinnedLayout = new QVBoxLayout(pinnedBox);
    m_pinned = new PinnedSamplesEditor(pinnedBox);
    m_pinned->setObjectName(QStringLiteral("trainPinnedEditor"));
    pinnedLayout->addWidget(m_pinned);

    layout->addWidget(estimateBox);
    layout->addWidget(runBox);
    layout->addWidget(pinnedBox);
    layout->addStretch(1);
    return panel;
}

QString TrainPage::yamlText() const
{
    return QString::fromStdString(train::to_yaml(m_form->config()));
}

QString TrainPage::cliCommand() const
{
    const QString path = m_yamlPath.isEmpty() ? QStringLiteral("train.yaml") : m_yamlPath;
    const bool plain = !path.contains(QRegularExpression(QStringLiteral("[^A-Za-z0-9_./-]")));
    return QStringLiteral("vltune-cli train ") + (plain ? path : QLatin1Char('\'') + path + QLatin1Char('\''));
}

bool TrainPage::loadYaml(const QString &path)
{
    train::ConfigReport report;
    try {
        const train::TrainConfig config = train::load_train_config(path.toStdString(), &report);
        m_form->setConfig(config);
    } catch (const std::exception &e) {
        showMessage(tr("Could not load %1: %2").arg(QDir::toNativeSeparators(path), QString::fromUtf8(e.what())), true);
        return false;
    }
    m_yamlPath = path;
    m_presetCombo->setCurrentIndex(0);
    if (!m_form->config().model_name_or_path.empty())
        TrainForm::addRecentModel(QString::fromStdString(m_form->config().model_name_or_path));
    QStringList lines;
    for (const std::string &w : report.warnings)
        lines << QString::fromStdString(w);
    for (const auto &u : report.unknown) {
        const QString text = u.suggestion.empty()
                                 ? tr("line %1: unknown key %2 (kept out of training)").arg(u.line).arg(QString::fromStdString(u.key))
                                 : tr("line %1: unknown key %2: did you mean %3?")
                                       .arg(u.line)
                                       .arg(QString::fromStdString(u.key), QString::fromStdString(u.suggestion));
        if (!lines.contains(text))
            lines << text;
    }
    if (!report.ignored.empty()) {
        QStringList ignored;
        for (const std::string &k : report.ignored)
            ignored << QString::fromStdString(k);
        lines << tr("Ignored (mean nothing here): %1").arg(ignored.join(QStringLiteral(", ")));
    }
    if (lines.isEmpty())
        showMessage(tr("Loaded %1.").arg(QDir::toNativeSeparators(path)), false);
    else
        showMessage(tr("Loaded %1 with notes:\n").arg(QDir::toNativeSeparators(path)) + lines.join(QLatin1Char('\n')), false);
    return true;
}

bool TrainPage::saveYaml(const QString &path)
{
    try {
        io::write_file_atomic(path.toStdString(), train::to_yaml(m_form->config()));
    } catch (const std::exception &e) {
        showMessage(tr("Could not save %1: %2").arg(QDir::toNativeSeparators(path), QString::fromUtf8(e.what())), true);
        return false;
    }
    m_yamlPath = path;
    showMessage(tr("Saved %1.").arg(QDir::toNativeSeparators(path)), false);
    return true;
}

QString TrainPage::message() const
{
    return m_messageBar->isHidden() ? QString() : m_messageBar->text();
}

void TrainPage::showMessage(const QString &text, bool error)
{
    m_messageBar->setText(text);
    m_messageBar->setStyleSheet(error ? QStringLiteral("background: #fdecea; color: #8a1f11; border: 1px solid #f5c6cb; "
                                                       "border-radius: 4px; padding: 6px;")
                                      : QStringLiteral("background: #eef5fb; color: #1d3f5e; border: 1px solid #c9def0; "
                                                       "border-radius: 4px; padding: 6px;"));
    m_messageBar->setVisible(!text.isEmpty());
}

void TrainPage::onFormChanged()
{
    if (!sameEstimateInputs(m_form->config(), m_estimatedConfig) || m_estimate.model.parameters == 0)
        m_estimateTimer->start();
}

void TrainPage::onValidityChanged(bool valid, const QString &message)
{
    m_blockedLabel->setText(valid ? QString() : tr("Cannot start: %1").arg(message.toHtmlEscaped()));
    m_blockedLabel->setVisible(!valid);
    m_startButton->setToolTip(valid ? tr("Start training with these settings.") : message);
    updateButtons();
}

void TrainPage::onPresetChosen(int index)
{
    const int gb = m_presetCombo->itemData(index).toInt();
    if (gb > 0)
        m_form->applyPresetToFields(gb);
}

void TrainPage::refreshEstimate()
{
    m_estimateTimer->stop();
    if (m_estimateThread) {
        m_estimateAgain = true;
        return;
    }
    const train::TrainConfig config = m_form->config();
    m_estimatedConfig = config;
    auto result = std::make_shared<TrainEstimate>();
    m_pending = result;
    m_estimateThread = QThread::create([config, result] { *result = estimate_training(config); });
    connect(m_estimateThread, &QThread::finished, this, &TrainPage::onEstimateDone);
    m_estimateStatus->setText(tr("Measuring…"));
    m_estimateThread->start();
}

void TrainPage::onEstimateDone()
{
    m_estimateThread->deleteLater();
    m_estimateThread = nullptr;
    m_estimate = *m_pending;
    showEstimate();
    emit estimateUpdated();
    if (m_estimateAgain || !sameEstimateInputs(m_form->config(), m_estimatedConfig)) {
        m_estimateAgain = false;
        refreshEstimate();
    }
}

void TrainPage::showEstimate()
{
    const ModelSummary &m = m_estimate.model;
    if (m_estimatedConfig.model_name_or_path.empty())
        m_form->setModelInfo(tr("No model chosen"));
    else if (!m.error.empty())
        m_form->setModelInfo(QString::fromStdString(m.error), true);
    else
        m_form->setModelInfo(tr("%1 · %2 parameters · %3%4")
                                 .arg(QString::fromStdString(m.family), parameters(m.parameters), QString::fromStdString(m.dtype),
                                      m.layers > 0 ? tr(" · %1 layers").arg(m.layers) : QString()));

    const TokenStats &t = m_estimate.tokens;
    if (!m.error.empty() || m_estimatedConfig.model_name_or_path.empty()) {
        m_tokensLabel->setText(tr("Tokens per sample: <i>choose a model and a dataset</i>"));
        m_cutoffLabel->clear();
        m_memoryLabel->setText(tr("VRAM: <i>needs a model</i>"));
    } else {
        if (!t.error.empty()) {
            m_tokensLabel->setText(tr("Tokens per sample: <i>%1</i>").arg(QString::fromStdString(t.error).toHtmlEscaped()));
            m_cutoffLabel->clear();
        } else {
            m_tokensLabel->setText(tr("Tokens per sample: min <b>%1</b> · median <b>%2</b> · max <b>%3</b><br>"
                                      "<small>%4 of %5 samples, %6 images; largest image %7 tokens</small>")
                                       .arg(count(t.min_tokens), count(t.median_tokens), count(t.max_tokens),
                                            count(t.samples_measured), count(t.samples_total), count(t.images),
                                            count(t.max_image_tokens)));
            QString cutoff;
            if (t.over_cutoff > 0)
                cutoff = tr("<span style='color:#c0392b'>⚠ %1 of %2 measured samples exceed cutoff_len %3 and will be "
                            "truncated: raise cutoff_len or lower image_max_pixels.</span>")
                             .arg(count(t.over_cutoff), count(t.samples_measured), count(m_estimatedConfig.cutoff_len));
            else
                cutoff = tr("<span style='color:#2e7d32'>✓ every measured sample fits cutoff_len %1.</span>")
                             .arg(count(m_estimatedConfig.cutoff_len));
            if (t.unreadable_images > 0)
                cutoff += tr("<br>%1 images could not be read (left out).").arg(count(t.unreadable_images));
            m_cutoffLabel->setText(cutoff);
        }
        const MemoryEstimate &e = m_estimate.memory;
        const QString host = e.host > 0 ? tr("; %1 of offloaded checkpoints in system RAM").arg(gigabytes(e.host)) : QString();
        m_memoryLabel->setText(tr("VRAM ≈ <b>%1</b> (weights %2 + optimizer %3 + activations %4)<br>"
                                  "<small>%5 trainable parameters; batch %6%7</small>")
                                   .arg(gigabytes(e.total()), gigabytes(e.weights), gigabytes(e.optimizer),
                                        gigabytes(e.activations), parameters(e.trainable_parameters),
                                        count(m_estimatedConfig.per_device_train_batch_size), host));
    }
    m_estimateStatus->setText(m_estimatedConfig.model_name_or_path.empty() ? QString() : tr("Estimated from headers only."));
}

void TrainPage::setRunState(RunState state)
{
    m_state = state;
    updateButtons();
}

void TrainPage::updateButtons()
{
    const bool idle = m_state == RunState::Idle;
    m_startButton->setEnabled(idle && m_form->isValid());
    m_pauseButton->setEnabled(m_state == RunState::Running);
    m_resumeButton->setEnabled(m_state == RunState::Paused);
    m_stopButton->setEnabled(m_state == RunState::Running || m_state == RunState::Paused);
    m_checkpointButton->setEnabled(idle);
    m_form->setEnabled(idle);  // the settings of a running job cannot change
    m_presetCombo->setEnabled(idle);
    m_loadButton->setEnabled(idle);
    switch (m_state) {
    case RunState::Idle: m_stateLabel->setText(tr("Not running.")); break;
    case RunState::Running: m_stateLabel->setText(tr("<b>Training…</b> (see Monitor for the curves)")); break;
    case RunState::Paused: m_stateLabel->setText(tr("<b>Paused.</b>")); break;
    case RunState::Stopping: m_stateLabel->setText(tr("Stopping after the current step…")); break;
    }
}

void TrainPage::start()
{
    if (m_state != RunState::Idle || !m_form->validateNow())
        return;
    TrainForm::addRecentModel(QString::fromStdString(m_form->config().model_name_or_path));
    emit startRequested(yamlText(), m_yamlPath);
}

void TrainPage::preview()
{
    TrainPreviewDialog dialog(yamlText(), cliCommand(), !m_yamlPath.isEmpty(), this);
    dialog.exec();
}

void TrainPage::chooseLoad()
{
    const QString path = QFileDialog::getOpenFileName(this, tr("Load training YAML"), QFileInfo(m_yamlPath).path(),
                                                      tr("YAML files (*.yaml *.yml);;All files (*)"));
    if (!path.isEmpty())
        loadYaml(path);
}

void TrainPage::chooseSave()
{
    QString start = m_yamlPath;
    if (start.isEmpty() && !m_form->config().output_dir.empty())
        start = QString::fromStdString(m_form->config().output_dir) + QStringLiteral(".yaml");
    const QString path = QFileDialog::getSaveFileName(this, tr("Save training YAML"), start,
                                                      tr("YAML files (*.yaml *.yml);;All files (*)"));
    if (!path.isEmpty())
        saveYaml(path);
}

void TrainPage::chooseCheckpoint()
{
    const QString folder = QFileDialog::getExistingDirectory(this, tr("Choose a checkpoint folder"),
                                                             QString::fromStdString(m_form->config().output_dir));
    if (folder.isEmpty())
        return;
    if (auto *edit = qobject_cast<PathEdit *>(m_form->fieldWidget(QStringLiteral("resume_from_checkpoint"))))
        edit->setText(folder);
}

} // namespace vltune
