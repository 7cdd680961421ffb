// Getting a model from the Hub, end to end against a fake Hub on 127.0.0.1 that serves the Hub's
// URL layout (/api/models/{repo}/revision/main, /{repo}/resolve/{commit}/{file}) with Range
// support: the huggingface_hub cache layout, the bytes, only the needed files, the token, resume
// after the server drops the connection mid-file, a corrupt file caught by its sha256 and kept out
// of the snapshot, the free-space check, and the Get Model dialog listing the new model. The part
// kept from an earlier try is hashed off the GUI thread; the dialog remembers the endpoint, reads
// the token as huggingface_hub does and saves it only when asked, in huggingface_hub's token file.

// Engine headers before Qt's (house rule).
#include "core/data/sha256.h"
#include "core/io/hf_cache.h"

#include <QCheckBox>
#include <QComboBox>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QRandomGenerator>
#include <QSettings>
#include <QSignalSpy>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>
#include <QTreeWidget>

#include "app/hub_client.h"
#include "app/hub_download.h"
#include "app/hub_token.h"
#include "ui/get_model_dialog.h"
#include "ui/model_library.h"

namespace fs = std::filesystem;
using vltune::HubDownload;
using vltune::HubDownloadSettings;
using vltune::HubFile;

namespace {

const QString kRepo = QStringLiteral("org/tiny-clip");
const QString kCommit = QStringLiteral("0123456789abcdef0123456789abcdef01234567");

std::string sha256Hex(const QByteArray &bytes)
{
    return vltune::data::sha256_hex(std::string_view(bytes.constData(), size_t(bytes.size())));
}

// One request the fake Hub received.
struct Seen
{
    QString path;
    QByteArray range;
    QByteArray authorization;
};

// A minimal HTTP/1.1 server speaking the Hub's URL layout; one request per connection.
class FakeHub : public QObject
{
public:
    struct File
    {
        QByteArray bytes;    // what the API's size/sha256 describe
        QByteArray served;   // what is sent (differs to simulate corruption); empty = bytes
        bool lfs = false;
        QString blobId;      // git id for non-LFS files ("" = API gives none, ETag names it)
    };
    QMap<QString, File> files;
    QString cdn;  // when set, LFS files redirect to {cdn}/cdn/{file} (another server: the Hub's CDN)
    QMap<QString, qint64> dropAfter;  // file -> bytes sent before the connection is cut (once)
    QList<Seen> seen;

    FakeHub()
    {
        connect(&m_server, &QTcpServer::newConnection, this, [this] {
            while (QTcpSocket *socket = m_server.nextPendingConnection()) {
                connect(socket, &QTcpSocket::readyRead, this, [this, socket] { onData(socket); });
                connect(socket, &QTcpSocket::disconnected, socket, &QObject::deleteLater);
            }
        });
        QVERIFY(m_server.listen(QHostAddress::LocalHost));
    }
    QString endpoint() const { return QStringLiteral("http://127.0.0.1:%1").arg(m_server.serverPort()); }
    int resolveRequests(const QString &file) const
    {
        int n = 0;
        for (const Seen &s : seen)
            n += s.path.endsWith(QStringLiteral("/resolve/") + kCommit + QLatin1Char('/') + file);
        return n;
    }

private:
    void onData(QTcpSocket *socket)
    {
        QByteArray &buffer = m_buffers[socket];
        buffer += socket->readAll();
        const int end = buffer.indexOf("\r\n\r\n");
        if (end < 0)
            return;
        const QList<QByteArray> lines = buffer.left(end).split('\n');
        m_buffers.remove(socket);
        const QList<QByteArray> requestLine = lines.value(0).trimmed().split(' ');
        Seen s;
        s.path = QString::fromLatin1(requestLine.value(1));
        for (const QByteArray &line : lines.mid(1)) {
            const int colon = line.indexOf(':');
            const QByteArray name = line.left(colon).trimmed().toLower();
            const QByteArray value = line.mid(colon + 1).trimmed();
            if (name == "range")
                s.range = value;
            if (name == "authorization")
                s.authorization = value;
        }
        seen.append(s);
        respond(socket, s);
    }

