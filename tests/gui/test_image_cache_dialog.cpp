// File > Image Cache…: what the folder holds, Clear (only the cache's own files, after asking),
// moving the folder (the entries left behind removed only when the user says so), folders it
// refuses, and the settings the next run reads (app/image_cache_settings.h).

// Engine headers before Qt's (house rule).
#include "tests/test_support.h"
#include "tests/tiny_png.h"

#include <QAbstractButton>
#include <QCheckBox>
#include <QDialogButtonBox>
#include <QDoubleSpinBox>
#include <QLineEdit>
#include <QLocale>
#include <QMessageBox>
#include <QPushButton>
#include <QSettings>
#include <QTest>

#include <memory>

#include "app/image_cache_settings.h"
#include "app/translations.h"
#include "ui/image_cache_dialog.h"

namespace fs = std::filesystem;
using vltune::ImageCacheDialog;
using vltune::ImageCacheSettings;

namespace {

// An entry's name: 64 hex digits + .safetensors.
fs::path entry(const fs::path &dir, char digit)
{
    return dir / (std::string(64, digit) + ".safetensors");
}

QString q(const fs::path &p)
{
    return QString::fromStdString(p.string());
}

// Clicks the question's button with `text` (the box closes and deletes itself).
void answer(ImageCacheDialog &dialog, const QString &text)
{
    QMessageBox *box = dialog.question();
    QVERIFY(box && box->isVisible());
    QAbstractButton *button = nullptr;
    for (QAbstractButton *b : box->buttons())
        if (b->text() == text)
            button = b;
    QVERIFY2(button, qPrintable(text));
    button->click();
    QTRY_VERIFY(!dialog.question());
}

QPushButton *okButton(ImageCacheDialog &dialog)
{
    return dialog.findChild<QDialogButtonBox *>()->button(QDialogButtonBox::Ok);
}

} // namespace

class TestImageCacheDialog final : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void init();
    void showsWhatTheFolderHoldsAndClearsOnlyEntries();
    void movingTheFolderAsksAboutTheOldOne();
    void refusesFoldersItCannotUse();
    void settingsRoundTrip();

private:
    std::unique_ptr<vltune::Translations> m_translations;  // English plural forms ("1 image", "2 images")
};

void TestImageCacheDialog::initTestCase()
{
    QCoreApplication::setOrganizationName(QStringLiteral("vltune-tests"));
    QCoreApplication::setApplicationName(QStringLiteral("test_image_cache_dialog"));
    m_translations = std::make_unique<vltune::Translations>(QLocale(QLocale::English, QLocale::UnitedStates));
}

void TestImageCacheDialog::init()
{
    QSettings().remove(QStringLiteral("imageCache"));
}

void TestImageCacheDialog::showsWhatTheFolderHoldsAndClearsOnlyEntries()
{
    vltune::test::TempDir dir;
    vltune::test::write_text(entry(dir.path(), 'a'), std::string(1000, 'x'));
    vltune::test::write_text(entry(dir.path(), 'b'), std::string(24, 'x'));
    vltune::test::write_text(dir.path() / "notes.txt", "mine");
    ImageCacheSettings s;
    s.dir = q(dir.path());
    s.maxGiB = 5;
    ImageCacheDialog dialog(s);
    dialog.show();
    QCOMPARE(dialog.findChild<QLineEdit *>(QStringLiteral("imageCacheFolder"))->text(), q(dir.path()));
    QCOMPARE(dialog.findChild<QDoubleSpinBox *>(QStringLiteral("imageCacheMax"))->value(), 5.0);
    QCOMPARE(dialog.usageText(), QStringLiteral("Holds 2 prepared images, %1.").arg(QLocale().formattedDataSize(1024)));
    auto *clear = dialog.findChild<QPushButton *>(QStringLiteral("imageCacheClear"));
    QVERIFY(clear->isEnabled());
    if (const QByteArray shots = qgetenv("VLTUNE_SCREENSHOT_DIR"); !shots.isEmpty()) {
        QVERIFY(QTest::qWaitForWindowExposed(&dialog));
        dialog.grab().save(QString::fromLocal8Bit(shots) + QStringLiteral("/image_cache_dialog.png"));
    }

    // Asked first; Keep keeps.
    clear->click();
    QVERIFY(dialog.question()->text().contains(QStringLiteral("Remove the 2 prepared images in %1?").arg(q(dir.path()))));
    answer(dialog, QStringLiteral("Keep"));
    QVERIFY(fs::exists(entry(dir.path(), 'a')));

    // Remove removes the entries, not the user's file.
    clear->click();
    if (const QByteArray shots = qgetenv("VLTUNE_SCREENSHOT_DIR"); !shots.isEmpty()) {
        QVERIFY(QTest::qWaitForWindowExposed(dialog.question()));
        dialog.question()->grab().save(QString::fromLocal8Bit(shots) + QStringLiteral("/image_cache_clear.png"));
    }
    answer(dialog, QStringLiteral("Remove"));
    QVERIFY(!fs::exists(entry(dir.path(), 'a')) && !fs::exists(entry(dir.path(), 'b')));
    QVERIFY(fs::exists(dir.path() / "notes.txt"));
    QCOMPARE(dialog.usageText(), QStringLiteral("Empty."));
    QVERIFY(!clear->isEnabled());
}

