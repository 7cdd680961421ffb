#pragma once
// Small editors the Train form is built from: a spin box that shows learning rates as 5e-05
// instead of 0.000050, one that says whether a validation size is a fraction or a count, and a
// line edit with a Browse… button for folders and files.

#include <QDoubleSpinBox>
#include <QWidget>

class QLineEdit;
class QPushButton;

namespace vltune {

// A double spin box in general notation ("2e-05", "0.1", "3"), for values across many decades.
class ScientificSpinBox final : public QDoubleSpinBox
{
public:
    explicit ScientificSpinBox(QWidget *parent = nullptr);

    QString textFromValue(double value) const override;
    double valueFromText(const QString &text) const override;
    QValidator::State validate(QString &text, int &pos) const override;
    void stepBy(int steps) override;  // steps multiply or divide by 10^(1/3)… roughly 2x per step
};

// LLaMA-Factory's val_size: below 1 a fraction of the samples, from 1 on a count of them. Shows
// which ("none", "0.1 = 10%", "4 samples") instead of a bare "4.000"; steps by 0.05 below 1 and by
// one sample from there.
class ValidationSizeSpinBox final : public QDoubleSpinBox
{
    Q_OBJECT

public:
    explicit ValidationSizeSpinBox(QWidget *parent = nullptr);

    QString textFromValue(double value) const override;
    double valueFromText(const QString &text) const override;
    QValidator::State validate(QString &text, int &pos) const override;
    void stepBy(int steps) override;

private:
    // The number the text starts with (after trimming); false when it doesn't start with one.
    static bool leadingNumber(const QString &text, double *value);
};

// A path with a Browse… button. `folder` picks folders, else files matching `filter`.
class PathEdit final : public QWidget
{
    Q_OBJECT

public:
    PathEdit(bool folder, const QString &filter, QWidget *parent = nullptr);

    QString text() const;
    void setText(const QString &text);
    void setPlaceholderText(const QString &text);
    QLineEdit *lineEdit() const { return m_edit; }
    QPushButton *browseButton() const { return m_browse; }

signals:
    void textChanged(const QString &text);

private:
    void browse();

    bool m_folder = true;
    QString m_filter;
    QLineEdit *m_edit = nullptr;
    QPushButton *m_browse = nullptr;
};

} // namespace vltune
