#include "ui/dataset_page.h"

#include <QComboBox>
#include <QDir>
#include <QDragEnterEvent>
#include <QDropEvent>
#include <QFile>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QImageReader>
#include <QItemSelectionModel>
#include <QLabel>
#include <QLineEdit>
#include <QMimeData>
#include <QPlainTextEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QScrollArea>
#include <QSplitter>
#include <QStackedWidget>
#include <QTabWidget>
#include <QTextBrowser>
#include <QTimer>
#include <QToolButton>
#include <QTreeWidget>
#include <QUndoCommand>
#include <QUndoStack>
#include <QUrl>
#include <QVBoxLayout>

#include "ui/caption_proposal_box.h"
#include "widgets/histogram_chart.h"
#include "widgets/image_view.h"
#include "widgets/thumbnail_grid.h"
#include "widgets/thumbnail_loader.h"
#include "widgets/thumbnail_model.h"

namespace vltune {

namespace {

constexpr int kRecordRole = Qt::UserRole + 1;  // problem list: the record a problem is about

// The caption as the image-folder reader takes it from the file's bytes: no BOM, no trailing
// line breaks.
QString captionOf(QByteArray bytes)
{
    if (bytes.startsWith("\xEF\xBB\xBF"))
        bytes.remove(0, 3);
    while (bytes.endsWith('\n') || bytes.endsWith('\r'))
        bytes.chop(1);
    return QString::fromUtf8(bytes);
}

// The bytes of a caption file that read as `caption`, keeping the old file's BOM and final line
// break (an edit changes the words, not the file's conventions).
QByteArray captionBytes(const QString &caption, const QByteArray &old)
{
    QByteArray out;
    if (old.startsWith("\xEF\xBB\xBF"))
        out += "\xEF\xBB\xBF";
    out += caption.toUtf8();
    int end = static_cast<int>(old.size());
    while (end > 0 && (old[end - 1] == '\n' || old[end - 1] == '\r'))
        --end;
    out += old.mid(end);
    return out;
}

QString firstLine(const QString &text)
{
    const int cut = text.indexOf(QLatin1Char('\n'));
    return cut < 0 ? text : text.left(cut);
}

QString escaped(const QString &text)
{
    return text.toHtmlEscaped();
}

} // namespace

// One caption edit: the file's bytes before and after. The first redo() happens in saveCaption(),
// which writes before pushing so that a write that fails leaves nothing to undo.
class SaveCaptionCommand final : public QUndoCommand
{
public:
    SaveCaptionCommand(DatasetPage *page, int index, QString path, QByteArray before, QByteArray after)
        : QUndoCommand(DatasetPage::tr("Edit caption of %1").arg(QFileInfo(path).fileName()))
        , m_page(page)
        , m_index(index)
        , m_path(std::move(path))
        , m_before(std::move(before))
        , m_after(std::move(after))
    {
    }

    void redo() override
    {
        if (m_written) {
            m_written = false;
            return;
        }
        apply(m_after);
    }
    void undo() override { apply(m_before); }

private:
    void apply(const QByteArray &bytes)
    {
        const QString error = DatasetController::writeFileAtomically(m_path, bytes);
        if (!error.isEmpty()) {
            m_page->setMessage(DatasetPage::tr("Could not write the caption: %1").arg(error), true);
            return;
        }
        m_page->captionWritten(m_index, captionOf(bytes));
    }

