#pragma once
// Talking to the Hugging Face Hub (or a mirror) over Qt Network: the repository's file list from
// GET {endpoint}/api/models/{repo}/revision/{rev}?blobs=true, the choice of the files vltune
// needs, and the request every call sends (token, user agent, timeout).

#include <QList>
#include <QMetaType>
#include <QNetworkRequest>
#include <QObject>
#include <QString>
#include <QUrl>

class QNetworkAccessManager;

namespace vltune {

// One file of a repository, as the Hub API's `siblings` lists it.
struct HubFile
{
    QString name;        // rfilename: path inside the repo ("config.json", "sub/x.json")
    qint64 size = -1;    // bytes; -1 when the API did not say
    QString sha256;      // lfs.sha256 for LFS files (weights); "" for small git files
    QString blobId;      // git blob id; names the cache blob of non-LFS files as huggingface_hub does
};

// A repository at one commit.
struct HubRepoInfo
{
    QString repoId;        // "org/name"
    QString commit;        // the 40-hex commit the revision resolved to ("sha")
    QList<HubFile> files;  // every file in the repo
};

// $HF_ENDPOINT (a mirror), else https://huggingface.co; no trailing slash.
QString defaultHubEndpoint();

// Parses the revision API answer. On failure returns an info with an empty commit and sets `error`.
HubRepoInfo parseHubRepoInfo(const QByteArray &json, const QString &repoId, QString *error);

// The files a model needs to load and train: configs, tokenizer and processor files, chat
// templates and the safetensors weights (with their index). PyTorch .bin / .pt, ONNX, GGUF and
// other formats are left out when safetensors are there, so a 7B download is not tripled.
QList<HubFile> selectNeededFiles(const QList<HubFile> &files);

class HubClient final : public QObject
{
    Q_OBJECT

public:
    HubClient(QNetworkAccessManager *network, QObject *parent = nullptr);

    void setEndpoint(const QString &endpoint);  // "" = defaultHubEndpoint()
    void setToken(const QString &token);        // "" = anonymous; gated models need one
    QString endpoint() const { return m_endpoint; }

    // A request to `url` with the token, user agent and a stall timeout.
    QNetworkRequest request(const QUrl &url) const;
    // {endpoint}/{repo}/resolve/{commit}/{file}: the raw file, as huggingface_hub downloads it.
    QUrl resolveUrl(const QString &repoId, const QString &commit, const QString &file) const;

    // Asks for the repository's files at `revision`; repoInfoReady() or failed() answers.
    void fetchRepoInfo(const QString &repoId, const QString &revision = QStringLiteral("main"));

signals:
    void repoInfoReady(const vltune::HubRepoInfo &info);
    void failed(const QString &message);

private:
    QNetworkAccessManager *m_network;
    QString m_endpoint;
    QString m_token;
};

}  // namespace vltune

Q_DECLARE_METATYPE(vltune::HubFile)
Q_DECLARE_METATYPE(vltune::HubRepoInfo)