    void send(QTcpSocket *socket, int status, const QByteArray &reason, const QList<QByteArray> &headers,
              const QByteArray &body, qint64 contentLength = -1)
    {
        QByteArray out = "HTTP/1.1 " + QByteArray::number(status) + ' ' + reason + "\r\n";
        for (const QByteArray &h : headers)
            out += h + "\r\n";
        out += "Content-Length: " + QByteArray::number(contentLength >= 0 ? contentLength : body.size()) + "\r\n";
        out += "Connection: close\r\n\r\n";
        out += body;
        socket->write(out);
        socket->disconnectFromHost();  // after the bytes are written; a short body reads as a dropped connection
    }

    void respond(QTcpSocket *socket, const Seen &s)
    {
        const QString api = QStringLiteral("/api/models/") + kRepo + QStringLiteral("/revision/main");
        if (s.path.startsWith(api)) {
            QJsonArray siblings;
            for (auto it = files.cbegin(); it != files.cend(); ++it) {
                QJsonObject o{{QStringLiteral("rfilename"), it.key()}};
                if (s.path.contains(QStringLiteral("blobs=true"))) {
                    o[QStringLiteral("size")] = it->bytes.size();
                    if (!it->blobId.isEmpty())
                        o[QStringLiteral("blobId")] = it->blobId;
                    if (it->lfs)
                        o[QStringLiteral("lfs")] = QJsonObject{{QStringLiteral("sha256"), QString::fromStdString(sha256Hex(it->bytes))},
                                                               {QStringLiteral("size"), it->bytes.size()},
                                                               {QStringLiteral("pointerSize"), 134}};
                }
                siblings.append(o);
            }
            const QJsonObject root{{QStringLiteral("id"), kRepo}, {QStringLiteral("sha"), kCommit},
                                   {QStringLiteral("siblings"), siblings}};
            send(socket, 200, "OK", {"Content-Type: application/json"}, QJsonDocument(root).toJson());
            return;
        }
        const QString prefix = QLatin1Char('/') + kRepo + QStringLiteral("/resolve/") + kCommit + QLatin1Char('/');
        QString name = s.path.startsWith(prefix) ? s.path.mid(prefix.size()) : QString();
        if (s.path.startsWith(QStringLiteral("/cdn/")))
            name = s.path.mid(5);
        else if (!cdn.isEmpty() && files.value(name).lfs) {
            // The Hub's answer for LFS files: a redirect to its CDN, with the hash in X-Linked-Etag.
            send(socket, 302, "Found",
                 {"Location: " + (cdn + QStringLiteral("/cdn/") + name).toLatin1(),
                  "X-Linked-Etag: \"" + QByteArray::fromStdString(sha256Hex(files[name].bytes)) + '"'},
                 {});
            return;
        }
        if (!files.contains(name)) {
            send(socket, 404, "Not Found", {}, "Entry not found");
            return;
        }
        const File &f = files[name];
        const QByteArray body = f.served.isEmpty() ? f.bytes : f.served;
        const QByteArray etag = f.lfs ? QByteArray::fromStdString(sha256Hex(f.bytes))
                                      : (f.blobId.isEmpty() ? QByteArray("e7a9b3") : f.blobId.toLatin1());
        QList<QByteArray> headers = {"X-Repo-Commit: " + kCommit.toLatin1(), "ETag: \"" + etag + '"',
                                     "Accept-Ranges: bytes"};
        qint64 from = 0;
        if (s.range.startsWith("bytes=")) {
            from = s.range.mid(6, s.range.indexOf('-') - 6).toLongLong();
            if (from >= body.size()) {
                send(socket, 416, "Range Not Satisfiable", {"Content-Range: bytes */" + QByteArray::number(body.size())}, {});
                return;
            }
            headers << "Content-Range: bytes " + QByteArray::number(from) + '-' + QByteArray::number(body.size() - 1) +
                           '/' + QByteArray::number(body.size());
        }
        const QByteArray rest = body.mid(from);
        if (dropAfter.contains(name)) {
            // Promise the whole file, send part of it, hang up: a dropped connection.
            const qint64 cut = dropAfter.take(name);
            send(socket, from ? 206 : 200, from ? "Partial Content" : "OK", headers, rest.left(cut), rest.size());
            return;
        }
        send(socket, from ? 206 : 200, from ? "Partial Content" : "OK", headers, rest);
    }

