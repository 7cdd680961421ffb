// core before Qt: LibTorch's headers must come first.
#include "core/data/image_cache_folder.h"
#include "core/error.h"

#include "ui/image_cache_dialog.h"

#include <climits>

#include <QAbstractButton>
#include <QCheckBox>
#include <QDesktopServices>
#include <QDialogButtonBox>
#include <QDir>
#include <QDoubleSpinBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QMessageBox>
#include <QPushButton>
#include <QUrl>
#include <QVBoxLayout>

namespace vltune {

namespace {

QString describe(const data::ImageCacheUsage &u)
{
    if (u.entries == 0)
        return ImageCacheDialog::tr("Empty.");
    return ImageCacheDialog::tr("Holds %n prepared image(s), %1.", "", int(qMin<qint64>(u.entries, INT_MAX)))
        .arg(QLocale().formattedDataSize(u.bytes));
}

}  // namespace

ImageCacheDialog::ImageCacheDialog(const ImageCacheSettings &settings, QWidget *parent)
    : QDialog(parent), m_initialFolder(settings.folder())
{
    setWindowTitle(tr("Image Cache"));
    setObjectName(QStringLiteral("imageCacheDialog"));

    auto *about = new QLabel(tr("Training keeps each image it resizes a lot (a large photo shrunk to half its pixels or "
                                "less, a small one enlarged into SmolVLM's tiles) at the model's resolution, so later "
                                "epochs and runs skip decoding and resizing it. When the folder is full, the images a "
                                "run hasn't used make room, those used longest ago first. vltune-cli uses the same "
                                "default folder."),
                             this);
    about->setWordWrap(true);

    m_enabled = new QCheckBox(tr("&Keep prepared training images"), this);
    m_enabled->setObjectName(QStringLiteral("imageCacheEnabled"));
    m_enabled->setChecked(settings.enabled);

    m_folder = new QLineEdit(settings.folder(), this);
    m_folder->setObjectName(QStringLiteral("imageCacheFolder"));
    m_folder->setPlaceholderText(ImageCacheSettings::defaultFolder());
    m_choose = new QPushButton(tr("C&hoose…"), this);
    m_open = new QPushButton(tr("&Open"), this);
    m_open->setToolTip(tr("Show the folder in the file manager"));
    auto *folderRow = new QHBoxLayout;
    folderRow->addWidget(m_folder, 1);
    folderRow->addWidget(m_choose);
    folderRow->addWidget(m_open);

    m_max = new QDoubleSpinBox(this);
    m_max->setObjectName(QStringLiteral("imageCacheMax"));
    m_max->setRange(0, 100000);
    m_max->setDecimals(1);
    m_max->setSuffix(tr(" GiB"));
    m_max->setSpecialValueText(tr("no limit"));
    m_max->setValue(settings.maxGiB);
    m_max->setToolTip(tr("When a run starts, the images used longest ago are removed until the folder holds at "
                         "most this much."));

    m_usage = new QLabel(this);
    m_usage->setObjectName(QStringLiteral("imageCacheUsage"));
    m_usage->setWordWrap(true);
    m_usage->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_clear = new QPushButton(tr("C&lear…"), this);
    m_clear->setObjectName(QStringLiteral("imageCacheClear"));
    auto *usageRow = new QHBoxLayout;
    usageRow->addWidget(m_usage, 1);
    usageRow->addWidget(m_clear);

    auto *form = new QFormLayout;
    form->addRow(tr("Folder:"), folderRow);
    auto *maxRow = new QHBoxLayout;
    maxRow->addWidget(m_max);
    maxRow->addStretch(1);
    form->addRow(tr("Size cap:"), maxRow);
    form->addRow(tr("Now:"), usageRow);

    auto *note = new QLabel(tr("Changes apply from the next training run."), this);
    note->setEnabled(false);

    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    m_ok = buttons->button(QDialogButtonBox::Ok);

    auto *layout = new QVBoxLayout(this);
    layout->addWidget(about);
    layout->addWidget(m_enabled);
    layout->addLayout(form);
    layout->addWidget(note);
    layout->addStretch(1);
    layout->addWidget(buttons);

    connect(buttons, &QDialogButtonBox::accepted, this, &ImageCacheDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &ImageCacheDialog::reject);
    connect(m_choose, &QPushButton::clicked, this, &ImageCacheDialog::chooseFolder);
    connect(m_open, &QPushButton::clicked, this, &ImageCacheDialog::openFolder);
    connect(m_clear, &QPushButton::clicked, this, &ImageCacheDialog::askClear);
    connect(m_folder, &QLineEdit::textChanged, this, &ImageCacheDialog::refresh);
    connect(m_enabled, &QCheckBox::toggled, this, &ImageCacheDialog::refresh);

    resize(560, sizeHint().height());
    refresh();
}

ImageCacheSettings ImageCacheDialog::settings() const
{
    ImageCacheSettings s;
    s.enabled = m_enabled->isChecked();
    s.dir = QDir::cleanPath(m_folder->text().trimmed());  // save() stores the default folder as none
    s.maxGiB = m_max->value();
    return s;
}

QString ImageCacheDialog::usageText() const
{
    return m_usage->text();
}

QString ImageCacheDialog::folderProblem() const
{
    const QString folder = m_folder->text().trimmed();
    if (folder.isEmpty())
        return tr("Name a folder.");
    if (QDir::isRelativePath(folder))
        return tr("Give the folder's full path.");
    const QFileInfo info(folder);
    if (info.exists() && !info.isDir())
        return tr("%1 is a file, not a folder.").arg(QDir::toNativeSeparators(folder));
    return {};
}

void ImageCacheDialog::refresh()
{
    m_entries = 0;
    const QString problem = folderProblem();
    const QString folder = m_folder->text().trimmed();
    bool listed = false, showError = false;
    if (!problem.isEmpty()) {
        m_usage->setText(problem);
    } else if (!QFileInfo::exists(folder)) {
        m_usage->setText(tr("The folder does not exist yet; the next run makes it."));
    } else {
        try {
            const data::ImageCacheUsage u = data::image_cache_usage(folder.toStdString());
            m_entries = u.entries;
            m_usage->setText(describe(u));
            listed = true;
        } catch (const Error &e) {
            m_usage->setText(QString::fromStdString(e.what()));
            showError = true;
        }
    }
    m_usage->setStyleSheet(showError || !problem.isEmpty() ? QStringLiteral("color: #c0392b;") : QString());
    m_clear->setEnabled(listed && m_entries > 0);
    m_open->setEnabled(listed);
    // An unusable folder is refused only while the cache is on: off, the folder does not matter.
    m_ok->setEnabled(problem.isEmpty() || !m_enabled->isChecked());
}

void ImageCacheDialog::chooseFolder()
{
    const QString start = QFileInfo::exists(m_folder->text()) ? m_folder->text() : QDir::homePath();
    const QString dir = QFileDialog::getExistingDirectory(this, tr("Image Cache Folder"), start);
    if (!dir.isEmpty())
        m_folder->setText(QDir::toNativeSeparators(dir));
}

void ImageCacheDialog::openFolder()
{
    QDesktopServices::openUrl(QUrl::fromLocalFile(m_folder->text().trimmed()));
}

QMessageBox *ImageCacheDialog::ask(const QString &text, const QString &yes, const QString &no)
{
    auto *box = new QMessageBox(QMessageBox::Question, windowTitle(), text, QMessageBox::NoButton, this);
    box->setObjectName(QStringLiteral("imageCacheQuestion"));
    box->addButton(yes, QMessageBox::AcceptRole);
    box->setDefaultButton(box->addButton(no, QMessageBox::RejectRole));
    box->setAttribute(Qt::WA_DeleteOnClose);
    box->setWindowModality(Qt::WindowModal);
    m_question = box;
    connect(box, &QObject::destroyed, this, [this, box] {
        if (m_question == box)
            m_question = nullptr;
    });
    return box;
}

void ImageCacheDialog::askClear()
{
    const QString folder = m_folder->text().trimmed();
    QMessageBox *box = ask(tr("Remove the %n prepared image(s) in %1?\n\nTraining prepares them again when it next needs "
                              "them. Only the cache's own files are removed.",
                              "", int(qMin<qint64>(m_entries, INT_MAX)))
                               .arg(QDir::toNativeSeparators(folder)),
                           tr("Remove"), tr("Keep"));
    connect(box, &QMessageBox::accepted, this, [this, folder] {
        try {
            data::clear_image_cache(folder.toStdString());
            refresh();
        } catch (const Error &e) {
            refresh();
            m_usage->setText(QString::fromStdString(e.what()));
            m_usage->setStyleSheet(QStringLiteral("color: #c0392b;"));
        }
    });
    box->open();
}

void ImageCacheDialog::accept()
{
    const QString folder = QDir::cleanPath(m_folder->text().trimmed());
    const QString old = QDir::cleanPath(m_initialFolder);
    data::ImageCacheUsage left;
    if (folder != old && !old.isEmpty()) {
        try {
            left = data::image_cache_usage(old.toStdString());
        } catch (const Error &) {
            // The old folder cannot be read: nothing to offer to remove.
        }
    }
    if (left.entries == 0) {
        finishAccept(false);
        return;
    }
    QMessageBox *box = ask(tr("The old folder %1 still holds %n prepared image(s) (%2). Remove them?", "",
                              int(qMin<qint64>(left.entries, INT_MAX)))
                               .arg(QDir::toNativeSeparators(old), QLocale().formattedDataSize(left.bytes)),
                           tr("Remove"), tr("Keep"));
    connect(box, &QMessageBox::finished, this, [this, box] {
        QAbstractButton *clicked = box->clickedButton();
        finishAccept(clicked && box->buttonRole(clicked) == QMessageBox::AcceptRole);
    });
    box->open();
}

void ImageCacheDialog::finishAccept(bool removeOld)
{
    if (removeOld) {
        try {
            data::clear_image_cache(QDir::cleanPath(m_initialFolder).toStdString());
        } catch (const Error &e) {
            QMessageBox::warning(this, windowTitle(), QString::fromStdString(e.what()));
        }
    }
    settings().save();
    QDialog::accept();
}

}  // namespace vltune