void TestImageCacheDialog::movingTheFolderAsksAboutTheOldOne()
{
    vltune::test::TempDir dir;
    const fs::path oldDir = dir.path() / "old", newDir = dir.path() / "new";
    for (const char *answerText : {"Keep", "Remove"}) {
        vltune::test::write_text(entry(oldDir, 'c'), std::string(10, 'x'));
        ImageCacheSettings s;
        s.dir = q(oldDir);
        ImageCacheDialog dialog(s);
        dialog.show();
        auto *folder = dialog.findChild<QLineEdit *>(QStringLiteral("imageCacheFolder"));
        folder->setText(q(newDir));
        QCOMPARE(dialog.usageText(), QStringLiteral("The folder does not exist yet; the next run makes it."));
        dialog.findChild<QDoubleSpinBox *>(QStringLiteral("imageCacheMax"))->setValue(2.5);
        okButton(dialog)->click();
        QVERIFY(dialog.question()->text().contains(
            QStringLiteral("The old folder %1 still holds 1 prepared image").arg(q(oldDir))));
        QVERIFY(dialog.isVisible());  // nothing saved until answered
        QCOMPARE(ImageCacheSettings::load().dir, QString());
        answer(dialog, QString::fromLatin1(answerText));
        QCOMPARE(dialog.result(), int(QDialog::Accepted));
        QCOMPARE(fs::exists(entry(oldDir, 'c')), QByteArray(answerText) == "Keep");
        const ImageCacheSettings saved = ImageCacheSettings::load();
        QCOMPARE(saved.dir, q(newDir));
        QCOMPARE(saved.folder(), q(newDir));
        QCOMPARE(saved.maxGiB, 2.5);
        QVERIFY(saved.enabled);
        QSettings().remove(QStringLiteral("imageCache"));
    }

    // The same folder, or an empty old one: no question.
    ImageCacheSettings s;
    s.dir = q(newDir);
    ImageCacheDialog dialog(s);
    dialog.show();
    okButton(dialog)->click();
    QVERIFY(!dialog.question());
    QCOMPARE(dialog.result(), int(QDialog::Accepted));
}

void TestImageCacheDialog::refusesFoldersItCannotUse()
{
    vltune::test::TempDir dir;
    vltune::test::write_text(dir.path() / "a-file", "x");
    ImageCacheDialog dialog(ImageCacheSettings{});
    dialog.show();
    auto *folder = dialog.findChild<QLineEdit *>(QStringLiteral("imageCacheFolder"));
    auto *enabled = dialog.findChild<QCheckBox *>(QStringLiteral("imageCacheEnabled"));
    QVERIFY(enabled->isChecked());
    folder->setText(QStringLiteral("relative/cache"));
    QCOMPARE(dialog.usageText(), QStringLiteral("Give the folder's full path."));
    QVERIFY(!okButton(dialog)->isEnabled());
    folder->setText(q(dir.path() / "a-file"));
    QCOMPARE(dialog.usageText(), QStringLiteral("%1 is a file, not a folder.").arg(q(dir.path() / "a-file")));
    QVERIFY(!okButton(dialog)->isEnabled());
    folder->clear();
    QCOMPARE(dialog.usageText(), QStringLiteral("Name a folder."));
    QVERIFY(!okButton(dialog)->isEnabled());
    // Off, the folder does not matter.
    enabled->setChecked(false);
    QVERIFY(okButton(dialog)->isEnabled());
    enabled->setChecked(true);
    folder->setText(q(dir.path()));
    QVERIFY(okButton(dialog)->isEnabled());
    QCOMPARE(dialog.usageText(), QStringLiteral("Empty."));
}

void TestImageCacheDialog::settingsRoundTrip()
{
    // Nothing saved: the engine's defaults, vltune-cli's folder.
    ImageCacheSettings d = ImageCacheSettings::load();
    QVERIFY(d.enabled);
    QCOMPARE(d.maxGiB, 20.0);
    QCOMPARE(d.maxBytes(), qint64(20) << 30);
    QCOMPARE(d.folder(), ImageCacheSettings::defaultFolder());
    QVERIFY(d.folder().endsWith(QStringLiteral("/vltune/images")));

    ImageCacheSettings s;
    s.enabled = false;
    s.dir = QStringLiteral("/somewhere/else");
    s.maxGiB = 0.5;
    s.save();
    const ImageCacheSettings back = ImageCacheSettings::load();
    QCOMPARE(back.enabled, false);
    QCOMPARE(back.dir, s.dir);
    QCOMPARE(back.maxBytes(), qint64(1) << 29);

    // The default folder is saved as none, so it follows XDG_CACHE_HOME; a hand-edited cap
    // that makes no sense falls back to 20 GiB.
    s.dir = ImageCacheSettings::defaultFolder();
    s.save();
    QVERIFY(!QSettings().contains(QStringLiteral("imageCache/dir")));
    QSettings().setValue(QStringLiteral("imageCache/maxGiB"), QStringLiteral("-3"));
    QCOMPARE(ImageCacheSettings::load().maxGiB, 20.0);
}

QTEST_MAIN(TestImageCacheDialog)
#include "test_image_cache_dialog.moc"
