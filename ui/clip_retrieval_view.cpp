#include "ui/clip_retrieval_view.h"

#include <QApplication>
#include <QClipboard>
#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QKeyEvent>
#include <QLabel>
#include <QLineEdit>
#include <QMimeData>
#include <QPainter>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSplitter>
#include <QTabWidget>
#include <QTableWidget>
#include <QVBoxLayout>

#include <algorithm>
#include <numeric>

#include "widgets/thumbnail_loader.h"

namespace vltune {

namespace {

constexpr int kPreviewSize = 220;

QString percent(double p)
{
    return QStringLiteral("%1 %").arg(p * 100.0, 0, 'f', 2);
}

QTableWidgetItem *numberItem(const QString &text, double value)
{
    auto *item = new QTableWidgetItem(text);
    item->setData(ClipRetrievalView::ValueRole, value);
    item->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
    item->setFlags(item->flags() & ~Qt::ItemIsEditable);
    return item;
}

// Centred on a square, so that the file names line up whatever the images' shapes.
QPixmap squareThumbnail(const QImage &image)
{
    QPixmap square(kRetrievalThumbnailSize, kRetrievalThumbnailSize);
    square.fill(Qt::transparent);
    QPainter painter(&square);
    const QImage fitted = image.scaled(square.size(), Qt::KeepAspectRatio, Qt::SmoothTransformation);
    painter.drawImage((square.width() - fitted.width()) / 2, (square.height() - fitted.height()) / 2, fitted);
    return square;
}

} // namespace

ClipRetrievalView::ClipRetrievalView(QWidget *parent)
    : QWidget(parent)
{
    setObjectName(QStringLiteral("clipRetrievalView"));
    m_tabs = new QTabWidget(this);
    m_tabs->setObjectName(QStringLiteral("retrievalTabs"));
    m_tabs->addTab(createCaptionsTab(), tr("Captions for an image"));
    m_tabs->addTab(createImagesTab(), tr("Images for a caption"));
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_tabs);
    setImage({});
    setAdapterLabel({});
}

QTableWidget *ClipRetrievalView::createTable(const QString &candidateHeader)
{
    auto *table = new QTableWidget(0, 4, this);
    table->setHorizontalHeaderLabels({candidateHeader, tr("Base"), tr("Adapted"), tr("Difference")});
    table->horizontalHeader()->setSectionResizeMode(CandidateColumn, QHeaderView::Stretch);
    for (int c : {BaseColumn, AdaptedColumn, DifferenceColumn})
        table->horizontalHeader()->setSectionResizeMode(c, QHeaderView::ResizeToContents);
    table->horizontalHeaderItem(BaseColumn)->setToolTip(tr("Probability with the adapter switched off (softmax over the candidates)"));
    table->horizontalHeaderItem(AdaptedColumn)->setToolTip(tr("Probability with the adapter (softmax over the candidates)"));
    table->horizontalHeaderItem(DifferenceColumn)->setToolTip(tr("Adapted minus base, in percentage points"));
    table->setSelectionBehavior(QAbstractItemView::SelectRows);
    table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    table->setAlternatingRowColors(true);
    table->verticalHeader()->setToolTip(tr("Rank"));
    return table;
}

