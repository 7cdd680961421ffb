#include "app/translations.h"

#include <QCoreApplication>
#include <QLibraryInfo>
#include <QTranslator>

namespace vltune {

Translations::Translations(const QLocale &locale)
    : m_vltune(std::make_unique<QTranslator>())
    , m_qt(std::make_unique<QTranslator>())
{
    // QTranslator tries each of the locale's UI languages and shorter forms of them
    // (zh_Hans_CN, zh_CN, zh), so "zh_CN", "zh-CN" and "zh_CN.UTF-8" all find vltune_zh_CN.qm.
    // A language without a catalogue (German, or the C locale of a bare container) reads the
    // English one, the source language's: its plural forms say "4 samples", not "4 sample(s)".
    if (m_vltune->load(locale, QStringLiteral("vltune"), QStringLiteral("_"), QStringLiteral(":/i18n"))
        || m_vltune->load(QStringLiteral(":/i18n/vltune_en.qm")))
        QCoreApplication::installTranslator(m_vltune.get());
    else
        m_vltune.reset();

    if (m_qt->load(locale, QStringLiteral("qtbase"), QStringLiteral("_"),
                   QLibraryInfo::path(QLibraryInfo::TranslationsPath)))
        QCoreApplication::installTranslator(m_qt.get());
    else
        m_qt.reset();
}

Translations::~Translations()
{
    if (m_qt)
        QCoreApplication::removeTranslator(m_qt.get());
    if (m_vltune)
        QCoreApplication::removeTranslator(m_vltune.get());
}

QString Translations::catalogue() const
{
    return m_vltune ? m_vltune->filePath() : QString();
}

} // namespace vltune
