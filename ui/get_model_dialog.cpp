// Engine headers before Qt's (house rule).
#include "core/io/hf_cache.h"

#include "ui/get_model_dialog.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QDir>
#include <QFormLayout>
#include <QGroupBox>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QProgressBar>
#include <QPushButton>
#include <QSettings>
#include <QTreeWidget>
#include <QVBoxLayout>

#include "app/hub_download.h"
#include "app/hub_token.h"
#include "ui/model_library.h"

namespace vltune {

namespace {

enum FileColumn { FcName, FcSize, FcProgress, FcStatus };

const QString kEndpointKey = QStringLiteral("hub/endpoint");

QString normalizedEndpoint(QString endpoint)
{
    endpoint = endpoint.trimmed();
    while (endpoint.endsWith(QLatin1Char('/')))
        endpoint.chop(1);
    return endpoint;
}

}  // namespace

GetModelDialog::GetModelDialog(QWidget *parent)
    : QDialog(parent), m_repo(new QComboBox(this)), m_token(new QLineEdit(this)),
      m_rememberToken(new QCheckBox(tr("&Remember token"), this)), m_tokenSource(new QLabel(this)),
      m_endpoint(new QLineEdit(this)),
      m_downloadButton(new QPushButton(tr("Download"), this)), m_cancelButton(new QPushButton(tr("Stop"), this)),
      m_useButton(new QPushButton(tr("Use Model"), this)), m_files(new QTreeWidget(this)),
      m_overall(new QProgressBar(this)), m_status(new QLabel(this)), m_library(new ModelLibrary(this)),
      m_download(new HubDownload(this))
{
    setWindowTitle(tr("Get Model"));
    resize(820, 720);

    // --- download from the Hub ---
    m_repo->setObjectName(QStringLiteral("repoCombo"));
    m_repo->setEditable(true);
    m_repo->addItems({QStringLiteral("HuggingFaceTB/SmolVLM-256M-Instruct"), QStringLiteral("Qwen/Qwen2-VL-2B-Instruct"),
                      QStringLiteral("llava-hf/llava-1.5-7b-hf"), QStringLiteral("openai/clip-vit-base-patch32")});
    m_repo->lineEdit()->setPlaceholderText(tr("organisation/name"));
    m_repo->setToolTip(tr("A model repository on the Hugging Face Hub, as organisation/name."));
    m_token->setObjectName(QStringLiteral("tokenEdit"));
    m_token->setEchoMode(QLineEdit::Password);
    m_token->setPlaceholderText(tr("hf_… — only for gated or private models"));
    m_rememberToken->setObjectName(QStringLiteral("rememberTokenCheck"));
    m_rememberToken->setToolTip(
        tr("Save the token in %1, readable only by you, where huggingface-cli login keeps it; transformers "
           "and other Hugging Face tools use it too. Without this the token is used for this download only.")
            .arg(QDir::toNativeSeparators(hubTokenPath())));
    m_tokenSource->setObjectName(QStringLiteral("tokenSource"));
    m_tokenSource->setWordWrap(true);
    m_tokenSource->setForegroundRole(QPalette::PlaceholderText);
    m_endpoint->setObjectName(QStringLiteral("endpointEdit"));
    m_endpoint->setToolTip(tr("The Hub or a mirror of it (the HF_ENDPOINT environment variable sets the default). "
                              "Remembered for the next time."));

    auto *tokenRow = new QHBoxLayout;
    tokenRow->addWidget(m_token, 1);
    tokenRow->addWidget(m_rememberToken);
    auto *form = new QFormLayout;
    form->addRow(tr("&Repository:"), m_repo);
    // An explicit label: a row whose field is a layout gets no buddy, so its shortcut would not work.
    auto *tokenLabel = new QLabel(tr("Access &token:"), this);
    tokenLabel->setBuddy(m_token);
    form->addRow(tokenLabel, tokenRow);
    form->addRow(QString(), m_tokenSource);
    form->addRow(tr("&Endpoint:"), m_endpoint);
    loadHubSettings();

    m_files->setObjectName(QStringLiteral("downloadFiles"));
    m_files->setHeaderLabels({tr("File"), tr("Size"), tr("Progress"), tr("Status")});
    m_files->setRootIsDecorated(false);
    m_files->setUniformRowHeights(true);
    m_files->header()->setStretchLastSection(false);
    m_files->header()->setSectionResizeMode(FcName, QHeaderView::Stretch);
    m_files->header()->setSectionResizeMode(FcSize, QHeaderView::ResizeToContents);
    m_files->header()->setSectionResizeMode(FcProgress, QHeaderView::Fixed);
    m_files->header()->resizeSection(FcProgress, 160);
    m_files->header()->setSectionResizeMode(FcStatus, QHeaderView::ResizeToContents);

    m_overall->setObjectName(QStringLiteral("overallProgress"));
    m_overall->setRange(0, 1000);
    m_overall->setValue(0);
    m_overall->setFormat(QString());
    m_status->setObjectName(QStringLiteral("downloadStatus"));
    m_status->setWordWrap(true);
    m_status->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_status->setText(tr("Only the files vltune needs are fetched (configs, tokenizer, processor, safetensors), into "
                         "the Hugging Face cache that transformers uses too. An interrupted download resumes."));

    m_downloadButton->setObjectName(QStringLiteral("downloadButton"));
    m_downloadButton->setDefault(true);
    m_cancelButton->setObjectName(QStringLiteral("stopButton"));
    m_cancelButton->setEnabled(false);
    auto *actions = new QHBoxLayout;
    actions->addWidget(m_overall, 1);
    actions->addWidget(m_downloadButton);
    actions->addWidget(m_cancelButton);

    auto *hubBox = new QGroupBox(tr("Download from the Hugging Face Hub"), this);
    auto *hubLayout = new QVBoxLayout(hubBox);
    hubLayout->addLayout(form);
    hubLayout->addWidget(m_files, 1);
    hubLayout->addLayout(actions);
    hubLayout->addWidget(m_status);

    auto *libraryBox = new QGroupBox(tr("Models on this machine"), this);
    auto *libraryLayout = new QVBoxLayout(libraryBox);
    libraryLayout->addWidget(m_library);

    m_useButton->setObjectName(QStringLiteral("useButton"));
    m_useButton->setEnabled(false);
    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Close, this);
    buttons->addButton(m_useButton, QDialogButtonBox::AcceptRole);