    QTcpServer m_server;
    QHash<QTcpSocket *, QByteArray> m_buffers;
};

QByteArray randomBytes(int n, quint32 seed)
{
    QRandomGenerator rng(seed);
    QByteArray out(n, Qt::Uninitialized);
    for (int i = 0; i < n; ++i)
        out[i] = char(rng.bounded(256));
    return out;
}

// Many random bytes quickly (the per-byte loop above is too slow for tens of MB).
QByteArray randomBlock(int n, quint32 seed)
{
    QByteArray out(n, Qt::Uninitialized);
    QRandomGenerator(seed).fillRange(reinterpret_cast<quint32 *>(out.data()), n / 4);
    return out;
}

void writeFile(const QString &path, const QByteArray &bytes)
{
    QFile f(path);
    QVERIFY2(f.open(QIODevice::WriteOnly) && f.write(bytes) == bytes.size(), qPrintable(path));
}

QByteArray readAll(const fs::path &p)
{
    QFile f(QString::fromStdString(p.string()));
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

}  // namespace

class TestGetModel : public QObject
{
    Q_OBJECT

private:
    std::unique_ptr<QTemporaryDir> m_cache;
    std::unique_ptr<QTemporaryDir> m_hfHome;
    std::unique_ptr<FakeHub> m_hub;
    QByteArray m_weights;

    fs::path repoDir() const { return vltune::io::repo_cache_dir(m_cache->path().toStdString(), kRepo.toStdString()); }
    fs::path snapshot() const { return vltune::io::snapshot_dir(repoDir(), kCommit.toStdString()); }

    HubDownloadSettings settings() const
    {
        HubDownloadSettings s;
        s.repoId = kRepo;
        s.endpoint = m_hub->endpoint();
        s.keepFreeBytes = 0;
        return s;  // cacheRoot "" = HF_HUB_CACHE, which init() points at the temp dir
    }

