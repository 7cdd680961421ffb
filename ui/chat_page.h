#pragma once

#include <QStringList>
#include <QTemporaryDir>
#include <QWidget>

#include "app/chat_controller.h"

class QCheckBox;
class QDoubleSpinBox;
class QLabel;
class QLineEdit;
class QPlainTextEdit;
class QPushButton;
class QSpinBox;
class QSplitter;
class QStackedWidget;

namespace vltune {

class ChatTranscript;
class ClipRetrievalView;

// Chat: a model (and adapters) loaded once; a question with images answered side by side by the
// base model and each adapter, streamed; sampling settings, system prompt; Stop, Regenerate,
// Clear, Copy; images by button, drag-and-drop or paste. A CLIP model answers no questions: the
// page shows the retrieval view instead (captions for an image, images for a caption).
class ChatPage final : public QWidget
{
    Q_OBJECT

public:
    explicit ChatPage(QWidget *parent = nullptr);

    ChatController *controller() const { return m_controller; }
    // The columns on screen, in order.
    QList<ChatTranscript *> transcripts() const { return m_transcripts; }
    // What the page shows for a CLIP model, and whether it shows it now.
    ClipRetrievalView *retrievalView() const { return m_retrieval; }
    bool isRetrievalShown() const;
    // Images attached to the next message.
    QStringList attachedImages() const { return m_images; }
    void attachImage(const QString &path);
    // What the form says now.
    ChatSettings settings() const;
    // Fills the model and adapter fields (a finished run, a checkpoint the Monitor opened); the
    // user presses Load, so a conversation in progress is not dropped behind their back.
    void setModelAndAdapters(const QString &modelDir, const QStringList &adapterDirs);

protected:
    void dragEnterEvent(QDragEnterEvent *event) override;
    void dropEvent(QDropEvent *event) override;
    bool eventFilter(QObject *watched, QEvent *event) override;

private:
    QWidget *createModelRow();
    QWidget *createSettingsRow();
    QWidget *createInputRow();
    void browseModel();
    void browseAdapter();
    void loadModel();
    void send();
    void regenerate();
    void clearConversation();
    void copyConversation();
    void pasteImage();
    void updateImagesLabel();
    void updateButtons();
    void showColumns(const QStringList &labels, const QString &summary);
    void showRetrieval(const QStringList &labels, const QString &summary);
    void onToken(int column, const QString &piece);
    void onAnswer(const ChatAnswer &answer);

    ChatController *m_controller = nullptr;
    QLineEdit *m_modelEdit = nullptr;
    QLineEdit *m_adapterEdit = nullptr;
    QCheckBox *m_compareCheck = nullptr;
    QPushButton *m_loadButton = nullptr;
    QLabel *m_statusLabel = nullptr;
    QSpinBox *m_maxTokens = nullptr;
    QCheckBox *m_sampleCheck = nullptr;
    QDoubleSpinBox *m_temperature = nullptr;
    QDoubleSpinBox *m_topP = nullptr;
    QDoubleSpinBox *m_scale = nullptr;
    QLineEdit *m_systemEdit = nullptr;
    QWidget *m_settingsRow = nullptr;
    QWidget *m_inputRow = nullptr;
    QStackedWidget *m_stack = nullptr;  // the chat columns, or the retrieval view
    ClipRetrievalView *m_retrieval = nullptr;
    QSplitter *m_columns = nullptr;
    QList<ChatTranscript *> m_transcripts;
    QLabel *m_imagesLabel = nullptr;
    QPushButton *m_attachButton = nullptr;
    QPlainTextEdit *m_input = nullptr;
    QPushButton *m_sendButton = nullptr;
    QPushButton *m_stopButton = nullptr;
    QPushButton *m_regenerateButton = nullptr;
    QPushButton *m_clearButton = nullptr;
    QPushButton *m_copyButton = nullptr;
    QStringList m_images;
    QTemporaryDir m_pasted;  // pasted images are written here as PNG
    int m_pastedCount = 0;
};

} // namespace vltune
