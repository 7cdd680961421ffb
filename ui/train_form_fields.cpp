#include "ui/train_form_fields.h"

#include <QFileDialog>
#include <QHBoxLayout>
#include <QLineEdit>
#include <QPushButton>

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