    // Runs one download; true when finished, false when failed (message in `message`).
    bool runDownload(HubDownload &d, const HubDownloadSettings &s, QString *message = nullptr)
    {
        QSignalSpy done(&d, &HubDownload::finished);
        QSignalSpy failed(&d, &HubDownload::failed);
        d.start(s);
        [&] { QTRY_VERIFY_WITH_TIMEOUT(!done.isEmpty() || !failed.isEmpty(), 20000); }();
        if (message && !failed.isEmpty())
            *message = failed.first().first().toString();
        return !done.isEmpty();
    }

private slots:
    void init()
    {
        m_cache = std::make_unique<QTemporaryDir>();
        qputenv("HF_HUB_CACHE", m_cache->path().toUtf8());
        // huggingface_hub's home (its token file) per test; no token or mirror from the environment.
        m_hfHome = std::make_unique<QTemporaryDir>();
        qputenv("HF_HOME", m_hfHome->path().toUtf8());
        qunsetenv("HF_TOKEN");
        qunsetenv("HF_TOKEN_PATH");
        qunsetenv("HF_ENDPOINT");
        QSettings().remove(QStringLiteral("hub"));
        m_hub = std::make_unique<FakeHub>();
        m_weights = randomBytes(300'000, 7);
        m_hub->files[QStringLiteral("config.json")] = {R"({"model_type": "clip", "torch_dtype": "float32"})", {}, false,
                                                       QStringLiteral("4f1c2d9a0b7e3c5d6e8f9a0b1c2d3e4f5a6b7c8d")};
        m_hub->files[QStringLiteral("tokenizer.json")] = {R"({"version": "1.0"})", {}, false, QString()};
        m_hub->files[QStringLiteral("model.safetensors")] = {m_weights, {}, true, QString()};
        m_hub->files[QStringLiteral("pytorch_model.bin")] = {randomBytes(1000, 9), {}, true, QString()};
        m_hub->files[QStringLiteral("README.md")] = {"# tiny", {}, false, QStringLiteral("aaaa")};
        m_hub->files[QStringLiteral("onnx/model.onnx")] = {"onnx", {}, true, QString()};
    }

    void selectsOnlyNeededFiles()
    {
        auto names = [](const QList<HubFile> &files) {
            QStringList out;
            for (const HubFile &f : files)
                out << f.name;
            return out;
        };
        const QList<HubFile> all = {{QStringLiteral("config.json")},          {QStringLiteral("model-00001-of-00002.safetensors")},
                                    {QStringLiteral("model.safetensors.index.json")}, {QStringLiteral("pytorch_model.bin")},
                                    {QStringLiteral("tokenizer.json")},       {QStringLiteral("tokenizer_config.json")},
                                    {QStringLiteral("chat_template.jinja")},  {QStringLiteral("preprocessor_config.json")},
                                    {QStringLiteral("model.onnx")},           {QStringLiteral("onnx/decoder.onnx")},
                                    {QStringLiteral("README.md")},            {QStringLiteral(".gitattributes")}};
        QCOMPARE(names(vltune::selectNeededFiles(all)),
                 QStringList({QStringLiteral("config.json"), QStringLiteral("model-00001-of-00002.safetensors"),
                              QStringLiteral("model.safetensors.index.json"), QStringLiteral("tokenizer.json"),
                              QStringLiteral("tokenizer_config.json"), QStringLiteral("chat_template.jinja"),
                              QStringLiteral("preprocessor_config.json")}));
    }

    void downloadsIntoHubCacheLayout()
    {
        HubDownload d;
        HubDownloadSettings s = settings();
        s.token = QStringLiteral("hf_secret");
        QSignalSpy listed(&d, &HubDownload::filesListed);
        QSignalSpy overall(&d, &HubDownload::overallProgress);
        QString message;
        QVERIFY2(runDownload(d, s, &message), qPrintable(message));

        // The API was asked with blobs=true, with the token.
        QVERIFY(m_hub->seen.first().path.endsWith(QStringLiteral("/revision/main?blobs=true")));
        for (const Seen &seen : m_hub->seen)
            QCOMPARE(seen.authorization, QByteArray("Bearer hf_secret"));
        // Only the needed files, in the API's order.
        QCOMPARE(listed.size(), 1);
        const auto files = listed.first().first().value<QList<HubFile>>();
        QStringList names;
        for (const HubFile &f : files)
            names << f.name;
        QCOMPARE(names, QStringList({QStringLiteral("config.json"), QStringLiteral("model.safetensors"),
                                     QStringLiteral("tokenizer.json")}));
        QCOMPARE(m_hub->resolveRequests(QStringLiteral("pytorch_model.bin")), 0);
        QCOMPARE(m_hub->resolveRequests(QStringLiteral("README.md")), 0);
        // Overall progress ends at the total.
        QCOMPARE(overall.last().at(0).toLongLong(), overall.last().at(1).toLongLong());
        QCOMPARE(overall.last().at(1).toLongLong(), qint64(m_weights.size() + m_hub->files[QStringLiteral("config.json")].bytes.size() +
                                                        m_hub->files[QStringLiteral("tokenizer.json")].bytes.size()));

        // huggingface_hub's layout: LFS blob named by sha256, git blobs by their id (or ETag), relative links.
        const std::string weightsSha = sha256Hex(m_weights);
        QCOMPARE(fs::read_symlink(snapshot() / "model.safetensors"), fs::path("../../blobs") / weightsSha);
        QCOMPARE(fs::read_symlink(snapshot() / "config.json"),
                 fs::path("../../blobs/4f1c2d9a0b7e3c5d6e8f9a0b1c2d3e4f5a6b7c8d"));
        QCOMPARE(fs::read_symlink(snapshot() / "tokenizer.json"), fs::path("../../blobs/e7a9b3"));
        QCOMPARE(readAll(snapshot() / "model.safetensors"), m_weights);
        QCOMPARE(readAll(snapshot() / "tokenizer.json"), QByteArray(R"({"version": "1.0"})"));
        QCOMPARE(vltune::io::read_ref(repoDir(), "main").value_or(""), kCommit.toStdString());
        QVERIFY(!fs::exists(snapshot() / "pytorch_model.bin"));
        for (const auto &entry : fs::directory_iterator(repoDir() / "blobs"))
            QVERIFY2(entry.path().extension() != ".incomplete", entry.path().c_str());

        // The cache listing (HF_HUB_CACHE) finds it with its family.
        const auto models = vltune::io::list_cached_models(vltune::io::hf_hub_cache_root());
        QCOMPARE(models.size(), size_t(1));
        QCOMPARE(models[0].repo_id, kRepo.toStdString());
        QVERIFY(models[0].family == vltune::io::ModelFamily::clip);
        QCOMPARE(models[0].path, snapshot());

        // A second run finds every blob in the cache and downloads nothing.
        const int before = m_hub->seen.size();
        QSignalSpy finishedFiles(&d, &HubDownload::fileFinished);
        QVERIFY(runDownload(d, s));
        QCOMPARE(m_hub->seen.size(), before + 1);  // only the API call
        QCOMPARE(finishedFiles.size(), 3);
        QVERIFY(finishedFiles.first().at(1).toBool());  // cached
    }

    void followsCdnRedirectWithoutToken()
    {
        FakeHub cdn;
        cdn.files = m_hub->files;
        cdn.dropAfter[QStringLiteral("model.safetensors")] = 50'000;  // and resume across the redirect
        m_hub->cdn = cdn.endpoint();
        HubDownload d;
        HubDownloadSettings s = settings();
        s.token = QStringLiteral("hf_secret");
        QString message;
        QVERIFY(!runDownload(d, s, &message));
        QVERIFY2(runDownload(d, s, &message), qPrintable(message));
        QCOMPARE(readAll(snapshot() / "model.safetensors"), m_weights);
        QCOMPARE(cdn.seen.size(), 2);
        QCOMPARE(cdn.seen.last().range, QByteArray("bytes=50000-"));
        for (const Seen &seen : cdn.seen)  // the token never leaves the Hub's host
            QVERIFY2(seen.authorization.isEmpty(), seen.authorization.constData());
        for (const Seen &seen : m_hub->seen)
            QCOMPARE(seen.authorization, QByteArray("Bearer hf_secret"));
    }

    void resumesAfterDroppedConnection()
    {
        m_hub->dropAfter[QStringLiteral("model.safetensors")] = 120'000;
        HubDownload d;
        QString message;
        QVERIFY(!runDownload(d, settings(), &message));
        QVERIFY2(message.contains(QStringLiteral("model.safetensors")) && message.contains(QStringLiteral("resume")),
                 qPrintable(message));
        // The partial file stays, named as huggingface_hub names it, and nothing is in the snapshot.
        const std::string sha = sha256Hex(m_weights);
        const fs::path partial = repoDir() / "blobs" / (sha + ".incomplete");
        QVERIFY(fs::exists(partial));
        QCOMPARE(qint64(fs::file_size(partial)), qint64(120'000));
        QVERIFY(!fs::exists(snapshot() / "model.safetensors"));

        QVERIFY2(runDownload(d, settings(), &message), qPrintable(message));
        // The second request for the weights asked for the rest only.
        QByteArray lastRange;
        for (const Seen &s : m_hub->seen)
            if (s.path.endsWith(QStringLiteral("/model.safetensors")))
                lastRange = s.range;
        QCOMPARE(lastRange, QByteArray("bytes=120000-"));
        QCOMPARE(m_hub->resolveRequests(QStringLiteral("model.safetensors")), 2);
        QCOMPARE(readAll(snapshot() / "model.safetensors"), m_weights);
        QVERIFY(!fs::exists(partial));
    }

    void corruptFileIsCaughtAndKeptOut()
    {
        QByteArray bad = m_weights;
        bad[1000] = char(bad[1000] ^ 0x55);
        m_hub->files[QStringLiteral("model.safetensors")].served = bad;
        HubDownload d;
        QString message;
        QVERIFY(!runDownload(d, settings(), &message));
        QVERIFY2(message.contains(QStringLiteral("corrupt")) && message.contains(QStringLiteral("sha256")),
                 qPrintable(message));
        QVERIFY(message.contains(QString::fromStdString(sha256Hex(m_weights))));
        QVERIFY(!fs::exists(snapshot() / "model.safetensors"));
        QVERIFY(!fs::exists(repoDir() / "blobs" / sha256Hex(m_weights)));
        QVERIFY(!fs::exists(repoDir() / "blobs" / (sha256Hex(m_weights) + ".incomplete")));  // no resuming from bad bytes
        QVERIFY(!vltune::io::read_ref(repoDir(), "main"));  // not a complete model
    }

    void notEnoughSpaceStopsBeforeDownloading()
    {
        HubDownload d;
        HubDownloadSettings s = settings();
        s.keepFreeBytes = std::numeric_limits<qint64>::max() / 2;
        QString message;
        QVERIFY(!runDownload(d, s, &message));
        QVERIFY2(message.contains(QStringLiteral("disk space")), qPrintable(message));
        QCOMPARE(m_hub->seen.size(), 1);  // the API only
    }

    void unknownRepoIsReported()
    {
        HubDownload d;
        HubDownloadSettings s = settings();
        s.repoId = QStringLiteral("org/missing");
        QString message;
        QVERIFY(!runDownload(d, s, &message));
        QVERIFY2(message.contains(QStringLiteral("org/missing")) && message.contains(QStringLiteral("not found")),
                 qPrintable(message));
    }

    void resumeHashesKeptPartOffTheGuiThread()
    {
        // A kept part big enough that hashing it takes a noticeable time on any machine.
        const QByteArray big = randomBlock(48 << 20, 11);
        const qint64 kept = big.size() - 5000;
        m_hub->files[QStringLiteral("model.safetensors")] = {big, {}, true, QString()};
        const fs::path blobs = repoDir() / "blobs";
        fs::create_directories(blobs);
        writeFile(QString::fromStdString((blobs / (sha256Hex(big) + ".incomplete")).string()), big.left(kept));

        // A 1 ms timer counts the event loop's turns. While the kept part is hashed (between
        // verifyingPartial and the request for the rest) the loop must keep turning: hashing on the
        // GUI thread would run both in one call stack, with no turn in between.
        int turns = 0;
        QTimer ticker;
        ticker.setInterval(1);
        connect(&ticker, &QTimer::timeout, this, [&] { ++turns; });
        ticker.start();
        HubDownload d;
        int weightsIndex = -1;
        qint64 verifiedBytes = -1;
        int turnsAtVerify = -1;
        int turnsAtRequest = -1;
        connect(&d, &HubDownload::verifyingPartial, this, [&](int index, qint64 bytes) {
            weightsIndex = index;
            verifiedBytes = bytes;
            turnsAtVerify = turns;
        });
        connect(&d, &HubDownload::fileProgress, this, [&](int index, qint64 received, qint64) {
            if (index == weightsIndex && turnsAtVerify >= 0 && turnsAtRequest < 0 && received == kept)
                turnsAtRequest = turns;
        });
        QString message;
        QVERIFY2(runDownload(d, settings(), &message), qPrintable(message));
        QCOMPARE(verifiedBytes, kept);
        QVERIFY(turnsAtRequest >= 0);
        QVERIFY2(turnsAtRequest > turnsAtVerify,
                 qPrintable(QStringLiteral("the event loop turned %1 times while the kept part was hashed")
                                .arg(turnsAtRequest - turnsAtVerify)));
        // Only the rest was fetched, and the whole file (kept part included) passed the sha256 check.
        QByteArray lastRange;
        for (const Seen &s : m_hub->seen)
            if (s.path.endsWith(QStringLiteral("/model.safetensors")))
                lastRange = s.range;
        QCOMPARE(lastRange, "bytes=" + QByteArray::number(kept) + '-');
        QCOMPARE(readAll(snapshot() / "model.safetensors"), big);
    }

    void stopWhileCheckingKeepsThePartialFile()
    {
        const QByteArray big = randomBlock(32 << 20, 12);
        m_hub->files[QStringLiteral("model.safetensors")] = {big, {}, true, QString()};
        const fs::path blobs = repoDir() / "blobs";
        fs::create_directories(blobs);
        const fs::path partial = blobs / (sha256Hex(big) + ".incomplete");
        writeFile(QString::fromStdString(partial.string()), big.left(big.size() / 2));

        QString message;
        {
            HubDownload d;
            connect(&d, &HubDownload::verifyingPartial, &d, &HubDownload::cancel);
            QVERIFY(!runDownload(d, settings(), &message));
        }  // destroyed while its worker may still be stopping: it must wait, not crash
        QVERIFY2(message.contains(QStringLiteral("cancelled")), qPrintable(message));
        QCOMPARE(m_hub->resolveRequests(QStringLiteral("model.safetensors")), 0);
        QCOMPARE(qint64(fs::file_size(partial)), qint64(big.size() / 2));  // kept for the next try
        QVERIFY(!fs::exists(snapshot() / "model.safetensors"));
    }

    void dialogRemembersEndpointAndToken()
    {
        const QString tokenPath = m_hfHome->path() + QStringLiteral("/token");
        auto downloadWith = [&](vltune::GetModelDialog &dialog) {
            dialog.setCacheRoot(m_cache->path());
            dialog.findChild<QComboBox *>(QStringLiteral("repoCombo"))->setEditText(kRepo);
            QSignalSpy done(dialog.download(), &HubDownload::finished);
            dialog.findChild<QPushButton *>(QStringLiteral("downloadButton"))->click();
            QTRY_COMPARE_WITH_TIMEOUT(done.size(), 1, 20000);
        };
        auto settingsText = [] {
            QSettings settings;
            settings.sync();
            QFile f(settings.fileName());
            return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
        };

        // First opening: huggingface.co, else $HF_ENDPOINT; no token anywhere.
        {
            vltune::GetModelDialog dialog;
            QCOMPARE(dialog.findChild<QLineEdit *>(QStringLiteral("endpointEdit"))->text(), QStringLiteral("https://huggingface.co"));
            QCOMPARE(dialog.findChild<QLineEdit *>(QStringLiteral("tokenEdit"))->text(), QString());
            QVERIFY(!dialog.findChild<QCheckBox *>(QStringLiteral("rememberTokenCheck"))->isChecked());
        }
        qputenv("HF_ENDPOINT", "https://mirror.example/");
        {
            vltune::GetModelDialog dialog;
            QCOMPARE(dialog.findChild<QLineEdit *>(QStringLiteral("endpointEdit"))->text(), QStringLiteral("https://mirror.example"));
            // A download with another endpoint and a token typed but not to be remembered.
            dialog.findChild<QLineEdit *>(QStringLiteral("endpointEdit"))->setText(m_hub->endpoint() + QLatin1Char('/'));
            dialog.findChild<QLineEdit *>(QStringLiteral("tokenEdit"))->setText(QStringLiteral("hf_typed"));
            downloadWith(dialog);
        }
        QCOMPARE(m_hub->seen.first().authorization, QByteArray("Bearer hf_typed"));
        QVERIFY(!QFile::exists(tokenPath));
        QVERIFY(!settingsText().contains("hf_typed"));
        QCOMPARE(QSettings().value(QStringLiteral("hub/endpoint")).toString(), m_hub->endpoint());

        // Reopened: the endpoint used last time wins over HF_ENDPOINT; the unsaved token is gone.
        // A token file from `huggingface-cli login` (readable by others here) is the default token.
        writeFile(tokenPath, "hf_from_login\n");
        fs::permissions(tokenPath.toStdString(), fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read |
                                                     fs::perms::others_read);
        {
            vltune::GetModelDialog dialog;
            QCOMPARE(dialog.findChild<QLineEdit *>(QStringLiteral("endpointEdit"))->text(), m_hub->endpoint());
            QCOMPARE(dialog.findChild<QLineEdit *>(QStringLiteral("tokenEdit"))->text(), QStringLiteral("hf_from_login"));
            auto *source = dialog.findChild<QLabel *>(QStringLiteral("tokenSource"));
            QVERIFY(!source->isHidden());
            QVERIFY2(source->text().contains(QDir::toNativeSeparators(tokenPath)), qPrintable(source->text()));

            // "Remember token": written to the token file, owner-only, never to the settings.
            dialog.findChild<QLineEdit *>(QStringLiteral("tokenEdit"))->setText(QStringLiteral(" hf_remembered "));
            dialog.findChild<QCheckBox *>(QStringLiteral("rememberTokenCheck"))->setChecked(true);
            dialog.show();
            downloadWith(dialog);
            const QString dir = qEnvironmentVariable("VLTUNE_SCREENSHOT_DIR", QStringLiteral("/tmp/shots"));
            QDir().mkpath(dir);
            dialog.grab().save(dir + QStringLiteral("/get_model_token.png"));
        }
        QCOMPARE(m_hub->seen.last().authorization, QByteArray("Bearer hf_remembered"));
        QCOMPARE(readAll(tokenPath.toStdString()), QByteArray("hf_remembered"));
        QCOMPARE(fs::status(tokenPath.toStdString()).permissions() & fs::perms::all,
                 fs::perms::owner_read | fs::perms::owner_write);
        QVERIFY(!settingsText().contains("hf_remembered"));
        QCOMPARE(vltune::readHubToken().value, QStringLiteral("hf_remembered"));

        // HF_TOKEN wins over the file, as in huggingface_hub.
        qputenv("HF_TOKEN", "hf_from_env");
        {
            vltune::GetModelDialog dialog;
            QCOMPARE(dialog.findChild<QLineEdit *>(QStringLiteral("tokenEdit"))->text(), QStringLiteral("hf_from_env"));
            QVERIFY(dialog.findChild<QLabel *>(QStringLiteral("tokenSource"))->text().contains(QStringLiteral("HF_TOKEN")));
        }
        qunsetenv("HF_TOKEN");
        qunsetenv("HF_ENDPOINT");
    }

    void dialogDownloadsAndLists()
    {
        vltune::GetModelDialog dialog;
        dialog.setCacheRoot(m_cache->path());
        dialog.findChild<QComboBox *>(QStringLiteral("repoCombo"))->setEditText(kRepo);
        dialog.findChild<QLineEdit *>(QStringLiteral("endpointEdit"))->setText(m_hub->endpoint());
        dialog.show();
        auto *library = dialog.findChild<QTreeWidget *>(QStringLiteral("modelLibraryTree"));
        QCOMPARE(library->topLevelItemCount(), 0);

        QSignalSpy done(dialog.download(), &HubDownload::finished);
        dialog.findChild<QPushButton *>(QStringLiteral("downloadButton"))->click();
        QTRY_COMPARE_WITH_TIMEOUT(done.size(), 1, 20000);

        auto *files = dialog.findChild<QTreeWidget *>(QStringLiteral("downloadFiles"));
        QCOMPARE(files->topLevelItemCount(), 3);
        QVERIFY(dialog.findChild<QPushButton *>(QStringLiteral("useButton"))->isEnabled());
        QCOMPARE(library->topLevelItemCount(), 1);
        QCOMPARE(library->topLevelItem(0)->text(0), kRepo);
        QCOMPARE(library->topLevelItem(0)->text(1), QStringLiteral("CLIP"));
        QCOMPARE(library->topLevelItem(0)->text(3), QStringLiteral("float32"));

        const QString dir = qEnvironmentVariable("VLTUNE_SCREENSHOT_DIR", QStringLiteral("/tmp/shots"));
        QDir().mkpath(dir);
        dialog.grab().save(dir + QStringLiteral("/get_model.png"));

        // Double-clicking the listed model chooses its snapshot folder.
        QSignalSpy chosen(&dialog, &vltune::GetModelDialog::modelChosen);
        emit library->itemActivated(library->topLevelItem(0), 0);
        QCOMPARE(chosen.size(), 1);
        QCOMPARE(dialog.modelDir(), QString::fromStdString(snapshot().string()));
        QCOMPARE(dialog.result(), int(QDialog::Accepted));
    }
};

QTEST_MAIN(TestGetModel)
#include "test_get_model.moc"
