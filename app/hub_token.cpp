#include "app/hub_token.h"

#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QSaveFile>

namespace vltune {

QString hfHomeDir()
{
    if (const QString home = qEnvironmentVariable("HF_HOME"); !home.isEmpty())
        return home;
    if (const QString xdg = qEnvironmentVariable("XDG_CACHE_HOME"); !xdg.isEmpty())
        return xdg + QStringLiteral("/huggingface");
    return QDir::homePath() + QStringLiteral("/.cache/huggingface");
}

QString hubTokenPath()
{
    if (const QString path = qEnvironmentVariable("HF_TOKEN_PATH"); !path.isEmpty())
        return path;
    return hfHomeDir() + QStringLiteral("/token");
}

HubToken readHubToken()
{
    if (const QString env = qEnvironmentVariable("HF_TOKEN").trimmed(); !env.isEmpty())
        return {env, HubTokenSource::Environment};
    QFile file(hubTokenPath());
    if (file.open(QIODevice::ReadOnly)) {
        // 4 KiB is plenty for a token; a huge file there is not one.
        const QString token = QString::fromUtf8(file.read(4096)).trimmed();
        if (!token.isEmpty())
            return {token, HubTokenSource::File};
    }
    return {};
}

QString saveHubToken(const QString &token)
{
    const QString path = hubTokenPath();
    if (!QDir().mkpath(QFileInfo(path).absolutePath()))
        return QCoreApplication::translate("HubToken", "Cannot create the folder of %1.").arg(path);
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly))
        return QCoreApplication::translate("HubToken", "Cannot write %1: %2").arg(path, file.errorString());
    // Owner-only before the secret is written: the temporary file becomes the token file.
    if (!file.setPermissions(QFileDevice::ReadOwner | QFileDevice::WriteOwner))
        return QCoreApplication::translate("HubToken", "Cannot make %1 private: %2").arg(path, file.errorString());
    const QByteArray bytes = token.trimmed().toUtf8();
    if (file.write(bytes) != bytes.size() || !file.commit())
        return QCoreApplication::translate("HubToken", "Cannot write %1: %2").arg(path, file.errorString());
    return {};
}

}  // namespace vltune
