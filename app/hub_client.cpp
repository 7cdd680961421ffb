#include "app/hub_client.h"

#include <QCoreApplication>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QRegularExpression>

namespace vltune {

namespace {

// A transfer that sends nothing for this long counts as a dropped connection.
constexpr int kStallTimeoutMs = 60'000;

QString fileNameOf(const QString &path) { return path.section(QLatin1Char('/'), -1); }

bool isWeightsFormatWeSkip(const QString &name)
{
    static const QStringList suffixes = {QStringLiteral(".bin"),  QStringLiteral(".pt"),   QStringLiteral(".pth"),
                                         QStringLiteral(".onnx"), QStringLiteral(".gguf"), QStringLiteral(".h5"),
                                         QStringLiteral(".msgpack"), QStringLiteral(".ckpt"), QStringLiteral(".ot")};
    for (const QString &s : suffixes)
        if (name.endsWith(s))
            return true;
    return false;
}

}  // namespace

QString defaultHubEndpoint()
{
    QString endpoint = qEnvironmentVariable("HF_ENDPOINT").trimmed();
    if (endpoint.isEmpty())
        endpoint = QStringLiteral("https://huggingface.co");
    while (endpoint.endsWith(QLatin1Char('/')))
        endpoint.chop(1);
    return endpoint;
}

HubRepoInfo parseHubRepoInfo(const QByteArray &json, const QString &repoId, QString *error)
{
    HubRepoInfo info;
    info.repoId = repoId;
    QJsonParseError parseError;
    const QJsonDocument doc = QJsonDocument::fromJson(json, &parseError);
    if (!doc.isObject()) {
        *error = QCoreApplication::translate("HubClient", "The Hub's answer for %1 is not JSON: %2")
                     .arg(repoId, parseError.errorString());
        return info;
    }
    const QJsonObject root = doc.object();
    const QString commit = root.value(QStringLiteral("sha")).toString();
    if (commit.isEmpty() || !root.value(QStringLiteral("siblings")).isArray()) {
        *error = QCoreApplication::translate("HubClient", "The Hub's answer for %1 has no \"sha\" or \"siblings\".")
                     .arg(repoId);
        return info;
    }
    for (const QJsonValue &v : root.value(QStringLiteral("siblings")).toArray()) {
        const QJsonObject o = v.toObject();
        HubFile f;
        f.name = o.value(QStringLiteral("rfilename")).toString();
        if (f.name.isEmpty() || f.name.contains(QStringLiteral(".."))) // never write outside the snapshot
            continue;
        f.size = o.value(QStringLiteral("size")).toInteger(-1);
        f.blobId = o.value(QStringLiteral("blobId")).toString();
        const QJsonObject lfs = o.value(QStringLiteral("lfs")).toObject();
        if (!lfs.isEmpty()) {
            f.sha256 = lfs.value(QStringLiteral("sha256")).toString().toLower();
            f.size = lfs.value(QStringLiteral("size")).toInteger(f.size);
        }
        info.files.append(f);
    }
    info.commit = commit;
    return info;
}

QList<HubFile> selectNeededFiles(const QList<HubFile> &files)
{
    static const QRegularExpression wanted(QStringLiteral(
        "^(config\\.json|generation_config\\.json|tokenizer.*\\.json|tokenizer\\.model|special_tokens_map\\.json|"
        "added_tokens\\.json|vocab\\.json|merges\\.txt|chat_template\\.(json|jinja)|preprocessor_config\\.json|"
        "processor_config\\.json|video_preprocessor_config\\.json|.*\\.safetensors|"
        "model\\.safetensors\\.index\\.json)$"));
    bool hasSafetensors = false;
    for (const HubFile &f : files)
        if (f.name.endsWith(QStringLiteral(".safetensors")) && !f.name.contains(QLatin1Char('/')))
            hasSafetensors = true;
    QList<HubFile> out;
    for (const HubFile &f : files) {
        // Only the top level: subfolders hold other formats (onnx/, gguf/) or other checkpoints.
        if (f.name.contains(QLatin1Char('/')))
            continue;
        if (wanted.match(fileNameOf(f.name)).hasMatch())
            out.append(f);
        else if (!hasSafetensors && isWeightsFormatWeSkip(f.name) && f.name.startsWith(QStringLiteral("pytorch_model")))
            out.append(f);  // an old repo with only PyTorch weights: better than nothing
    }
    return out;
}

HubClient::HubClient(QNetworkAccessManager *network, QObject *parent)
    : QObject(parent), m_network(network), m_endpoint(defaultHubEndpoint())
{
}

void HubClient::setEndpoint(const QString &endpoint)
{
    m_endpoint = endpoint.trimmed();
    while (m_endpoint.endsWith(QLatin1Char('/')))
        m_endpoint.chop(1);
    if (m_endpoint.isEmpty())
        m_endpoint = defaultHubEndpoint();
}

void HubClient::setToken(const QString &token) { m_token = token.trimmed(); }

QNetworkRequest HubClient::request(const QUrl &url) const
{
    QNetworkRequest r(url);
    r.setHeader(QNetworkRequest::UserAgentHeader,
                QStringLiteral("vltune/%1; hf_hub-compatible").arg(QCoreApplication::applicationVersion()));
    if (!m_token.isEmpty())
        r.setRawHeader("Authorization", "Bearer " + m_token.toUtf8());
    r.setTransferTimeout(kStallTimeoutMs);
    // The Hub redirects LFS files to its CDN; follow, but never from https down to http.
    r.setAttribute(QNetworkRequest::RedirectPolicyAttribute, QNetworkRequest::NoLessSafeRedirectPolicy);
    return r;
}

QUrl HubClient::resolveUrl(const QString &repoId, const QString &commit, const QString &file) const
{
    return QUrl(m_endpoint + QLatin1Char('/') + repoId + QStringLiteral("/resolve/") + commit + QLatin1Char('/') +
                QString::fromUtf8(QUrl::toPercentEncoding(file, "/")));
}

void HubClient::fetchRepoInfo(const QString &repoId, const QString &revision)
{
    const QUrl url(m_endpoint + QStringLiteral("/api/models/") + repoId + QStringLiteral("/revision/") +
                   QString::fromUtf8(QUrl::toPercentEncoding(revision)) + QStringLiteral("?blobs=true"));
    QNetworkReply *reply = m_network->get(request(url));
    connect(reply, &QNetworkReply::finished, this, [this, reply, repoId] {
        reply->deleteLater();
        const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
        if (status == 401 || status == 403) {
            emit failed(tr("The Hub refused access to %1 (HTTP %2). A gated or private model needs an access "
                           "token from an account that accepted its license.")
                            .arg(repoId)
                            .arg(status));
            return;
        }
        if (status == 404) {
            emit failed(tr("%1 was not found on %2. Check the repository id (organisation/name).")
                            .arg(repoId, m_endpoint));
            return;
        }
        if (reply->error() != QNetworkReply::NoError) {
            emit failed(tr("Could not reach %1: %2").arg(m_endpoint, reply->errorString()));
            return;
        }
        QString error;
        const HubRepoInfo info = parseHubRepoInfo(reply->readAll(), repoId, &error);
        if (info.commit.isEmpty())
            emit failed(error);
        else
            emit repoInfoReady(info);
    });
}

}  // namespace vltune
