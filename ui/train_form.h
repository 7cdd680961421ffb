#pragma once
// The Train page's settings, grouped as a user thinks of them (Model · Method · Data · Preference
// (DPO) · Training · Precision & memory · Output), bound to a train::TrainConfig. Every field has a one-sentence
// tooltip with its usual range; the whole config is checked with the engine's own
// validate_train_config on every change (debounced) and the field the error names is marked.
//
// config() starts from the last setConfig() and writes only the fields the user changed since, so
// keys the form does not show (and exact float values) survive Load → Save unchanged.

#include <QHash>
#include <QList>
#include <QWidget>

#include <functional>

#include "core/train/train_config.h"

class QComboBox;
class QDoubleSpinBox;
class QFormLayout;
class QGroupBox;
class QLabel;
class QTimer;
class QVBoxLayout;

namespace vltune {

class TrainForm final : public QWidget
{
    Q_OBJECT

public:
    explicit TrainForm(QWidget *parent = nullptr);

    void setConfig(const train::TrainConfig &config);
    train::TrainConfig config() const;

    // The editor of a YAML key (nullptr when the form has none): the widget marked when invalid.
    QWidget *fieldWidget(const QString &key) const;
    QStringList keys() const;

    // Checks now (the form does it by itself 250 ms after each change). True when Start may run.
    bool validateNow();
    bool isValid() const { return m_errorKey.isEmpty(); }
    QString errorKey() const { return m_errorKey; }
    QString errorMessage() const { return m_errorMessage; }
    // Warnings the engine's checks found (valid but worth a look), one per line.
    QString warnings() const { return m_warnings; }

    // The GPU-memory presets (8, 12, 16, 24 GB); see the .cpp for the reasoning.
    static QList<int> presetGigabytes();
    static void applyPreset(train::TrainConfig &config, int gigabytes);
    // Sets the preset's fields in the editors (they count as changed by the user).
    void applyPresetToFields(int gigabytes);

    // The model picker's line under the path: family, parameters, dtype (the page fills it in).
    void setModelInfo(const QString &text, bool error = false);
    // Recent model folders (QSettings "train/recentModels", newest first).
    static QStringList recentModels();
    static void addRecentModel(const QString &folder);

signals:
    // Any field changed (not debounced).
    void changed();
    // After each check: valid or not, and the error.
    void validityChanged(bool valid, const QString &message);

private:
    struct Binding
    {
        QString key;
        QWidget *editor = nullptr;  // what is marked when invalid
        std::function<void(const train::TrainConfig &)> load;
        std::function<void(train::TrainConfig &)> store;
        std::function<QVariant()> value;  // to tell whether the user changed it since setConfig
    };

    QGroupBox *addSection(const QString &title, int row, int column);
    QWidget *createModelPicker();
    void addRow(QFormLayout *form, const QString &label, QWidget *field, const QString &tooltip);
    void bind(Binding binding);
    void addInt(QFormLayout *form, const QString &key, const QString &label, const QString &tooltip,
                int64_t train::TrainConfig::*member, int minimum, int maximum, int step = 1);
    void addOptionalInt(QFormLayout *form, const QString &key, const QString &label, const QString &tooltip,
                        std::optional<int64_t> train::TrainConfig::*member, int maximum, const QString &unsetText);
    void addDouble(QFormLayout *form, const QString &key, const QString &label, const QString &tooltip,
                   double train::TrainConfig::*member, double minimum, double maximum, double step, int decimals);
    void addScientific(QFormLayout *form, const QString &key, const QString &label, const QString &tooltip,
                       double train::TrainConfig::*member);
    // A row editing `member` with `box` (range and format already set).
    void addSpinBox(QFormLayout *form, const QString &key, const QString &label, const QString &tooltip,
                    double train::TrainConfig::*member, QDoubleSpinBox *box);
    void addBool(QFormLayout *form, const QString &key, const QString &label, const QString &tooltip,
                 bool train::TrainConfig::*member, bool inverted = false);
    void addText(QFormLayout *form, const QString &key, const QString &label, const QString &tooltip,
                 std::string train::TrainConfig::*member, const QString &placeholder, int pathKind = 0);
    void addList(QFormLayout *form, const QString &key, const QString &label, const QString &tooltip,
                 std::vector<std::string> train::TrainConfig::*member, const QString &placeholder);
    template <class E>
    void addEnum(QFormLayout *form, const QString &key, const QString &label, const QString &tooltip,
                 E train::TrainConfig::*member, const QList<std::pair<E, QString>> &items);
    void addPrecision(QFormLayout *form);
    void addQuantization(QFormLayout *form);
    void addTemplate(QFormLayout *form);
    void onFieldChanged();
    // The DPO section is enabled only with stage DPO.
    void updateStageFields();
    // "Offload checkpoints" is usable with gradient checkpointing on.
    void updateCheckpointFields();
    void markInvalid(const QString &key, const QString &message);

    train::TrainConfig m_base;    // the last setConfig()
    QList<Binding> m_bindings;
    QList<QVariant> m_loaded;     // each binding's value() right after setConfig()
    QHash<QString, int> m_index;  // key -> m_bindings index
    bool m_loading = false;       // setConfig() is filling the editors
    QTimer *m_debounce = nullptr;
    QVBoxLayout *m_columns[2] = {};  // the left and right column of sections
    QComboBox *m_modelCombo = nullptr;
    QLabel *m_modelInfo = nullptr;
    QGroupBox *m_preferenceBox = nullptr;
    QLabel *m_errorLabel = nullptr;
    QWidget *m_marked = nullptr;
    QString m_errorKey;
    QString m_errorMessage;
    QString m_warnings;
};

} // namespace vltune
