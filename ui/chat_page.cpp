#include "ui/chat_page.h"

#include <QApplication>
#include <QCheckBox>
#include <QClipboard>
#include <QDoubleSpinBox>
#include <QDragEnterEvent>
#include <QDropEvent>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QImage>
#include <QImageReader>
#include <QKeyEvent>
#include <QLabel>
#include <QLineEdit>
#include <QMimeData>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QShortcut>
#include <QSpinBox>
#include <QSplitter>
#include <QStackedWidget>
#include <QVBoxLayout>

#include "ui/clip_retrieval_view.h"
#include "widgets/chat_transcript.h"

namespace vltune {

namespace {

bool isImageFile(const QString &path)
{
    static const QStringList suffixes = {QStringLiteral("png"), QStringLiteral("jpg"), QStringLiteral("jpeg"),
                                         QStringLiteral("webp"), QStringLiteral("bmp"), QStringLiteral("gif")};
    return suffixes.contains(QFileInfo(path).suffix().toLower());
}

} // namespace

ChatPage::ChatPage(QWidget *parent)
    : QWidget(parent)
    , m_controller(new ChatController(this))
{
    setObjectName(QStringLiteral("chatPage"));
    setAcceptDrops(true);
    m_columns = new QSplitter(Qt::Horizontal, this);
    m_columns->setObjectName(QStringLiteral("chatColumns"));
    m_columns->setChildrenCollapsible(false);
    m_retrieval = new ClipRetrievalView(this);
    m_stack = new QStackedWidget(this);
    m_stack->addWidget(m_columns);
    m_stack->addWidget(m_retrieval);

    auto *layout = new QVBoxLayout(this);
    layout->addWidget(createModelRow());
    m_settingsRow = createSettingsRow();
    layout->addWidget(m_settingsRow);
    layout->addWidget(m_stack, 1);
    m_inputRow = createInputRow();
    layout->addWidget(m_inputRow);

    connect(m_retrieval, &ClipRetrievalView::scoreCaptionsRequested, m_controller, &ChatController::scoreCaptions);
    connect(m_retrieval, &ClipRetrievalView::rankImagesRequested, m_controller, &ChatController::rankImages);
    connect(m_controller, &ChatController::retrievalFinished, m_retrieval, &ClipRetrievalView::showResult);

    connect(m_controller, &ChatController::modelLoaded, this, &ChatPage::showColumns);
    connect(m_controller, &ChatController::tokenStreamed, this, &ChatPage::onToken);
    connect(m_controller, &ChatController::answerFinished, this, &ChatPage::onAnswer);
    connect(m_controller, &ChatController::failed, this, [this](const QString &message) {
        m_statusLabel->setText(tr("Error: %1").arg(message));
        for (ChatTranscript *t : m_transcripts)
            t->endAnswer(tr("not answered"));
    });
    connect(m_controller, &ChatController::busyChanged, this, &ChatPage::updateButtons);
    updateButtons();
}

QWidget *ChatPage::createModelRow()
{
    auto *row = new QWidget(this);
    auto *layout = new QHBoxLayout(row);
    layout->setContentsMargins(0, 0, 0, 0);
    m_modelEdit = new QLineEdit(row);
    m_modelEdit->setObjectName(QStringLiteral("chatModelEdit"));
    m_modelEdit->setPlaceholderText(tr("Model folder (config.json, safetensors, tokenizer)"));
    auto *browseModel = new QPushButton(tr("Model…"), row);
    connect(browseModel, &QPushButton::clicked, this, &ChatPage::browseModel);
    m_adapterEdit = new QLineEdit(row);
    m_adapterEdit->setObjectName(QStringLiteral("chatAdapterEdit"));
    m_adapterEdit->setPlaceholderText(tr("Adapter folders, separated by ';' (optional)"));
    m_adapterEdit->setToolTip(tr("PEFT adapters (a run's output_dir or a checkpoint-N folder). Each answers in its own column."));
    auto *browseAdapter = new QPushButton(tr("Adapter…"), row);
    connect(browseAdapter, &QPushButton::clicked, this, &ChatPage::browseAdapter);
    m_compareCheck = new QCheckBox(tr("Compare with base"), row);
    m_compareCheck->setObjectName(QStringLiteral("chatCompareCheck"));
    m_compareCheck->setChecked(true);
    m_compareCheck->setToolTip(tr("Also answer with the base model, the adapters switched off (one copy of the weights)."));
    m_loadButton = new QPushButton(tr("Load"), row);
    m_loadButton->setObjectName(QStringLiteral("chatLoadButton"));
    connect(m_loadButton, &QPushButton::clicked, this, &ChatPage::loadModel);
    m_statusLabel = new QLabel(tr("No model loaded"), row);
    m_statusLabel->setObjectName(QStringLiteral("chatStatusLabel"));
    layout->addWidget(m_modelEdit, 3);
    layout->addWidget(browseModel);
    layout->addWidget(m_adapterEdit, 3);
    layout->addWidget(browseAdapter);
    layout->addWidget(m_compareCheck);
    layout->addWidget(m_loadButton);
    layout->addWidget(m_statusLabel, 2);
    return row;
}

QWidget *ChatPage::createSettingsRow()
{
    auto *row = new QWidget(this);
    auto *layout = new QHBoxLayout(row);
    layout->setContentsMargins(0, 0, 0, 0);
    m_maxTokens = new QSpinBox(row);
    m_maxTokens->setObjectName(QStringLiteral("chatMaxTokens"));
    m_maxTokens->setRange(1, 8192);
    m_maxTokens->setValue(512);
    m_maxTokens->setToolTip(tr("Most new tokens per answer. Usual: 128–1024."));
    m_sampleCheck = new QCheckBox(tr("Sample"), row);
    m_sampleCheck->setToolTip(tr("Draw tokens at random (temperature, top-p) instead of always the most likely one."));
    m_temperature = new QDoubleSpinBox(row);
    m_temperature->setRange(0.01, 2.0);
    m_temperature->setSingleStep(0.05);
    m_temperature->setValue(0.7);
    m_temperature->setToolTip(tr("Higher is more varied. Usual: 0.2–1.0."));
    m_topP = new QDoubleSpinBox(row);
    m_topP->setRange(0.05, 1.0);
    m_topP->setSingleStep(0.05);
    m_topP->setValue(0.9);
    m_topP->setToolTip(tr("Sample among the most likely tokens holding this much probability. Usual: 0.7–1.0."));
    m_scale = new QDoubleSpinBox(row);
    m_scale->setRange(0.0, 2.0);
    m_scale->setSingleStep(0.1);
    m_scale->setValue(1.0);
    m_scale->setToolTip(tr("Multiplies the adapters' effect: 0 is the base model, 1 as trained."));
    m_systemEdit = new QLineEdit(row);
    m_systemEdit->setObjectName(QStringLiteral("chatSystemEdit"));
    m_systemEdit->setPlaceholderText(tr("System prompt (empty: the template's default)"));
    connect(m_sampleCheck, &QCheckBox::toggled, this, [this](bool on) {
        m_temperature->setEnabled(on);
        m_topP->setEnabled(on);
    });
    m_temperature->setEnabled(false);
    m_topP->setEnabled(false);
    layout->addWidget(new QLabel(tr("Max new tokens"), row));
    layout->addWidget(m_maxTokens);
    layout->addWidget(m_sampleCheck);
    layout->addWidget(new QLabel(tr("Temperature"), row));
    layout->addWidget(m_temperature);
    layout->addWidget(new QLabel(tr("Top-p"), row));
    layout->addWidget(m_topP);
    layout->addWidget(new QLabel(tr("Adapter scale"), row));
    layout->addWidget(m_scale);
    layout->addWidget(m_systemEdit, 1);
    return row;
}

QWidget *ChatPage::createInputRow()
{
    auto *row = new QWidget(this);
    auto *layout = new QVBoxLayout(row);
    layout->setContentsMargins(0, 0, 0, 0);
    auto *images = new QHBoxLayout;
    m_attachButton = new QPushButton(tr("Attach image…"), row);
    connect(m_attachButton, &QPushButton::clicked, this, [this] {
        const QStringList files = QFileDialog::getOpenFileNames(this, tr("Attach images"), {},
                                                                tr("Images (*.png *.jpg *.jpeg *.webp *.bmp *.gif)"));
        for (const QString &f : files)
            attachImage(f);
    });
    m_imagesLabel = new QLabel(row);
    m_imagesLabel->setObjectName(QStringLiteral("chatImagesLabel"));
    images->addWidget(m_attachButton);
    images->addWidget(m_imagesLabel, 1);
    layout->addLayout(images);

    auto *input = new QHBoxLayout;
    m_input = new QPlainTextEdit(row);
    m_input->setObjectName(QStringLiteral("chatInput"));
    m_input->setPlaceholderText(tr("Ask about the images… (Ctrl+Enter sends; paste or drop images here)"));
    m_input->setMaximumHeight(96);
    m_input->installEventFilter(this);
    auto *buttons = new QVBoxLayout;
    m_sendButton = new QPushButton(tr("Send"), row);
    m_sendButton->setObjectName(QStringLiteral("chatSendButton"));
    m_stopButton = new QPushButton(tr("Stop"), row);
    m_stopButton->setObjectName(QStringLiteral("chatStopButton"));
    m_regenerateButton = new QPushButton(tr("Regenerate"), row);
    m_regenerateButton->setObjectName(QStringLiteral("chatRegenerateButton"));
    m_clearButton = new QPushButton(tr("Clear"), row);
    m_clearButton->setObjectName(QStringLiteral("chatClearButton"));
    m_copyButton = new QPushButton(tr("Copy"), row);
    m_copyButton->setObjectName(QStringLiteral("chatCopyButton"));
    connect(m_sendButton, &QPushButton::clicked, this, &ChatPage::send);
    connect(m_stopButton, &QPushButton::clicked, m_controller, &ChatController::stop);
    connect(m_regenerateButton, &QPushButton::clicked, this, &ChatPage::regenerate);
    connect(m_clearButton, &QPushButton::clicked, this, &ChatPage::clearConversation);
    connect(m_copyButton, &QPushButton::clicked, this, &ChatPage::copyConversation);
    auto *sendShortcut = new QShortcut(QKeySequence(Qt::CTRL | Qt::Key_Return), m_input);
    connect(sendShortcut, &QShortcut::activated, this, &ChatPage::send);
    for (QPushButton *b : {m_sendButton, m_stopButton, m_regenerateButton, m_clearButton, m_copyButton})
        buttons->addWidget(b);
    input->addWidget(m_input, 1);
    input->addLayout(buttons);
    layout->addLayout(input);
    return row;
}

ChatSettings ChatPage::settings() const
{
    ChatSettings s;
    s.maxNewTokens = m_maxTokens->value();
    s.sample = m_sampleCheck->isChecked();
    s.temperature = m_temperature->value();
    s.topP = m_topP->value();
    s.adapterScale = m_scale->value();
    s.systemPrompt = m_systemEdit->text();
    return s;
}

bool ChatPage::isRetrievalShown() const
{
    return m_stack->currentWidget() == m_retrieval;
}

void ChatPage::attachImage(const QString &path)
{
    if (isImageFile(path) && isRetrievalShown()) {
        m_retrieval->setImage(path);  // retrieval scores one image at a time
        return;
    }
    if (!isImageFile(path) || m_images.contains(path))
        return;
    m_images << path;
    updateImagesLabel();
}

void ChatPage::dragEnterEvent(QDragEnterEvent *event)
{
    if (event->mimeData()->hasUrls() || event->mimeData()->hasImage())
        event->acceptProposedAction();
}

void ChatPage::dropEvent(QDropEvent *event)
{
    for (const QUrl &url : event->mimeData()->urls()) {
        if (url.isLocalFile() && isRetrievalShown() && QFileInfo(url.toLocalFile()).isDir())
            m_retrieval->setFolder(url.toLocalFile());
        else if (url.isLocalFile())
            attachImage(url.toLocalFile());
    }
    event->acceptProposedAction();
}

bool ChatPage::eventFilter(QObject *watched, QEvent *event)
{
    // Ctrl+V with an image on the clipboard attaches it instead of pasting text.
    if (watched == m_input && event->type() == QEvent::KeyPress) {
        auto *key = static_cast<QKeyEvent *>(event);
        if (key->matches(QKeySequence::Paste) && QApplication::clipboard()->mimeData()->hasImage()) {
            pasteImage();
            return true;
        }
    }
    return QWidget::eventFilter(watched, event);
}

void ChatPage::pasteImage()
{
    const QImage image = qvariant_cast<QImage>(QApplication::clipboard()->mimeData()->imageData());
    if (image.isNull() || !m_pasted.isValid())
        return;
    const QString file = m_pasted.filePath(QStringLiteral("pasted-%1.png").arg(++m_pastedCount));
    if (image.save(file, "PNG"))
        attachImage(file);
}

void ChatPage::updateImagesLabel()
{
    QStringList names;
    for (const QString &p : m_images)
        names << QFileInfo(p).fileName();
    m_imagesLabel->setText(names.isEmpty() ? tr("No image attached") : tr("Next message shows: %1").arg(names.join(QStringLiteral(", "))));
}

void ChatPage::updateButtons()
{
    const bool busy = m_controller->isBusy();
    const bool ready = m_controller->hasModel() && !busy;
    m_loadButton->setEnabled(!busy);
    m_sendButton->setEnabled(ready);
    m_stopButton->setEnabled(busy);
    m_regenerateButton->setEnabled(ready && !m_transcripts.isEmpty() && !m_transcripts.first()->lastAnswer().isNull());
    m_clearButton->setEnabled(ready);
    m_copyButton->setEnabled(!m_transcripts.isEmpty());
    m_retrieval->setBusy(busy);
    updateImagesLabel();
}

void ChatPage::setModelAndAdapters(const QString &modelDir, const QStringList &adapterDirs)
{
    m_modelEdit->setText(modelDir);
    m_adapterEdit->setText(adapterDirs.join(QLatin1Char(';')));
}

void ChatPage::browseModel()
{
    const QString dir = QFileDialog::getExistingDirectory(this, tr("Model folder"), m_modelEdit->text());
    if (!dir.isEmpty())
        m_modelEdit->setText(dir);
}

void ChatPage::browseAdapter()
{
    const QString dir = QFileDialog::getExistingDirectory(this, tr("Adapter folder"));
    if (dir.isEmpty())
        return;
    const QString now = m_adapterEdit->text().trimmed();
    m_adapterEdit->setText(now.isEmpty() ? dir : now + QLatin1Char(';') + dir);
}

void ChatPage::loadModel()
{
    const QString model = m_modelEdit->text().trimmed();
    if (model.isEmpty()) {
        m_statusLabel->setText(tr("Choose a model folder first"));
        return;
    }
    QStringList adapters;
    for (const QString &a : m_adapterEdit->text().split(QLatin1Char(';'), Qt::SkipEmptyParts)) {
        if (!a.trimmed().isEmpty())
            adapters << a.trimmed();
    }
    m_statusLabel->setText(tr("Loading %1…").arg(QFileInfo(model).fileName()));
    m_controller->loadModel(model, adapters, m_compareCheck->isChecked());
}

void ChatPage::showColumns(const QStringList &labels, const QString &summary)
{
    qDeleteAll(m_transcripts);
    m_transcripts.clear();
    if (m_controller->isRetrieval()) {
        showRetrieval(labels, summary);
        return;
    }
    m_stack->setCurrentWidget(m_columns);
    // Undo only what showRetrieval() did: rows never hidden keep their implicit visibility.
    if (m_settingsRow->isHidden())
        m_settingsRow->show();
    if (m_inputRow->isHidden())
        m_inputRow->show();
    for (const QString &label : labels) {
        auto *t = new ChatTranscript(label, m_columns);
        m_columns->addWidget(t);
        m_transcripts << t;
    }
    m_statusLabel->setText(summary);
    updateButtons();
}

void ChatPage::showRetrieval(const QStringList &labels, const QString &summary)
{
    // labels: "base" and the adapter compared with it, if any.
    m_retrieval->setAdapterLabel(labels.size() > 1 ? labels.at(1) : QString());
    if (m_retrieval->image().isEmpty() && !m_images.isEmpty())
        m_retrieval->setImage(m_images.first());
    m_images.clear();
    m_stack->setCurrentWidget(m_retrieval);
    m_settingsRow->hide();
    m_inputRow->hide();
    m_statusLabel->setText(summary);
    updateButtons();
}

void ChatPage::send()
{
    const QString text = m_input->toPlainText().trimmed();
    if (!m_controller->hasModel() || m_controller->isBusy() || (text.isEmpty() && m_images.isEmpty()))
        return;
    QStringList names;
    for (const QString &p : m_images)
        names << QFileInfo(p).fileName();
    for (ChatTranscript *t : m_transcripts) {
        t->addUserTurn(text, names);
        t->beginAnswer();
    }
    m_controller->ask(text, m_images, settings());
    m_input->clear();
    m_images.clear();
    updateButtons();
}

void ChatPage::regenerate()
{
    if (!m_controller->hasModel() || m_controller->isBusy())
        return;
    for (ChatTranscript *t : m_transcripts) {
        t->dropLastAnswer();
        t->beginAnswer();
    }
    m_controller->regenerate(settings());
}

void ChatPage::clearConversation()
{
    m_controller->clear();
    for (ChatTranscript *t : m_transcripts)
        t->clear();
    updateButtons();
}

void ChatPage::copyConversation()
{
    QStringList parts;
    for (ChatTranscript *t : m_transcripts)
        parts << QStringLiteral("== %1 ==\n%2").arg(t->title(), t->plainText());
    QApplication::clipboard()->setText(parts.join(QStringLiteral("\n\n")));
}

void ChatPage::onToken(int column, const QString &piece)
{
    if (column >= 0 && column < m_transcripts.size())
        m_transcripts[column]->appendToAnswer(piece);
}

void ChatPage::onAnswer(const ChatAnswer &answer)
{
    if (answer.column < 0 || answer.column >= m_transcripts.size())
        return;
    QString note = tr("%1 tokens · %2 · first token %3 ms · %4 tok/s")
                       .arg(answer.tokens)
                       .arg(answer.finish)
                       .arg(answer.firstTokenMs, 0, 'f', 0)
                       .arg(answer.tokensPerSecond, 0, 'f', 1);
    if (answer.cudaGraph)
        note += tr(" · CUDA graph");
    m_transcripts[answer.column]->endAnswer(note);
    updateButtons();
}

} // namespace vltune