QWidget *ClipRetrievalView::createCaptionsTab()
{
    auto *tab = new QWidget(this);
    auto *left = new QWidget(tab);
    auto *leftLayout = new QVBoxLayout(left);
    leftLayout->setContentsMargins(0, 0, 0, 0);
    m_preview = new QLabel(left);
    m_preview->setObjectName(QStringLiteral("retrievalPreview"));
    m_preview->setFixedSize(kPreviewSize, kPreviewSize);
    m_preview->setAlignment(Qt::AlignCenter);
    m_preview->setFrameShape(QFrame::StyledPanel);
    m_preview->setWordWrap(true);
    auto *imageRow = new QHBoxLayout;
    auto *chooseImage = new QPushButton(tr("Image…"), left);
    connect(chooseImage, &QPushButton::clicked, this, [this] {
        const QString file = QFileDialog::getOpenFileName(this, tr("Image to caption"), {},
                                                          tr("Images (*.png *.jpg *.jpeg *.webp *.bmp *.gif)"));
        if (!file.isEmpty())
            setImage(file);
    });
    m_imageName = new QLabel(left);
    m_imageName->setObjectName(QStringLiteral("retrievalImageName"));
    m_imageName->setTextInteractionFlags(Qt::TextSelectableByMouse);
    imageRow->addWidget(chooseImage);
    imageRow->addWidget(m_imageName, 1);
    m_captionsEdit = new QPlainTextEdit(left);
    m_captionsEdit->setObjectName(QStringLiteral("retrievalCaptionsEdit"));
    m_captionsEdit->setPlaceholderText(tr("Candidate captions, one per line"));
    m_captionsEdit->installEventFilter(this);
    m_scoreButton = new QPushButton(tr("Score captions"), left);
    m_scoreButton->setObjectName(QStringLiteral("retrievalScoreButton"));
    m_scoreButton->setToolTip(tr("Which caption fits the image, by the base model and with the adapter"));
    connect(m_scoreButton, &QPushButton::clicked, this, &ClipRetrievalView::requestScores);
    connect(m_captionsEdit, &QPlainTextEdit::textChanged, this, &ClipRetrievalView::updateButtons);
    leftLayout->addWidget(m_preview, 0, Qt::AlignHCenter);
    leftLayout->addLayout(imageRow);
    leftLayout->addWidget(new QLabel(tr("Captions (one per line; paste or drop an image on the page)"), left));
    leftLayout->addWidget(m_captionsEdit, 1);
    leftLayout->addWidget(m_scoreButton);

    auto *right = new QWidget(tab);
    auto *rightLayout = new QVBoxLayout(right);
    rightLayout->setContentsMargins(0, 0, 0, 0);
    m_captionTable = createTable(tr("Caption"));
    m_captionTable->setObjectName(QStringLiteral("retrievalCaptionTable"));
    m_captionNote = new QLabel(right);
    m_captionNote->setWordWrap(true);
    rightLayout->addWidget(m_captionTable, 1);
    rightLayout->addWidget(m_captionNote);

    auto *splitter = new QSplitter(Qt::Horizontal, tab);
    splitter->addWidget(left);
    splitter->addWidget(right);
    splitter->setStretchFactor(1, 1);
    splitter->setChildrenCollapsible(false);
    auto *layout = new QVBoxLayout(tab);
    layout->addWidget(splitter);
    return tab;
}

QWidget *ClipRetrievalView::createImagesTab()
{
    auto *tab = new QWidget(this);
    auto *row = new QHBoxLayout;
    m_queryEdit = new QLineEdit(tab);
    m_queryEdit->setObjectName(QStringLiteral("retrievalQueryEdit"));
    m_queryEdit->setPlaceholderText(tr("A caption to find images for"));
    m_folderEdit = new QLineEdit(tab);
    m_folderEdit->setObjectName(QStringLiteral("retrievalFolderEdit"));
    m_folderEdit->setPlaceholderText(tr("Folder of images"));
    auto *browse = new QPushButton(tr("Folder…"), tab);
    connect(browse, &QPushButton::clicked, this, [this] {
        const QString dir = QFileDialog::getExistingDirectory(this, tr("Folder of images"), m_folderEdit->text());
        if (!dir.isEmpty())
            setFolder(dir);
    });
    m_rankButton = new QPushButton(tr("Rank images"), tab);
    m_rankButton->setObjectName(QStringLiteral("retrievalRankButton"));
    m_rankButton->setToolTip(tr("Which image of the folder fits the caption, by the base model and with the adapter"));
    connect(m_rankButton, &QPushButton::clicked, this, &ClipRetrievalView::requestRanking);
    connect(m_queryEdit, &QLineEdit::returnPressed, this, &ClipRetrievalView::requestRanking);
    connect(m_queryEdit, &QLineEdit::textChanged, this, &ClipRetrievalView::updateButtons);
    connect(m_folderEdit, &QLineEdit::textChanged, this, &ClipRetrievalView::updateButtons);
    row->addWidget(m_queryEdit, 3);
    row->addWidget(m_folderEdit, 2);
    row->addWidget(browse);
    row->addWidget(m_rankButton);

    m_imageTable = createTable(tr("Image"));
    m_imageTable->setObjectName(QStringLiteral("retrievalImageTable"));
    m_imageTable->setIconSize(QSize(kRetrievalThumbnailSize, kRetrievalThumbnailSize));
    m_imageTable->verticalHeader()->setDefaultSectionSize(kRetrievalThumbnailSize + 8);
    m_imageNote = new QLabel(tab);
    m_imageNote->setWordWrap(true);
    auto *layout = new QVBoxLayout(tab);
    layout->addLayout(row);
    layout->addWidget(m_imageTable, 1);
    layout->addWidget(m_imageNote);
    return tab;
}

