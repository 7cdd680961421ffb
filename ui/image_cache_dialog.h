#pragma once
// File > Image Cache…: where training keeps prepared images (core/data/image_cache.h), how much
// that folder may hold, what it holds now, and emptying it. The folder can be moved (say, to a
// larger disk); the entries left in the old one are removed only when the user says so.
// Questions are asked with window-modal message boxes (open(), never exec()).

#include <QDialog>

#include "app/image_cache_settings.h"

class QCheckBox;
class QDoubleSpinBox;
class QLabel;
class QLineEdit;
class QMessageBox;
class QPushButton;

namespace vltune {

class ImageCacheDialog final : public QDialog
{
    Q_OBJECT

public:
    explicit ImageCacheDialog(const ImageCacheSettings &settings, QWidget *parent = nullptr);

    // The settings as the form shows them now.
    ImageCacheSettings settings() const;
    // The question being asked (clear, or what to do with the old folder), if any.
    QMessageBox *question() const { return m_question; }
    // The usage line ("Holds 3 prepared images, 5.4 MB.", or the problem with the folder).
    QString usageText() const;

    void accept() override;

private:
    void chooseFolder();
    void openFolder();
    void askClear();
    // Reads the folder's usage and enables what can be done with it.
    void refresh();
    // An error with the folder as typed ("" when it is usable).
    QString folderProblem() const;
    QMessageBox *ask(const QString &text, const QString &yes, const QString &no);
    void finishAccept(bool removeOld);

    QString m_initialFolder;
    QCheckBox *m_enabled = nullptr;
    QLineEdit *m_folder = nullptr;
    QPushButton *m_choose = nullptr;
    QPushButton *m_open = nullptr;
    QDoubleSpinBox *m_max = nullptr;
    QLabel *m_usage = nullptr;
    QPushButton *m_clear = nullptr;
    QPushButton *m_ok = nullptr;
    QMessageBox *m_question = nullptr;
    qint64 m_entries = 0;
};

}  // namespace vltune
