#pragma once

#include <QLocale>
#include <QString>

#include <memory>

class QTranslator;

namespace vltune {

// Installs the translations for one UI language for as long as it lives: vltune's own catalogue,
// embedded as ":/i18n/vltune_<locale>.qm" (the English one for languages without their own), and
// Qt's own (qtbase_<locale>.qm from the Qt installation, for standard buttons and dialogs) when the
// system has it. Construct it before the first window: windows translate their texts when they
// are built.
class Translations final
{
public:
    explicit Translations(const QLocale &locale);
    ~Translations();

    Translations(const Translations &) = delete;
    Translations &operator=(const Translations &) = delete;

    // The vltune catalogue that was installed (":/i18n/vltune_zh_CN.qm"), or empty when the
    // locale has none and the UI stays in English.
    QString catalogue() const;

private:
    std::unique_ptr<QTranslator> m_vltune;
    std::unique_ptr<QTranslator> m_qt;
};

} // namespace vltune