    auto *layout = new QVBoxLayout(this);
    layout->addWidget(hubBox, 3);
    layout->addWidget(libraryBox, 2);
    layout->addWidget(buttons);

    connect(m_downloadButton, &QPushButton::clicked, this, &GetModelDialog::onDownload);
    connect(m_cancelButton, &QPushButton::clicked, this, &GetModelDialog::onCancel);
    connect(m_useButton, &QPushButton::clicked, this, [this] { choose(m_downloaded); });
    connect(buttons, &QDialogButtonBox::rejected, this, &GetModelDialog::reject);
    connect(m_library, &ModelLibrary::modelChosen, this, &GetModelDialog::choose);
    connect(m_download, &HubDownload::filesListed, this, &GetModelDialog::onFilesListed);
    connect(m_download, &HubDownload::fileProgress, this, &GetModelDialog::onFileProgress);
    connect(m_download, &HubDownload::verifyingPartial, this, &GetModelDialog::onVerifyingPartial);
    connect(m_download, &HubDownload::fileFinished, this, &GetModelDialog::onFileFinished);
    connect(m_download, &HubDownload::overallProgress, this, &GetModelDialog::onOverallProgress);
    connect(m_download, &HubDownload::finished, this, &GetModelDialog::onFinished);
    connect(m_download, &HubDownload::failed, this, &GetModelDialog::onFailed);

    m_library->refresh(m_cacheRoot);
}

void GetModelDialog::setCacheRoot(const QString &cacheRoot)
{
    m_cacheRoot = cacheRoot;
    m_library->refresh(m_cacheRoot);
}

void GetModelDialog::reject()
{
    // Closing stops the transfer; the partial file stays for the next time.
    if (m_download->isRunning())
        m_download->cancel();
    QDialog::reject();
}

void GetModelDialog::onDownload()
{
    const QString repo = m_repo->currentText().trimmed();
    if (repo.count(QLatin1Char('/')) != 1 || repo.startsWith(QLatin1Char('/')) || repo.endsWith(QLatin1Char('/'))) {
        m_status->setText(tr("Enter the repository as organisation/name, e.g. HuggingFaceTB/SmolVLM-256M-Instruct."));
        return;
    }
    const QString tokenError = saveHubSettings();
    HubDownloadSettings settings;
    settings.repoId = repo;
    settings.token = m_token->text().trimmed();
    settings.endpoint = normalizedEndpoint(m_endpoint->text());
    settings.cacheRoot = m_cacheRoot;
    m_files->clear();
    m_overall->setValue(0);
    m_overall->setFormat(QString());
    m_useButton->setEnabled(false);
    const QString asking = tr("Asking %1 for the files of %2…").arg(settings.endpoint, repo);
    m_status->setText(tokenError.isEmpty() ? asking : tokenError + QLatin1Char('\n') + asking);
    setBusy(true);
    m_download->start(settings);
}

void GetModelDialog::onCancel() { m_download->cancel(); }

void GetModelDialog::onFilesListed(const QList<HubFile> &files, const QString &commit)
{
    m_files->clear();
    for (const HubFile &f : files) {
        auto *item = new QTreeWidgetItem(m_files);
        item->setText(FcName, f.name);
        item->setText(FcSize, f.size >= 0 ? QLocale().formattedDataSize(f.size) : QStringLiteral("?"));
        item->setTextAlignment(FcSize, Qt::AlignRight | Qt::AlignVCenter);
        item->setText(FcStatus, tr("waiting"));
        auto *bar = new QProgressBar(m_files);
        bar->setRange(0, 1000);
        bar->setValue(0);
        bar->setTextVisible(false);
        bar->setMaximumHeight(m_files->fontMetrics().height());
        m_files->setItemWidget(item, FcProgress, bar);
    }
    m_status->setText(tr("Downloading %n file(s) of %1 at commit %2…", nullptr, int(files.size()))
                          .arg(m_repo->currentText().trimmed(), commit.left(10)));
}

