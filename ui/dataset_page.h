#pragma once

#include <QHash>
#include <QVector>
#include <QWidget>

#include "app/dataset_controller.h"
#include "ui/pinned_samples_editor.h"

class QComboBox;
class QLabel;
class QLineEdit;
class QPlainTextEdit;
class QProgressBar;
class QPushButton;
class QStackedWidget;
class QTabWidget;
class QTextBrowser;
class QTimer;
class QToolButton;
class QTreeWidget;
class QTreeWidgetItem;
class QUndoStack;

namespace vltune {

class CaptionProposalBox;
class HistogramChart;
class ImageView;
class ThumbnailFilterModel;
class ThumbnailGrid;
class ThumbnailLoader;
class ThumbnailModel;

// Dataset: a folder or file opened by button or dropped on the page; the detected format and why,
// counts, the validation problems (clicking one selects its sample), a thumbnail grid filtered by
// text and problem kind, the selected sample large with its conversation and, with a model folder
// chosen, the training prompt with the learned tokens highlighted; captions of image-folder
// datasets edited in place and saved atomically with undo; token-length and image-size charts.
class DatasetPage final : public QWidget
{
    Q_OBJECT

public:
    explicit DatasetPage(QWidget *parent = nullptr);

    DatasetController *controller() const { return m_controller; }
    ThumbnailGrid *grid() const { return m_grid; }
    ThumbnailModel *thumbnailModel() const { return m_model; }
    ThumbnailFilterModel *filterModel() const { return m_filter; }
    QTreeWidget *problemList() const { return m_problems; }
    QUndoStack *undoStack() const { return m_undo; }
    // "Caption with model" under the caption editor.
    CaptionProposalBox *captionProposalBox() const { return m_proposalBox; }
    // The record shown in the detail pane (-1: none).
    int currentSample() const { return m_current; }
    // Whether `path` (a local folder or file) is something openPath() takes.
    static bool canOpen(const QString &path);

    // Opens a dataset folder or file (the main window forwards drops on the window here).
    void openPath(const QString &path);
    // The model whose tokenizer and template measure tokens and render the prompt ("" = none).
    void setModelDir(const QString &dir);
    // Selects record `index` in the grid (clearing filters that hide it) and shows it.
    void selectSample(int index);
    // The samples pinned for training (the Train page's list): the Pin button shows whether the
    // sample on show is one of them, and is off when four are.
    void setPinnedSamples(const QVector<vltune::PinnedSampleChoice> &pinned);
    QToolButton *pinButton() const { return m_pinButton; }
    // The caption editor's text becomes the sample's caption: written atomically, undoable.
    // Returns false (and says why on the page) when it could not be written.
    bool saveCaption();

signals:
    // A dataset was opened: its path and detected format.
    void datasetOpened(const QString &path, const QString &format);
    // The Pin button: pin the sample on show for training, or unpin it.
    void pinRequested(const vltune::PinnedSampleChoice &sample);
    void unpinRequested(const QString &file, qint64 row);
    // A one-line message for the status bar.
    void statusMessage(const QString &message);

protected:
    void dragEnterEvent(QDragEnterEvent *event) override;
    void dropEvent(QDropEvent *event) override;

private:
    friend class SaveCaptionCommand;

    QWidget *createTopRow();
    QWidget *createSamplesPane();
    QWidget *createDetailPane();
    QWidget *createStatisticsPane();
    void browseFolder();
    void browseFile();
    void browseModel();
    void onOpened(const DatasetSummary &summary, const QList<DatasetProblem> &problems,
                  const QVector<DatasetRow> &rows, const DatasetStatistics &statistics);
    void onFailed(const QString &message);
    void onPreview(const DatasetPreview &preview);
    void onCurrentChanged();
    void onProblemActivated(QTreeWidgetItem *item);
    void applyFilters();
    void updateCountLabel();
    void updateCaptionButtons();
    void updatePinButton();
    void onPinClicked(bool checked);
    void showStatistics(const DatasetStatistics &statistics);
    // Sets sample `index`'s caption to `text` everywhere after its file was written.
    void captionWritten(int index, const QString &text);
    void setMessage(const QString &message, bool error = false);

    DatasetController *m_controller = nullptr;
    ThumbnailLoader *m_loader = nullptr;
    ThumbnailModel *m_model = nullptr;
    ThumbnailFilterModel *m_filter = nullptr;
    QUndoStack *m_undo = nullptr;

    QLineEdit *m_modelEdit = nullptr;
    QProgressBar *m_busy = nullptr;
    QLabel *m_formatLabel = nullptr;
    QLabel *m_countsLabel = nullptr;
    QLabel *m_messageLabel = nullptr;
    QStackedWidget *m_gridStack = nullptr;
    ThumbnailGrid *m_grid = nullptr;
    QLineEdit *m_search = nullptr;
    QComboBox *m_problemFilter = nullptr;
    QLabel *m_shownLabel = nullptr;
    QTimer *m_searchTimer = nullptr;
    QTreeWidget *m_problems = nullptr;
    QTabWidget *m_leftTabs = nullptr;
    HistogramChart *m_tokenChart = nullptr;
    HistogramChart *m_sizeChart = nullptr;
    QLabel *m_statsLabel = nullptr;

    ImageView *m_image = nullptr;
    QLabel *m_zoomLabel = nullptr;
    QToolButton *m_pinButton = nullptr;
    QVector<PinnedSampleChoice> m_pinned;  // the Train page's pins
    QLabel *m_sampleTitle = nullptr;
    QTabWidget *m_detailTabs = nullptr;
    QTextBrowser *m_conversation = nullptr;
    QTextBrowser *m_prompt = nullptr;
    QWidget *m_captionTab = nullptr;
    QPlainTextEdit *m_captionEdit = nullptr;
    QPushButton *m_saveCaption = nullptr;
    QPushButton *m_revertCaption = nullptr;
    CaptionProposalBox *m_proposalBox = nullptr;  // "Caption with model": a proposal to accept

    DatasetSummary m_summary;
    QVector<DatasetRow> m_rows;
    int m_current = -1;
    QString m_currentCaption;      // the caption of m_current as saved
    QString m_currentCaptionFile;  // its .txt ("" when captions are not editable)
};

} // namespace vltune