void ClipRetrievalView::setImage(const QString &path)
{
    m_image = path;
    if (path.isEmpty()) {
        m_preview->setPixmap({});
        m_preview->setText(tr("Attach, drop or paste an image"));
        m_imageName->setText(tr("No image"));
    } else {
        const QImage image = decodeThumbnail(path, QSize(kPreviewSize - 8, kPreviewSize - 8));
        if (image.isNull())
            m_preview->setText(tr("Cannot show %1").arg(QFileInfo(path).fileName()));
        else
            m_preview->setPixmap(QPixmap::fromImage(image));
        m_imageName->setText(QFileInfo(path).fileName());
        m_imageName->setToolTip(path);
        m_tabs->setCurrentIndex(0);
    }
    updateButtons();
}

void ClipRetrievalView::setAdapterLabel(const QString &label)
{
    m_adapterLabel = label;
    for (QTableWidget *t : {m_captionTable, m_imageTable}) {
        t->setColumnHidden(AdaptedColumn, label.isEmpty());
        t->setColumnHidden(DifferenceColumn, label.isEmpty());
        t->horizontalHeaderItem(AdaptedColumn)->setText(label.isEmpty() ? tr("Adapted") : label);
        t->setRowCount(0);
    }
    const QString note = label.isEmpty() ? tr("No adapter loaded: the base model's probabilities only.")
                                         : tr("Base against %1 on one loaded model; sorted by the adapted score.").arg(label);
    m_captionNote->setText(note);
    m_imageNote->setText(note);
}

QStringList ClipRetrievalView::captions() const
{
    QStringList out;
    for (const QString &line : m_captionsEdit->toPlainText().split(QLatin1Char('\n'))) {
        if (!line.trimmed().isEmpty())
            out << line.trimmed();
    }
    return out;
}

void ClipRetrievalView::setCaptions(const QStringList &captions)
{
    m_captionsEdit->setPlainText(captions.join(QLatin1Char('\n')));
}

void ClipRetrievalView::setQueryCaption(const QString &caption)
{
    m_queryEdit->setText(caption);
}

void ClipRetrievalView::setFolder(const QString &folder)
{
    m_folderEdit->setText(folder);
    m_tabs->setCurrentIndex(1);
}

void ClipRetrievalView::setBusy(bool busy)
{
    m_busy = busy;
    updateButtons();
}

void ClipRetrievalView::updateButtons()
{
    m_scoreButton->setEnabled(!m_busy && !m_image.isEmpty() && !captions().isEmpty());
    m_rankButton->setEnabled(!m_busy && !m_queryEdit->text().trimmed().isEmpty() && !m_folderEdit->text().trimmed().isEmpty());
}

void ClipRetrievalView::requestScores()
{
    if (m_scoreButton->isEnabled())
        emit scoreCaptionsRequested(m_image, captions());
}

void ClipRetrievalView::requestRanking()
{
    if (m_rankButton->isEnabled())
        emit rankImagesRequested(m_queryEdit->text().trimmed(), m_folderEdit->text().trimmed());
}

void ClipRetrievalView::showResult(const RetrievalResult &result)
{
    QTableWidget *table = result.imagesForCaption ? m_imageTable : m_captionTable;
    fillTable(table, result);
    const QString what = result.imagesForCaption ? tr("images") : tr("captions");
    QString note = tr("Probabilities: softmax over the %1 %2 (CLIP's logits_per_image). ").arg(result.rows.size()).arg(what);
    note += result.adapterLabel.isEmpty() ? tr("Base model only; best first.")
                                          : tr("Base against %1, sorted by the adapted score; the best of each column is bold.")
                                                .arg(result.adapterLabel);
    (result.imagesForCaption ? m_imageNote : m_captionNote)->setText(note);
    m_tabs->setCurrentIndex(result.imagesForCaption ? 1 : 0);
}