    DatasetPage *m_page;
    int m_index;
    QString m_path;
    QByteArray m_before;
    QByteArray m_after;
    bool m_written = true;  // saveCaption() wrote `after` already
};

DatasetPage::DatasetPage(QWidget *parent)
    : QWidget(parent)
    , m_controller(new DatasetController(this))
    , m_loader(new ThumbnailLoader(QSize(128, 128), 256, this))
    , m_model(new ThumbnailModel(m_loader, this))
    , m_filter(new ThumbnailFilterModel(this))
    , m_undo(new QUndoStack(this))
{
    setObjectName(QStringLiteral("datasetPage"));
    setAcceptDrops(true);
    m_filter->setSourceModel(m_model);

    auto *split = new QSplitter(Qt::Horizontal, this);
    split->setObjectName(QStringLiteral("datasetSplitter"));
    split->setChildrenCollapsible(false);
    split->addWidget(createSamplesPane());
    split->addWidget(createDetailPane());
    split->setStretchFactor(0, 3);
    split->setStretchFactor(1, 2);

    auto *layout = new QVBoxLayout(this);
    layout->addWidget(createTopRow());
    layout->addWidget(split, 1);
    // The preview model is the one "Caption with model" asks (the top row exists only now).
    connect(m_modelEdit, &QLineEdit::textChanged, m_proposalBox, &CaptionProposalBox::setModelDir);

    connect(m_controller, &DatasetController::opened, this, &DatasetPage::onOpened);
    connect(m_controller, &DatasetController::failed, this, &DatasetPage::onFailed);
    connect(m_controller, &DatasetController::previewReady, this, &DatasetPage::onPreview);
    connect(m_controller, &DatasetController::busyChanged, m_busy, &QWidget::setVisible);
    connect(m_grid->selectionModel(), &QItemSelectionModel::currentChanged, this, &DatasetPage::onCurrentChanged);
    connect(m_filter, &QAbstractItemModel::rowsInserted, this, &DatasetPage::updateCountLabel);
    connect(m_filter, &QAbstractItemModel::rowsRemoved, this, &DatasetPage::updateCountLabel);
    connect(m_filter, &QAbstractItemModel::modelReset, this, &DatasetPage::updateCountLabel);
    connect(m_filter, &QAbstractItemModel::layoutChanged, this, &DatasetPage::updateCountLabel);
}

QWidget *DatasetPage::createTopRow()
{
    auto *box = new QWidget(this);
    auto *outer = new QVBoxLayout(box);
    outer->setContentsMargins(0, 0, 0, 0);
    outer->setSpacing(4);

    auto *row = new QHBoxLayout;
    auto *openFolder = new QPushButton(tr("Open Folder…"), box);
    openFolder->setObjectName(QStringLiteral("datasetOpenFolderButton"));
    openFolder->setToolTip(tr("A LLaMA-Factory data folder (dataset_info.json), a COCO folder or a folder of images with .txt captions."));
    connect(openFolder, &QPushButton::clicked, this, &DatasetPage::browseFolder);
    auto *openFile = new QPushButton(tr("Open File…"), box);
    openFile->setObjectName(QStringLiteral("datasetOpenFileButton"));
    openFile->setToolTip(tr("A ShareGPT, Alpaca or OpenAI-messages .json / .jsonl file, or a dataset_info.json."));
    connect(openFile, &QPushButton::clicked, this, &DatasetPage::browseFile);
    m_modelEdit = new QLineEdit(box);
    m_modelEdit->setObjectName(QStringLiteral("datasetModelEdit"));
    m_modelEdit->setReadOnly(true);
    m_modelEdit->setPlaceholderText(tr("none: no token counts, no prompt preview"));
    m_modelEdit->setToolTip(tr("The model whose tokenizer and chat template count tokens, find too-long samples and render the training prompt."));
    auto *chooseModel = new QPushButton(tr("Choose…"), box);
    connect(chooseModel, &QPushButton::clicked, this, &DatasetPage::browseModel);
    auto *clearModel = new QToolButton(box);
    clearModel->setText(tr("Clear"));
    clearModel->setToolTip(tr("Preview without a model"));
    connect(clearModel, &QToolButton::clicked, this, [this] { setModelDir(QString()); });
    m_busy = new QProgressBar(box);
    m_busy->setRange(0, 0);
    m_busy->setMaximumWidth(120);
    m_busy->setTextVisible(false);
    m_busy->setToolTip(tr("Reading and validating…"));
    m_busy->hide();
    row->addWidget(openFolder);
    row->addWidget(openFile);
    row->addSpacing(16);
    row->addWidget(new QLabel(tr("Model for preview:"), box));
    row->addWidget(m_modelEdit, 1);
    row->addWidget(chooseModel);
    row->addWidget(clearModel);
    row->addWidget(m_busy);
    outer->addLayout(row);

    m_formatLabel = new QLabel(tr("No dataset open"), box);
    m_formatLabel->setObjectName(QStringLiteral("datasetFormatLabel"));
    m_formatLabel->setTextInteractionFlags(Qt::TextSelectableByMouse);
    QFont big = m_formatLabel->font();
    big.setPointSizeF(big.pointSizeF() * 1.15);
    m_formatLabel->setFont(big);
    m_countsLabel = new QLabel(box);
    m_countsLabel->setObjectName(QStringLiteral("datasetCountsLabel"));
    m_countsLabel->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_messageLabel = new QLabel(box);
    m_messageLabel->setObjectName(QStringLiteral("datasetMessageLabel"));
    m_messageLabel->setWordWrap(true);
    m_messageLabel->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_messageLabel->hide();
    outer->addWidget(m_formatLabel);
    outer->addWidget(m_countsLabel);
    outer->addWidget(m_messageLabel);
    return box;
}

QWidget *DatasetPage::createSamplesPane()
{
    m_leftTabs = new QTabWidget(this);
    m_leftTabs->setObjectName(QStringLiteral("datasetLeftTabs"));

    auto *samples = new QWidget(m_leftTabs);
    auto *layout = new QVBoxLayout(samples);
    layout->setContentsMargins(4, 4, 4, 4);
    auto *filters = new QHBoxLayout;
    m_search = new QLineEdit(samples);
    m_search->setObjectName(QStringLiteral("datasetSearchEdit"));
    m_search->setPlaceholderText(tr("Search captions and conversations"));
    m_search->setClearButtonEnabled(true);
    m_problemFilter = new QComboBox(samples);
    m_problemFilter->setObjectName(QStringLiteral("datasetProblemFilter"));
    m_problemFilter->addItem(tr("All samples"), QString());
    m_shownLabel = new QLabel(samples);
    m_shownLabel->setObjectName(QStringLiteral("datasetShownLabel"));
    filters->addWidget(m_search, 1);
    filters->addWidget(m_problemFilter);
    filters->addWidget(m_shownLabel);
    layout->addLayout(filters);

    m_searchTimer = new QTimer(this);
    m_searchTimer->setSingleShot(true);
    m_searchTimer->setInterval(150);  // filter 100,000 rows once the typing pauses
    connect(m_search, &QLineEdit::textChanged, m_searchTimer, qOverload<>(&QTimer::start));
    connect(m_searchTimer, &QTimer::timeout, this, &DatasetPage::applyFilters);
    connect(m_problemFilter, &QComboBox::currentIndexChanged, this, &DatasetPage::applyFilters);

    auto *vsplit = new QSplitter(Qt::Vertical, samples);
    vsplit->setChildrenCollapsible(false);
    m_gridStack = new QStackedWidget(vsplit);
    auto *empty = new QLabel(tr("<p style='font-size:large'>Drop a dataset folder or file here</p>"
                                "<p>or use <b>Open Folder…</b> / <b>Open File…</b></p>"
                                "<p style='color:gray'>LLaMA-Factory folders (dataset_info.json), ShareGPT, Alpaca and "
                                "OpenAI-messages files, COCO captions, and folders of images with .txt captions.</p>"),
                             m_gridStack);
    empty->setAlignment(Qt::AlignCenter);
    empty->setWordWrap(true);
    m_grid = new ThumbnailGrid(m_loader, m_gridStack);
    m_grid->setObjectName(QStringLiteral("datasetGrid"));
    m_grid->setModel(m_filter);
    m_gridStack->addWidget(empty);
    m_gridStack->addWidget(m_grid);

    auto *problemsBox = new QWidget(vsplit);
    auto *problemsLayout = new QVBoxLayout(problemsBox);
    problemsLayout->setContentsMargins(0, 4, 0, 0);
    m_problems = new QTreeWidget(problemsBox);
    m_problems->setObjectName(QStringLiteral("datasetProblemList"));
    m_problems->setHeaderLabels({tr("Problem"), tr("Where"), tr("Message")});
    m_problems->setRootIsDecorated(false);
    m_problems->setUniformRowHeights(true);
    m_problems->setAlternatingRowColors(true);
    m_problems->header()->setSectionResizeMode(QHeaderView::Interactive);
    m_problems->header()->setStretchLastSection(true);
    m_problems->setColumnWidth(0, 150);
    m_problems->setColumnWidth(1, 170);
    connect(m_problems, &QTreeWidget::itemClicked, this, &DatasetPage::onProblemActivated);
    connect(m_problems, &QTreeWidget::itemActivated, this, &DatasetPage::onProblemActivated);
    auto *problemsTitle = new QLabel(tr("<b>Problems</b> (click one to show its sample)"), problemsBox);
    problemsLayout->addWidget(problemsTitle);
    problemsLayout->addWidget(m_problems);
    vsplit->addWidget(m_gridStack);
    vsplit->addWidget(problemsBox);
    vsplit->setStretchFactor(0, 3);
    vsplit->setStretchFactor(1, 1);
    layout->addWidget(vsplit, 1);

    m_leftTabs->addTab(samples, tr("Samples"));
    m_leftTabs->addTab(createStatisticsPane(), tr("Statistics"));
    return m_leftTabs;
}

QWidget *DatasetPage::createStatisticsPane()
{
    auto *scroll = new QScrollArea(this);
    scroll->setWidgetResizable(true);
    scroll->setFrameShape(QFrame::NoFrame);
    auto *box = new QWidget(scroll);
    auto *layout = new QVBoxLayout(box);
    m_statsLabel = new QLabel(box);
    m_statsLabel->setWordWrap(true);
    m_tokenChart = new HistogramChart(box);
    m_tokenChart->setObjectName(QStringLiteral("datasetTokenChart"));
    m_sizeChart = new HistogramChart(box);
    m_sizeChart->setObjectName(QStringLiteral("datasetSizeChart"));
    layout->addWidget(m_statsLabel);
    layout->addWidget(m_tokenChart, 1);
    layout->addWidget(m_sizeChart, 1);
    scroll->setWidget(box);
    return scroll;
}

QWidget *DatasetPage::createDetailPane()
{
    auto *pane = new QSplitter(Qt::Vertical, this);
    pane->setChildrenCollapsible(false);

    auto *imageBox = new QWidget(pane);
    auto *imageLayout = new QVBoxLayout(imageBox);
    imageLayout->setContentsMargins(0, 0, 0, 0);
    auto *bar = new QHBoxLayout;
    m_sampleTitle = new QLabel(tr("No sample selected"), imageBox);
    m_sampleTitle->setObjectName(QStringLiteral("datasetSampleTitle"));
    m_sampleTitle->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_image = new ImageView(imageBox);
    m_image->setObjectName(QStringLiteral("datasetImageView"));
    m_image->setMinimumSize(240, 200);
    auto addZoomButton = [&](const QString &text, const QString &tip, void (ImageView::*slot)()) {
        auto *b = new QToolButton(imageBox);
        b->setText(text);
        b->setToolTip(tip);
        b->setAutoRaise(true);
        connect(b, &QToolButton::clicked, m_image, slot);
        bar->addWidget(b);
    };
    bar->addWidget(m_sampleTitle, 1);
    m_pinButton = new QToolButton(imageBox);
    m_pinButton->setObjectName(QStringLiteral("datasetPinButton"));
    m_pinButton->setText(tr("Pin"));
    m_pinButton->setIcon(QIcon(QStringLiteral(":/icons/pin.svg")));
    m_pinButton->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
    m_pinButton->setCheckable(true);
    m_pinButton->setAutoRaise(true);
    m_pinButton->setEnabled(false);
    connect(m_pinButton, &QToolButton::clicked, this, &DatasetPage::onPinClicked);
    bar->addWidget(m_pinButton);
    bar->addSpacing(8);
    addZoomButton(tr("Fit"), tr("Fit the image to the view"), &ImageView::fitToView);
    addZoomButton(QStringLiteral("−"), tr("Zoom out (Ctrl+wheel)"), &ImageView::zoomOut);
    addZoomButton(QStringLiteral("+"), tr("Zoom in (Ctrl+wheel)"), &ImageView::zoomIn);
    addZoomButton(tr("100%"), tr("Actual pixels"), &ImageView::actualSize);
    m_zoomLabel = new QLabel(imageBox);
    m_zoomLabel->setMinimumWidth(44);
    m_zoomLabel->setAlignment(Qt::AlignRight | Qt::AlignVCenter);
    bar->addWidget(m_zoomLabel);
    connect(m_image, &ImageView::zoomChanged, this,
            [this](double z) { m_zoomLabel->setText(tr("%1 %").arg(qRound(z * 100))); });
    imageLayout->addLayout(bar);
    imageLayout->addWidget(m_image, 1);

    m_detailTabs = new QTabWidget(pane);
    m_detailTabs->setObjectName(QStringLiteral("datasetDetailTabs"));
    m_conversation = new QTextBrowser(m_detailTabs);
    m_conversation->setObjectName(QStringLiteral("datasetConversationView"));
    m_prompt = new QTextBrowser(m_detailTabs);
    m_prompt->setObjectName(QStringLiteral("datasetPromptView"));

    m_captionTab = new QWidget(m_detailTabs);
    auto *captionLayout = new QVBoxLayout(m_captionTab);
    m_captionEdit = new QPlainTextEdit(m_captionTab);
    m_captionEdit->setObjectName(QStringLiteral("datasetCaptionEdit"));
    m_captionEdit->setPlaceholderText(tr("The caption this image is trained with"));
    connect(m_captionEdit, &QPlainTextEdit::textChanged, this, &DatasetPage::updateCaptionButtons);
    auto *buttons = new QHBoxLayout;
    m_saveCaption = new QPushButton(tr("Save Caption"), m_captionTab);
    m_saveCaption->setObjectName(QStringLiteral("datasetSaveCaptionButton"));
    m_saveCaption->setToolTip(tr("Write the caption to its .txt file (atomically; Undo restores the previous text)."));
    m_saveCaption->setShortcut(QKeySequence::Save);
    connect(m_saveCaption, &QPushButton::clicked, this, &DatasetPage::saveCaption);
    m_revertCaption = new QPushButton(tr("Revert"), m_captionTab);
    m_revertCaption->setToolTip(tr("Discard the edit: show the caption as saved."));
    connect(m_revertCaption, &QPushButton::clicked, this, [this] { m_captionEdit->setPlainText(m_currentCaption); });
    auto *undo = new QToolButton(m_captionTab);
    undo->setDefaultAction(m_undo->createUndoAction(this, tr("Undo")));
    undo->defaultAction()->setShortcut(QKeySequence::Undo);
    undo->setToolButtonStyle(Qt::ToolButtonTextOnly);
    auto *redo = new QToolButton(m_captionTab);
    redo->setDefaultAction(m_undo->createRedoAction(this, tr("Redo")));
    redo->defaultAction()->setShortcut(QKeySequence::Redo);
    redo->setToolButtonStyle(Qt::ToolButtonTextOnly);
    addAction(undo->defaultAction());
    addAction(redo->defaultAction());
    buttons->addWidget(m_saveCaption);
    buttons->addWidget(m_revertCaption);
    buttons->addStretch(1);
    buttons->addWidget(undo);
    buttons->addWidget(redo);
    captionLayout->addWidget(m_captionEdit, 1);
    captionLayout->addLayout(buttons);
    m_proposalBox = new CaptionProposalBox(m_captionTab);
    connect(m_proposalBox, &CaptionProposalBox::accepted, this, [this](const QString &caption) {
        if (m_captionEdit->isEnabled())
            m_captionEdit->setPlainText(caption);  // an edit like typing: Save Caption writes it
    });
    captionLayout->addWidget(m_proposalBox);

    m_detailTabs->addTab(m_conversation, tr("Conversation"));
    m_detailTabs->addTab(m_prompt, tr("Training Prompt"));
    m_detailTabs->addTab(m_captionTab, tr("Caption"));
    m_detailTabs->setTabEnabled(2, false);
    pane->addWidget(imageBox);
    pane->addWidget(m_detailTabs);
    pane->setStretchFactor(0, 3);
    pane->setStretchFactor(1, 2);
    updateCaptionButtons();
    return pane;
}

bool DatasetPage::canOpen(const QString &path)
{
    const QFileInfo info(path);
    return info.exists() && (info.isDir() || info.isFile());
}

void DatasetPage::openPath(const QString &path)
{
    if (!canOpen(path)) {
        setMessage(tr("%1 does not exist.").arg(path), true);
        return;
    }
    setMessage(tr("Reading %1…").arg(QDir::toNativeSeparators(path)));
    m_controller->open(path, m_modelEdit->text());
}

void DatasetPage::setModelDir(const QString &dir)
{
    m_modelEdit->setText(dir);
    if (!m_controller->path().isEmpty()) {
        setMessage(dir.isEmpty() ? tr("Validating without a model…") : tr("Counting tokens with %1…").arg(dir));
        m_controller->setModelDir(dir);
    }
}

void DatasetPage::browseFolder()
{
    const QString dir = QFileDialog::getExistingDirectory(this, tr("Open Dataset Folder"), m_controller->path());
    if (!dir.isEmpty())
        openPath(dir);
}

void DatasetPage::browseFile()
{
    const QString file = QFileDialog::getOpenFileName(this, tr("Open Dataset File"), m_controller->path(),
                                                      tr("Datasets (*.json *.jsonl);;All files (*)"));
    if (!file.isEmpty())
        openPath(file);
}

void DatasetPage::browseModel()
{
    const QString dir = QFileDialog::getExistingDirectory(this, tr("Model for Preview"), m_modelEdit->text());
    if (!dir.isEmpty())
        setModelDir(dir);
}

void DatasetPage::dragEnterEvent(QDragEnterEvent *event)
{
    const QList<QUrl> urls = event->mimeData()->urls();
    if (!urls.isEmpty() && urls.first().isLocalFile() && canOpen(urls.first().toLocalFile()))
        event->acceptProposedAction();
}

void DatasetPage::dropEvent(QDropEvent *event)
{
    const QList<QUrl> urls = event->mimeData()->urls();
    if (urls.isEmpty() || !urls.first().isLocalFile())
        return;
    openPath(urls.first().toLocalFile());
    event->acceptProposedAction();
}

void DatasetPage::onOpened(const DatasetSummary &summary, const QList<DatasetProblem> &problems,
                           const QVector<DatasetRow> &rows, const DatasetStatistics &statistics)
{
    const bool sameDataset = summary.path == m_summary.path;
    const int keep = sameDataset ? m_current : -1;  // a new model for the same data keeps the selection
    m_summary = summary;
    m_rows = rows;
    m_current = -1;
    if (!sameDataset)
        m_undo->clear();

    m_formatLabel->setText(tr("<b>%1</b> — %2").arg(escaped(summary.format), escaped(summary.detectedBecause)));
    QStringList counts;
    // "Label: value" pairs read right whatever the count (no plural forms to get wrong).
    counts << tr("Samples: %1").arg(summary.samples);
    counts << tr("Images: %1").arg(summary.images);
    if (summary.problems == 0)
        counts << tr("No problems");
    else
        counts << tr("Problems: %1 (samples affected: %2)").arg(summary.problems).arg(summary.rowsWithProblems);
    if (summary.uncaptioned > 0)
        counts << tr("Images without a caption (left out): %1").arg(summary.uncaptioned);
    m_countsLabel->setText(QStringLiteral("%1 · %2").arg(QDir::toNativeSeparators(summary.root), counts.join(QStringLiteral(" · "))));
    if (!summary.modelError.isEmpty()) {
        m_modelEdit->clear();
        setMessage(tr("The model could not be used for the preview: %1").arg(summary.modelError), true);
    } else {
        setMessage(QString());
    }

    QVector<ThumbnailItem> items;
    items.reserve(rows.size());
    for (const DatasetRow &r : rows) {
        ThumbnailItem item;
        item.imagePath = r.imagePath;
        item.label = firstLine(r.text);
        item.searchText = r.text;
        item.tags = r.problemKinds;
        item.toolTip = tr("%1 row %2").arg(r.file).arg(r.row);
        if (!r.problemKinds.isEmpty())
            item.toolTip += QLatin1Char('\n') + r.problemKinds.join(QStringLiteral(", "));
        items.push_back(std::move(item));
    }
    m_model->setItems(std::move(items));
    m_gridStack->setCurrentIndex(1);

    // The problem list and the kinds the filter offers.
    m_problems->clear();
    QMap<QString, int> perKind;
    QList<QTreeWidgetItem *> problemItems;
    for (const DatasetProblem &p : problems) {
        auto *item = new QTreeWidgetItem;
        item->setText(0, p.kind);
        QString where = p.file.isEmpty() ? tr("(dataset)") : p.file;
        if (p.row >= 0)
            where += QStringLiteral(":%1").arg(p.row);
        item->setText(1, where);
        item->setText(2, p.message);
        item->setToolTip(2, p.message);
        item->setData(0, kRecordRole, p.record);
        problemItems << item;
        ++perKind[p.kind];
    }
    m_problems->addTopLevelItems(problemItems);
    const QSignalBlocker block(m_problemFilter);
    m_problemFilter->clear();
    m_problemFilter->addItem(tr("All samples"), QString());
    if (summary.rowsWithProblems > 0)
        m_problemFilter->addItem(tr("With problems (%1)").arg(summary.rowsWithProblems), ThumbnailFilterModel::anyTag());
    for (auto it = perKind.cbegin(); it != perKind.cend(); ++it)
        m_problemFilter->addItem(QStringLiteral("%1 (%2)").arg(it.key()).arg(it.value()), it.key());
    applyFilters();

    showStatistics(statistics);
    m_detailTabs->setTabEnabled(2, summary.captionsEditable);
    if (keep >= 0 && keep < m_rows.size())
        selectSample(keep);
    else if (!m_rows.isEmpty())
        selectSample(0);
    emit datasetOpened(summary.path, summary.format);
    emit statusMessage(tr("%1: %2, samples: %3").arg(QFileInfo(summary.path).fileName(), summary.format).arg(summary.samples));
}

void DatasetPage::onFailed(const QString &message)
{
    setMessage(message, true);
    emit statusMessage(message);
}

void DatasetPage::setMessage(const QString &message, bool error)
{
    m_messageLabel->setText(message);
    m_messageLabel->setStyleSheet(error ? QStringLiteral("color: #c62828;") : QString());
    m_messageLabel->setVisible(!message.isEmpty());
}

void DatasetPage::applyFilters()
{
    m_searchTimer->stop();
    m_filter->setTextFilter(m_search->text());
    m_filter->setTagFilter(m_problemFilter->currentData().toString());
    updateCountLabel();
}

void DatasetPage::updateCountLabel()
{
    const int shown = m_filter->rowCount();
    const int all = m_model->rowCount();
    m_shownLabel->setText(shown == all ? tr("All %1").arg(all) : tr("%1 of %2").arg(shown).arg(all));
}

void DatasetPage::selectSample(int index)
{
    if (index < 0 || index >= m_model->rowCount())
        return;
    QModelIndex proxy = m_filter->mapFromSource(m_model->index(index));
    if (!proxy.isValid()) {  // hidden by the filters: show everything
        const QSignalBlocker blockSearch(m_search);
        m_search->clear();
        const QSignalBlocker blockKind(m_problemFilter);
        m_problemFilter->setCurrentIndex(0);
        applyFilters();
        proxy = m_filter->mapFromSource(m_model->index(index));
    }
    m_leftTabs->setCurrentIndex(0);
    m_grid->setCurrentIndex(proxy);
    m_grid->scrollTo(proxy, QAbstractItemView::PositionAtCenter);
}

void DatasetPage::onProblemActivated(QTreeWidgetItem *item)
{
    if (!item)
        return;
    const int record = item->data(0, kRecordRole).toInt();
    if (record >= 0)
        selectSample(record);
    else
        emit statusMessage(tr("This problem is about a whole file, not one sample."));
}

void DatasetPage::onCurrentChanged()
{
    const QModelIndex proxy = m_grid->currentIndex();
    const int index = proxy.isValid() ? m_filter->mapToSource(proxy).row() : -1;
    if (index == m_current)
        return;
    m_current = index;
    m_currentCaptionFile.clear();
    m_currentCaption.clear();
    {
        const QSignalBlocker block(m_captionEdit);
        m_captionEdit->clear();
    }
    m_captionEdit->setEnabled(false);
    updateCaptionButtons();
    updatePinButton();
    if (index < 0) {
        m_proposalBox->setImage({});
        m_sampleTitle->setText(tr("No sample selected"));
        m_image->setImage(QImage(), tr("No sample selected"));
        m_conversation->clear();
        m_prompt->clear();
        return;
    }
    const DatasetRow &row = m_rows.at(index);
    m_proposalBox->setImage(row.imagePath);
    m_sampleTitle->setText(tr("<b>#%1</b> %2 row %3").arg(index).arg(escaped(row.file)).arg(row.row));
    if (row.imagePath.isEmpty()) {
        m_image->setImage(QImage(), tr("No image"));
    } else {
        QImageReader reader(row.imagePath);
        reader.setAutoTransform(true);
        const QImage image = reader.read();
        m_image->setImage(image, tr("Cannot show %1: %2").arg(QFileInfo(row.imagePath).fileName(), reader.errorString()));
    }
    m_conversation->setPlainText(row.text);
    m_prompt->setHtml(tr("<p style='color:gray'>Rendering…</p>"));
    m_controller->requestPreview(index);
}

void DatasetPage::setPinnedSamples(const QVector<PinnedSampleChoice> &pinned)
{
    m_pinned = pinned;
    updatePinButton();
}

void DatasetPage::updatePinButton()
{
    const bool have = m_current >= 0 && m_current < m_rows.size();
    bool pinned = false;
    if (have) {
        const DatasetRow &row = m_rows.at(m_current);
        for (const PinnedSampleChoice &p : std::as_const(m_pinned))
            pinned = pinned || (p.file == row.file && p.row == row.row);
    }
    const bool full = m_pinned.size() >= PinnedSamplesEditor::kMaxPinned;
    m_pinButton->setChecked(pinned);
    m_pinButton->setEnabled(have && (pinned || !full));
    if (pinned)
        m_pinButton->setToolTip(tr("Pinned: answered before training and every N steps. Click to unpin (its question is on the Train page)."));
    else if (full)
        m_pinButton->setToolTip(tr("Four samples are pinned already; unpin one on the Train page first."));
    else
        m_pinButton->setToolTip(tr("Pin this sample: the run answers it before training and every N steps, and the Monitor "
                                   "shows the answers change. Best taken from the validation split."));
}

void DatasetPage::onPinClicked(bool checked)
{
    if (m_current < 0 || m_current >= m_rows.size())
        return;
    const DatasetRow &row = m_rows.at(m_current);
    if (checked) {
        PinnedSampleChoice choice;
        choice.file = row.file;
        choice.row = row.row;
        choice.index = row.index;
        choice.imagePath = row.imagePath;
        choice.text = row.text;
        emit pinRequested(choice);
        emit statusMessage(tr("Pinned #%1 for training; ask it your own question on the Train page.").arg(row.index));
    } else {
        emit unpinRequested(row.file, row.row);
    }
    updatePinButton();
}

void DatasetPage::onPreview(const DatasetPreview &preview)
{
    if (preview.index != m_current)
        return;
    QString html;
    if (!preview.system.isEmpty())
        html += tr("<p><b>system</b><br>%1</p>").arg(escaped(preview.system).replace(QLatin1Char('\n'), QStringLiteral("<br>")));
    for (const auto &[role, content] : preview.turns) {
        const QString color = role == QLatin1String("rejected")                                  ? QStringLiteral("#b71c1c")
                              : role == QLatin1String("assistant") || role == QLatin1String("chosen") ? QStringLiteral("#1b5e20")
                                                                                                       : QStringLiteral("#0d47a1");
        html += QStringLiteral("<p><b style='color:%1'>%2</b><br>%3</p>")
                    .arg(color, escaped(role), escaped(content).replace(QLatin1Char('\n'), QStringLiteral("<br>")));
    }
    if (!preview.imagePaths.isEmpty()) {
        QStringList images;
        for (const QString &p : preview.imagePaths)
            images << (p.isEmpty() ? tr("(not found)") : escaped(QDir::toNativeSeparators(p)));
        html += tr("<p style='color:gray'>Images: %1</p>").arg(images.join(QStringLiteral("<br>")));
    }
    if (!m_rows.at(preview.index).problemKinds.isEmpty())
        html += tr("<p style='color:#c62828'>Problems: %1</p>").arg(m_rows.at(preview.index).problemKinds.join(QStringLiteral(", ")));
    m_conversation->setHtml(html);

    QString prompt;
    if (m_summary.modelDir.isEmpty()) {
        prompt = tr("<p style='color:gray'>Choose a <b>Model for preview</b> to see this sample exactly as training "
                    "encodes it, with the tokens that carry loss highlighted.</p>");
    } else if (!preview.error.isEmpty()) {
        prompt = tr("<p style='color:#c62828'>Not encodable: %1</p>").arg(escaped(preview.error));
    } else {
        prompt = tr("<p><b>%1 tokens</b>, <span style='background:#c8ecd0'>%2 learned</span> (highlighted); the rest is "
                    "context without loss.</p>")
                     .arg(preview.tokens)
                     .arg(preview.learnedTokens);
        for (const QString &n : preview.notes)
            prompt += QStringLiteral("<p style='color:#e65100'>%1</p>").arg(escaped(n));
        prompt += QStringLiteral("<pre style='white-space:pre-wrap'>");
        for (const DatasetPromptPiece &piece : preview.prompt) {
            const QString text = escaped(piece.text);
            prompt += piece.learned
                          ? QStringLiteral("<span style='background:#c8ecd0; color:#0b3d16'>%1</span>").arg(text)
                          : QStringLiteral("<span style='color:#555555'>%1</span>").arg(text);
        }
        prompt += QStringLiteral("</pre>");
    }
    m_prompt->setHtml(prompt);

    if (m_summary.captionsEditable && !preview.captionFile.isEmpty()) {
        m_currentCaptionFile = preview.captionFile;
        m_currentCaption = preview.caption;
        const QSignalBlocker block(m_captionEdit);
        m_captionEdit->setPlainText(preview.caption);
        m_captionEdit->setEnabled(true);
    }
    updateCaptionButtons();
}

void DatasetPage::updateCaptionButtons()
{
    const bool dirty = !m_currentCaptionFile.isEmpty() && m_captionEdit->toPlainText() != m_currentCaption;
    m_saveCaption->setEnabled(dirty);
    m_revertCaption->setEnabled(dirty);
}

bool DatasetPage::saveCaption()
{
    if (m_current < 0 || m_currentCaptionFile.isEmpty())
        return false;
    const QString text = m_captionEdit->toPlainText();
    if (text == m_currentCaption)
        return true;
    QFile file(m_currentCaptionFile);
    if (!file.open(QIODevice::ReadOnly)) {
        setMessage(tr("Cannot read %1: %2").arg(m_currentCaptionFile, file.errorString()), true);
        return false;
    }
    const QByteArray before = file.readAll();
    file.close();
    // Someone else's edit since the dataset was read is not overwritten.
    if (captionOf(before) != m_currentCaption) {
        setMessage(tr("%1 changed on disk since it was read; open the dataset again to edit it.").arg(m_currentCaptionFile), true);
        return false;
    }
    const QByteArray after = captionBytes(text, before);
    const QString error = DatasetController::writeFileAtomically(m_currentCaptionFile, after);
    if (!error.isEmpty()) {
        setMessage(tr("Could not write the caption: %1").arg(error), true);
        return false;
    }
    captionWritten(m_current, text);
    m_undo->push(new SaveCaptionCommand(this, m_current, m_currentCaptionFile, before, after));
    emit statusMessage(tr("Saved %1").arg(QDir::toNativeSeparators(m_currentCaptionFile)));
    return true;
}

void DatasetPage::captionWritten(int index, const QString &text)
{
    if (index < 0 || index >= m_rows.size())
        return;
    m_rows[index].text = text;
    m_model->setText(index, firstLine(text), text);
    m_controller->updateCaption(index, text);
    if (index == m_current) {
        m_currentCaption = text;
        if (m_captionEdit->toPlainText() != text) {
            const QSignalBlocker block(m_captionEdit);
            m_captionEdit->setPlainText(text);
        }
        updateCaptionButtons();
        m_controller->requestPreview(index);  // the prompt with the new answer
    } else {
        selectSample(index);  // an undo shows what it changed
    }
    setMessage(QString());
}

void DatasetPage::showStatistics(const DatasetStatistics &s)
{
    QStringList lines;
    if (s.tokensMeasured)
        lines << tr("Tokens per sample: min %1 · mean %2 · p95 %3 · max %4")
                     .arg(s.tokens.min)
                     .arg(qRound64(s.tokens.mean))
                     .arg(s.tokens.p95)
                     .arg(s.tokens.max);
    if (!s.imageWidth.counts.isEmpty())
        lines << tr("Image width %1–%2 px (mean %3), height %4–%5 px (mean %6)")
                     .arg(s.imageWidth.min)
                     .arg(s.imageWidth.max)
                     .arg(qRound64(s.imageWidth.mean))
                     .arg(s.imageHeight.min)
                     .arg(s.imageHeight.max)
                     .arg(qRound64(s.imageHeight.mean));
    m_statsLabel->setText(lines.join(QLatin1Char('\n')));
    m_tokenChart->setHistogram(tr("Token length per sample"), s.tokens.edges, s.tokens.counts, tr("tokens"),
                               tr("Token lengths: choose a Model for preview to measure them."));
    m_sizeChart->setHistogram(tr("Image width"), s.imageWidth.edges, s.imageWidth.counts, tr("pixels"),
                              tr("No readable images."));
}

} // namespace vltune