void GetModelDialog::onFileProgress(int index, qint64 received, qint64 total)
{
    QTreeWidgetItem *item = m_files->topLevelItem(index);
    if (!item)
        return;
    if (auto *bar = qobject_cast<QProgressBar *>(m_files->itemWidget(item, FcProgress)))
        bar->setValue(total > 0 ? int(1000 * received / total) : 0);
    item->setText(FcStatus, total > 0 ? tr("%1%").arg(100 * received / total) : QLocale().formattedDataSize(received));
    m_files->scrollToItem(item);
}

void GetModelDialog::onVerifyingPartial(int index, qint64 bytes)
{
    QTreeWidgetItem *item = m_files->topLevelItem(index);
    if (!item)
        return;
    item->setText(FcStatus, tr("checking"));
    m_status->setText(tr("Checking the %1 of %2 kept from the last try before resuming…")
                          .arg(QLocale().formattedDataSize(bytes), item->text(FcName)));
}

void GetModelDialog::onFileFinished(int index, bool cached)
{
    if (QTreeWidgetItem *item = m_files->topLevelItem(index)) {
        item->setText(FcStatus, cached ? tr("already cached") : tr("done ✓"));
        if (auto *bar = qobject_cast<QProgressBar *>(m_files->itemWidget(item, FcProgress)))
            bar->setValue(1000);
    }
}

void GetModelDialog::onOverallProgress(qint64 received, qint64 total)
{
    m_overall->setValue(total > 0 ? int(1000 * received / total) : 0);
    m_overall->setFormat(tr("%1 of %2").arg(QLocale().formattedDataSize(received), QLocale().formattedDataSize(total)));
}

void GetModelDialog::onFinished(const QString &snapshotDir)
{
    setBusy(false);
    m_downloaded = snapshotDir;
    m_useButton->setEnabled(true);
    m_useButton->setDefault(true);
    m_status->setText(tr("Downloaded and checked. The model is in %1").arg(snapshotDir));
    m_library->refresh(m_cacheRoot);
    m_library->select(snapshotDir);
}

void GetModelDialog::onFailed(const QString &message)
{
    setBusy(false);
    for (int i = 0; i < m_files->topLevelItemCount(); ++i) {
        QTreeWidgetItem *item = m_files->topLevelItem(i);
        if (item->text(FcStatus) != tr("done ✓") && item->text(FcStatus) != tr("already cached")) {
            item->setText(FcStatus, tr("stopped"));
            break;  // the file being fetched; later ones stay "waiting"
        }
    }
    m_status->setText(message);
}

void GetModelDialog::choose(const QString &folder)
{
    if (folder.isEmpty())
        return;
    m_modelDir = folder;
    emit modelChosen(folder);
    accept();
}

void GetModelDialog::setBusy(bool busy)
{
    m_downloadButton->setEnabled(!busy);
    m_cancelButton->setEnabled(busy);
    m_repo->setEnabled(!busy);
    m_token->setEnabled(!busy);
    m_rememberToken->setEnabled(!busy);
    m_endpoint->setEnabled(!busy);
}

void GetModelDialog::loadHubSettings()
{
    // A mirror chosen here before wins over HF_ENDPOINT, which is only the default.
    const QString saved = QSettings().value(kEndpointKey).toString();
    m_endpoint->setText(saved.isEmpty() ? defaultHubEndpoint() : saved);

    const HubToken token = readHubToken();
    m_token->setText(token.value);
    switch (token.source) {
    case HubTokenSource::Environment:
        m_tokenSource->setText(tr("From the HF_TOKEN environment variable."));
        break;
    case HubTokenSource::File:
        m_tokenSource->setText(tr("From %1, where huggingface-cli login saved it.")
                                   .arg(QDir::toNativeSeparators(hubTokenPath())));
        break;
    case HubTokenSource::None:
        m_tokenSource->clear();
        break;
    }
    m_tokenSource->setVisible(token.source != HubTokenSource::None);
}

QString GetModelDialog::saveHubSettings()
{
    QSettings settings;
    const QString endpoint = normalizedEndpoint(m_endpoint->text());
    // The default is not stored, so a later HF_ENDPOINT still applies.
    if (endpoint.isEmpty() || endpoint == defaultHubEndpoint())
        settings.remove(kEndpointKey);
    else
        settings.setValue(kEndpointKey, endpoint);

    // Never in QSettings (plain text beside the other settings); the token file only when asked.
    const QString token = m_token->text().trimmed();
    if (!m_rememberToken->isChecked() || token.isEmpty())
        return {};
    if (const QString error = saveHubToken(token); !error.isEmpty())
        return tr("The token was not saved: %1").arg(error);
    m_tokenSource->setText(tr("Saved in %1 (readable only by you).").arg(QDir::toNativeSeparators(hubTokenPath())));
    m_tokenSource->setVisible(true);
    return {};
}

}  // namespace vltune
