#pragma once

#include <QTemporaryDir>
#include <QWidget>

#include "app/retrieval_jobs.h"

class QLabel;
class QLineEdit;
class QPlainTextEdit;
class QPushButton;
class QTabWidget;
class QTableWidget;

namespace vltune {

// What the Chat page shows for a CLIP model: retrieval, both ways. "Captions for an image": one
// image and candidate captions (one per line) -> a table of caption, base and adapted probability
// and their difference, best by the adapted score first, the best of each column marked. "Images
// for a caption": a caption and a folder -> the images ranked, with thumbnails. The view asks
// (signals) and shows (showResult); the Chat page connects it to the controller.
class ClipRetrievalView final : public QWidget
{
    Q_OBJECT

public:
    // The tables' columns.
    enum Column { CandidateColumn, BaseColumn, AdaptedColumn, DifferenceColumn };
    // Item data: the probability (0..1) or difference as a number; true on a column's best cell.
    static constexpr int ValueRole = Qt::UserRole + 1;
    static constexpr int BestRole = Qt::UserRole + 2;

    explicit ClipRetrievalView(QWidget *parent = nullptr);

    // The image whose captions are scored (attach, drop or paste on the Chat page).
    void setImage(const QString &path);
    QString image() const { return m_image; }
    // The adapter compared with the base ("" = base only: the adapted columns are hidden).
    void setAdapterLabel(const QString &label);
    // The candidates as typed, blank lines left out.
    QStringList captions() const;
    void setCaptions(const QStringList &captions);
    void setQueryCaption(const QString &caption);
    void setFolder(const QString &folder);
    // Disables the buttons while the model works.
    void setBusy(bool busy);
    // Fills the table of the result's direction, sorted.
    void showResult(const RetrievalResult &result);

    QTableWidget *captionTable() const { return m_captionTable; }
    QTableWidget *imageTable() const { return m_imageTable; }

signals:
    void scoreCaptionsRequested(const QString &image, const QStringList &captions);
    void rankImagesRequested(const QString &caption, const QString &folder);

protected:
    bool eventFilter(QObject *watched, QEvent *event) override;

private:
    QWidget *createCaptionsTab();
    QWidget *createImagesTab();
    QTableWidget *createTable(const QString &candidateHeader);
    void fillTable(QTableWidget *table, const RetrievalResult &result);
    void requestScores();
    void requestRanking();
    void updateButtons();

    QTabWidget *m_tabs = nullptr;
    QLabel *m_preview = nullptr;
    QLabel *m_imageName = nullptr;
    QPlainTextEdit *m_captionsEdit = nullptr;
    QPushButton *m_scoreButton = nullptr;
    QTableWidget *m_captionTable = nullptr;
    QLineEdit *m_queryEdit = nullptr;
    QLineEdit *m_folderEdit = nullptr;
    QPushButton *m_rankButton = nullptr;
    QTableWidget *m_imageTable = nullptr;
    QLabel *m_captionNote = nullptr;
    QLabel *m_imageNote = nullptr;
    QString m_image;
    QString m_adapterLabel;
    bool m_busy = false;
    QTemporaryDir m_pasted;  // pasted images are written here as PNG
    int m_pastedCount = 0;
};

} // namespace vltune