void ClipRetrievalView::fillTable(QTableWidget *table, const RetrievalResult &result)
{
    const bool adapted = !result.adapterLabel.isEmpty();
    const auto &rows = result.rows;
    std::vector<qsizetype> order(static_cast<size_t>(rows.size()));
    std::iota(order.begin(), order.end(), qsizetype{0});
    std::stable_sort(order.begin(), order.end(), [&](qsizetype a, qsizetype b) {
        return adapted ? rows[a].adaptedProb > rows[b].adaptedProb : rows[a].baseProb > rows[b].baseProb;
    });
    table->setRowCount(0);
    table->setRowCount(static_cast<int>(rows.size()));
    for (int r = 0; r < static_cast<int>(order.size()); ++r) {
        const RetrievalRow &row = rows[order[static_cast<size_t>(r)]];
        auto *candidate = new QTableWidgetItem(result.imagesForCaption ? QFileInfo(row.text).fileName() : row.text);
        candidate->setToolTip(row.text);
        candidate->setData(Qt::UserRole, row.text);
        if (!row.thumbnail.isNull())
            candidate->setIcon(QIcon(squareThumbnail(row.thumbnail)));
        table->setItem(r, CandidateColumn, candidate);
        auto *base = numberItem(percent(row.baseProb), row.baseProb);
        base->setToolTip(tr("logit %1").arg(row.baseLogit, 0, 'f', 4));
        table->setItem(r, BaseColumn, base);
        auto *adaptedItem = numberItem(percent(row.adaptedProb), row.adaptedProb);
        adaptedItem->setToolTip(tr("logit %1").arg(row.adaptedLogit, 0, 'f', 4));
        table->setItem(r, AdaptedColumn, adaptedItem);
        const double diff = row.adaptedProb - row.baseProb;
        auto *difference = numberItem(QStringLiteral("%1%2 pt").arg(diff >= 0 ? QStringLiteral("+") : QString()).arg(diff * 100.0, 0, 'f', 2), diff);
        if (qAbs(diff) >= 0.0005)
            difference->setForeground(diff > 0 ? QColor(0x1b, 0x7f, 0x3b) : QColor(0xb3, 0x26, 0x1e));
        table->setItem(r, DifferenceColumn, difference);
    }
    // The best of each score column: bold on a tinted background.
    QColor tint = palette().color(QPalette::Highlight);
    tint.setAlpha(50);
    const QList<int> scored = adapted ? QList<int>{BaseColumn, AdaptedColumn, DifferenceColumn} : QList<int>{BaseColumn};
    for (int c : scored) {
        int best = -1;
        for (int r = 0; r < table->rowCount(); ++r) {
            if (best < 0 || table->item(r, c)->data(ValueRole).toDouble() > table->item(best, c)->data(ValueRole).toDouble())
                best = r;
        }
        if (best < 0)
            continue;
        QTableWidgetItem *item = table->item(best, c);
        QFont font = item->font();
        font.setBold(true);
        item->setFont(font);
        item->setBackground(tint);
        item->setData(BestRole, true);
        item->setToolTip(item->toolTip() + tr(" · best in this column"));
    }
    if (table->rowCount() > 0)
        table->scrollToTop();
}

bool ClipRetrievalView::eventFilter(QObject *watched, QEvent *event)
{
    // Ctrl+V with an image on the clipboard sets the image instead of pasting text.
    if (watched == m_captionsEdit && event->type() == QEvent::KeyPress) {
        auto *key = static_cast<QKeyEvent *>(event);
        if (key->matches(QKeySequence::Paste) && QApplication::clipboard()->mimeData()->hasImage()) {
            const QImage image = qvariant_cast<QImage>(QApplication::clipboard()->mimeData()->imageData());
            const QString file = m_pasted.filePath(QStringLiteral("pasted-%1.png").arg(++m_pastedCount));
            if (!image.isNull() && m_pasted.isValid() && image.save(file, "PNG"))
                setImage(file);
            return true;
        }
    }
    return QWidget::eventFilter(watched, event);
}

} // namespace vltune
