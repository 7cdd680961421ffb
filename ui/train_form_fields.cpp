#include "ui/train_form_fields.h"

#include <QFileDialog>
#include <QHBoxLayout>
#include <QLineEdit>
#include <QPushButton>

#include <algorithm>
#include <cmath>
#include <limits>

namespace vltune {

ScientificSpinBox::ScientificSpinBox(QWidget *parent)
    : QDoubleSpinBox(parent)
{
    // QDoubleSpinBox rounds values to `decimals`; the most it allows keeps every double as set.
    setDecimals(323);
    setRange(-std::numeric_limits<double>::max(), std::numeric_limits<double>::max());
}

QString ScientificSpinBox::textFromValue(double value) const
{
    return QString::number(value, 'g', 10);
}

double ScientificSpinBox::valueFromText(const QString &text) const
{
    return text.trimmed().toDouble();
}

QValidator::State ScientificSpinBox::validate(QString &text, int &) const
{
    const QString t = text.trimmed();
    if (t.isEmpty())
        return QValidator::Intermediate;
    bool ok = false;
    t.toDouble(&ok);
    if (ok)
        return QValidator::Acceptable;
    // Half-typed numbers such as "1e", "-", "3." are fine while typing.
    static const QString partial = QStringLiteral("0123456789.eE+-");
    for (QChar c : t)
        if (!partial.contains(c))
            return QValidator::Invalid;
    return QValidator::Intermediate;
}

void ScientificSpinBox::stepBy(int steps)
{
    const double v = value();
    setValue(v == 0 ? 1e-5 : v * std::pow(2.0, steps));
}

ValidationSizeSpinBox::ValidationSizeSpinBox(QWidget *parent)
    : QDoubleSpinBox(parent)
{
    setDecimals(3);
    setRange(0.0, 1e9);
    setSingleStep(0.05);
}

QString ValidationSizeSpinBox::textFromValue(double value) const
{
    if (value <= 0)
        return tr("none");
    if (value < 1)
        return tr("%1 = %2%").arg(QString::number(value, 'g', 3), QString::number(value * 100, 'g', 3));
    return tr("%n sample(s)", nullptr, static_cast<int>(std::min(value, 2e9)));
}

bool ValidationSizeSpinBox::leadingNumber(const QString &text, double *value)
{
    const QString t = text.trimmed();
    int end = 0;
    while (end < t.size() && (t[end].isDigit() || t[end] == QLatin1Char('.')))
        ++end;
    bool ok = false;
    *value = t.left(end).toDouble(&ok);
    return end > 0 && ok;
}

double ValidationSizeSpinBox::valueFromText(const QString &text) const
{
    double v = 0;
    return leadingNumber(text, &v) ? v : 0.0;  // "none" (in any language) and "" are 0
}

QValidator::State ValidationSizeSpinBox::validate(QString &text, int &) const
{
    // The box's own texts, a number typed over them ("0.2", "12"), or one being typed.
    if (text == textFromValue(0))
        return QValidator::Acceptable;
    if (text.trimmed().isEmpty())
        return QValidator::Intermediate;
    double v = 0;
    if (!leadingNumber(text, &v))
        return text.trimmed() == QStringLiteral(".") ? QValidator::Intermediate : QValidator::Invalid;
    if (v >= 1 && v != std::floor(v))
        return QValidator::Intermediate;  // a count is a whole number
    return v <= maximum() ? QValidator::Acceptable : QValidator::Invalid;
}

void ValidationSizeSpinBox::stepBy(int steps)
{
    // Arrows stay on their side of 1, whose meaning changes there (0.95 of the samples, 1 sample):
    // a count steps by one sample, at least 1; a fraction by 0.05, at most 0.95.
    const double v = value();
    if (v >= 1)
        setValue(std::max(1.0, std::floor(v) + steps));
    else
        setValue(std::clamp(std::round((v + steps * singleStep()) * 1000) / 1000, 0.0, std::max(v, 0.95)));
}

PathEdit::PathEdit(bool folder, const QString &filter, QWidget *parent)
    : QWidget(parent)
    , m_folder(folder)
    , m_filter(filter)
    , m_edit(new QLineEdit(this))
    , m_browse(new QPushButton(tr("Browse…"), this))
{
    auto *layout = new QHBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_edit, 1);
    layout->addWidget(m_browse);
    setFocusProxy(m_edit);
    connect(m_edit, &QLineEdit::textChanged, this, &PathEdit::textChanged);
    connect(m_browse, &QPushButton::clicked, this, &PathEdit::browse);
}

QString PathEdit::text() const
{
    return m_edit->text();
}

void PathEdit::setText(const QString &text)
{
    m_edit->setText(text);
}

void PathEdit::setPlaceholderText(const QString &text)
{
    m_edit->setPlaceholderText(text);
}

void PathEdit::browse()
{
    const QString start = m_edit->text();
    const QString chosen = m_folder ? QFileDialog::getExistingDirectory(this, tr("Choose a folder"), start)
                                    : QFileDialog::getOpenFileName(this, tr("Choose a file"), start, m_filter);
    if (!chosen.isEmpty())
        m_edit->setText(chosen);
}

} // namespace vltune
