// Engine headers first: Qt's `signals` / `slots` macros break LibTorch's.
#include "core/text/chat_template.h"
#include "core/train/train_config.h"

#include "ui/train_form.h"

#include <QCheckBox>
#include <QComboBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSettings>
#include <QSpinBox>
#include <QTimer>
#include <QVBoxLayout>

#include <algorithm>
#include <limits>

#include "ui/train_form_fields.h"

namespace vltune {

namespace {

const char *const kRecentModelsKey = "train/recentModels";
constexpr int kRecentModelsMax = 10;

QString fromStd(const std::string &s)
{
    return QString::fromStdString(s);
}

std::string toStd(const QString &s)
{
    return s.trimmed().toStdString();
}

// "a, b ,c" -> {"a", "b", "c"}; empty items dropped.
std::vector<std::string> splitList(const QString &text)
{
    std::vector<std::string> out;
    for (const QString &item : text.split(QLatin1Char(','), Qt::SkipEmptyParts))
        if (!item.trimmed().isEmpty())
            out.push_back(item.trimmed().toStdString());
    return out;
}

QString joinList(const std::vector<std::string> &list)
{
    QStringList items;
    for (const auto &s : list)
        items << fromStd(s);
    return items.join(QStringLiteral(", "));
}

// The editor a key's error frames: the line edit inside a PathEdit, else the widget itself.
QWidget *markTarget(QWidget *w)
{
    if (auto *path = qobject_cast<PathEdit *>(w))
        return path->lineEdit();
    return w;
}

QSpinBox *spinBox(QWidget *parent, int minimum, int maximum)
{
    auto *box = new QSpinBox(parent);
    box->setRange(minimum, maximum);
    box->setAccelerated(true);
    box->setMinimumWidth(110);
    return box;
}

} // namespace

TrainForm::TrainForm(QWidget *parent)
    : QWidget(parent)
    , m_debounce(new QTimer(this))
{
    setObjectName(QStringLiteral("trainForm"));
    m_debounce->setSingleShot(true);
    m_debounce->setInterval(250);
    connect(m_debounce, &QTimer::timeout, this, &TrainForm::validateNow);

    // Two columns that pack their sections independently (a grid would align the rows' heights).
    auto *outer = new QVBoxLayout(this);
    outer->setContentsMargins(0, 0, 0, 0);
    auto *columns = new QHBoxLayout;
    columns->setSpacing(12);
    for (int i = 0; i < 2; ++i) {
        m_columns[i] = new QVBoxLayout;
        m_columns[i]->setSpacing(10);
        columns->addLayout(m_columns[i], 1);
    }
    outer->addLayout(columns);

    // --- Model ----------------------------------------------------------------------------------
    auto *model = static_cast<QFormLayout *>(addSection(tr("Model"), 0, 0)->layout());
    const QString modelTip = tr("The Hugging Face model folder to fine-tune (config.json, *.safetensors, tokenizer); "
                                "pick a recent one from the list or Browse….");
    addRow(model, tr("Model folder"), createModelPicker(), modelTip);
    m_modelCombo->setToolTip(modelTip);
    addTemplate(model);
    addList(model, QStringLiteral("adapter_name_or_path"), tr("Start from adapter"),
            tr("LoRA adapter folders to continue training from, comma separated; usually empty."),
            &train::TrainConfig::adapter_name_or_path, tr("none"));

    // --- Method ---------------------------------------------------------------------------------
    auto *method = static_cast<QFormLayout *>(addSection(tr("Method"), 1, 0)->layout());
    addEnum<train::Stage>(method, QStringLiteral("stage"), tr("Stage"),
                          tr("SFT learns the answers of a conversation dataset; DPO learns to prefer the chosen over "
                             "the rejected answer of a preference (ranking) dataset, usually after SFT."),
                          &train::TrainConfig::stage,
                          {{train::Stage::sft, tr("Supervised fine-tuning (SFT)")},
                           {train::Stage::dpo, tr("Preference tuning (DPO)")}});
    addEnum<train::FinetuningType>(method, QStringLiteral("finetuning_type"), tr("Method"),
                                   tr("LoRA trains small adapters (least memory), freeze trains the last layers, "
                                      "full trains every weight; LoRA is the usual choice."),
                                   &train::TrainConfig::finetuning_type,
                                   {{train::FinetuningType::lora, tr("LoRA")},
                                    {train::FinetuningType::freeze, tr("Freeze (last layers)")},
                                    {train::FinetuningType::full, tr("Full fine-tuning")}});
    addInt(method, QStringLiteral("lora_rank"), tr("LoRA rank"),
           tr("The adapters' inner width r: larger learns more but costs memory; usual 8–64."),
           &train::TrainConfig::lora_rank, 0, 4096);
    addOptionalInt(method, QStringLiteral("lora_alpha"), tr("LoRA alpha"),
                   tr("Scales the adapters' output by alpha / rank; usually 2 × rank (leave at auto)."),
                   &train::TrainConfig::lora_alpha, 100000, tr("auto (2 × rank)"));
    addDouble(method, QStringLiteral("lora_dropout"), tr("LoRA dropout"),
              tr("Dropout on the adapters' input, against overfitting small datasets; usual 0–0.1."),
              &train::TrainConfig::lora_dropout, 0.0, 1.0, 0.05, 3);
    addList(method, QStringLiteral("lora_target"), tr("LoRA targets"),
            tr("Module names that get adapters, comma separated; \"all\" = every linear layer but lm_head "
               "and frozen parts (usual), or e.g. q_proj, v_proj for attention only."),
            &train::TrainConfig::lora_target, QStringLiteral("all"));
    addBool(method, QStringLiteral("use_rslora"), tr("Rank-stabilised LoRA"),
            tr("Scales by alpha / √rank instead of alpha / rank, which helps at high ranks (≥ 64); off by default."),
            &train::TrainConfig::use_rslora);
    addBool(method, QStringLiteral("use_dora"), tr("DoRA"),
            tr("Weight-decomposed LoRA: a trained magnitude per output row beside the adapters; often a little "
               "better, slower and needs more memory; works on a quantised base too; off by default."),
            &train::TrainConfig::use_dora);
    addEnum<train::LoraInitWeights>(method, QStringLiteral("init_lora_weights"), tr("LoRA A init"),
                                    tr("How the adapters' A matrices start (B starts at zero, so training starts from "
                                       "the base model either way): Kaiming-uniform is PEFT's default; Gaussian "
                                       "draws from N(0, 1/rank)."),
                                    &train::TrainConfig::init_lora_weights,
                                    {{train::LoraInitWeights::kaiming, tr("Kaiming-uniform (default)")},
                                     {train::LoraInitWeights::gaussian, tr("Gaussian")}});
    addBool(method, QStringLiteral("freeze_vision_tower"), tr("Freeze vision tower"),
            tr("Keep the image encoder's weights fixed (usual); untick only with a large, visually new dataset."),
            &train::TrainConfig::freeze_vision_tower);

    // --- Data -----------------------------------------------------------------------------------
    auto *data = static_cast<QFormLayout *>(addSection(tr("Data"), 2, 0)->layout());
    addText(data, QStringLiteral("dataset_dir"), tr("Dataset folder"),
            tr("The folder holding dataset_info.json (LLaMA-Factory layout); relative paths are from the working folder."),
            &train::TrainConfig::dataset_dir, QStringLiteral("data"), 1);
    addList(data, QStringLiteral("dataset"), tr("Datasets"),
            tr("Dataset names from dataset_info.json, comma separated; they are concatenated."),
            &train::TrainConfig::dataset, tr("e.g. pokemon_cap"));
    addText(data, QStringLiteral("media_dir"), tr("Images folder"),
            tr("Where relative image paths are looked up; empty = the dataset folder."),
            &train::TrainConfig::media_dir, tr("same as dataset folder"), 1);
    addInt(data, QStringLiteral("cutoff_len"), tr("Cutoff length"),
           tr("Longest sample in tokens, image tokens included; longer ones are truncated; usual 2048–4096 for VLMs."),
           &train::TrainConfig::cutoff_len, 0, 1 << 20, 256);
    addOptionalInt(data, QStringLiteral("max_samples"), tr("Max samples"),
                   tr("Use at most this many samples of each dataset, for quick trials; usually all."),
                   &train::TrainConfig::max_samples, std::numeric_limits<int>::max(), tr("all"));
    addSpinBox(data, QStringLiteral("val_size"), tr("Validation split"),
               tr("Held out to measure overfitting: a fraction below 1 (usual 0.05–0.1) or a sample count; 0 = none."),
               &train::TrainConfig::val_size, new ValidationSizeSpinBox(this));
    addOptionalInt(data, QStringLiteral("preprocessing_num_workers"), tr("Loader workers"),
                   tr("Threads decoding and resizing images ahead of training; raise it when the Monitor says "
                      "training waited for batches (large photos, a fast GPU)."),
                   &train::TrainConfig::preprocessing_num_workers, 64, tr("auto (2)"));
    addBool(data, QStringLiteral("neat_packing"), tr("Pack samples"),
            tr("Put several short samples in each row of cutoff length, each seeing only itself: the same loss with "
               "far less padding, so faster when sample lengths vary (LLaMA-Factory's neat_packing)."),
            &train::TrainConfig::neat_packing);

    // --- Preference (DPO) -----------------------------------------------------------------------
    m_preferenceBox = addSection(tr("Preference (DPO)"), 3, 0);
    m_preferenceBox->setObjectName(QStringLiteral("trainPreferenceSection"));
    auto *preference = static_cast<QFormLayout *>(m_preferenceBox->layout());
    addDouble(preference, QStringLiteral("pref_beta"), tr("Beta"),
              tr("How far the adapted model may move from the base model (the reference): smaller lets it move "
                 "further; usual 0.1."),
              &train::TrainConfig::pref_beta, 0.001, 100.0, 0.05, 3);
    addEnum<train::PrefLoss>(preference, QStringLiteral("pref_loss"), tr("Loss"),
                             tr("Sigmoid is DPO's own loss (the usual choice); IPO is a squared loss on per-token "
                                "log-probabilities that overfits less on small datasets."),
                             &train::TrainConfig::pref_loss,
                             {{train::PrefLoss::sigmoid, tr("sigmoid (DPO)")}, {train::PrefLoss::ipo, tr("IPO")}});
    addDouble(preference, QStringLiteral("pref_ftx"), tr("SFT weight"),
              tr("Adds this times the chosen answers' supervised loss, to keep the model fluent; usual 0 (off)."),
              &train::TrainConfig::pref_ftx, 0.0, 100.0, 0.1, 3);
    addDouble(preference, QStringLiteral("dpo_label_smoothing"), tr("Label smoothing"),
              tr("The share of pairs assumed to be ranked the wrong way round (conservative DPO, sigmoid only); "
                 "usual 0."),
              &train::TrainConfig::dpo_label_smoothing, 0.0, 0.5, 0.05, 3);
    connect(static_cast<QComboBox *>(fieldWidget(QStringLiteral("stage"))), &QComboBox::currentIndexChanged, this,
            &TrainForm::updateStageFields);
    connect(static_cast<QCheckBox *>(fieldWidget(QStringLiteral("neat_packing"))), &QCheckBox::toggled, this,
            &TrainForm::updateStageFields);

    // --- Training -------------------------------------------------------------------------------
    auto *training = static_cast<QFormLayout *>(addSection(tr("Training"), 0, 1)->layout());
    addScientific(training, QStringLiteral("learning_rate"), tr("Learning rate"),
                  tr("Peak step size: LoRA usually 1e-4–3e-4 (2e-4 is a good start), full fine-tuning 1e-5–5e-5."),
                  &train::TrainConfig::learning_rate);
    addDouble(training, QStringLiteral("num_train_epochs"), tr("Epochs"),
              tr("Passes over the data; usual 3–5 for under 10k samples, more tends to overfit."),
              &train::TrainConfig::num_train_epochs, 0.0, 1e6, 1.0, 2);
    addInt(training, QStringLiteral("max_steps"), tr("Max steps"),
           tr("Total optimizer steps; when set it overrides the epochs; usually by epochs."),
           &train::TrainConfig::max_steps, -1, std::numeric_limits<int>::max());
    static_cast<QSpinBox *>(fieldWidget(QStringLiteral("max_steps")))->setSpecialValueText(tr("by epochs"));
    addEnum<train::LrScheduler>(training, QStringLiteral("lr_scheduler_type"), tr("LR schedule"),
                                tr("How the learning rate falls after warm-up; cosine is the usual choice."),
                                &train::TrainConfig::lr_scheduler_type,
                                {{train::LrScheduler::cosine, tr("cosine")},
                                 {train::LrScheduler::linear, tr("linear")},
                                 {train::LrScheduler::constant, tr("constant")},
                                 {train::LrScheduler::constant_with_warmup, tr("constant with warm-up")}});
    addDouble(training, QStringLiteral("warmup_ratio"), tr("Warm-up ratio"),
              tr("Fraction of all steps spent ramping the learning rate up from 0; usual 0.03–0.1."),
              &train::TrainConfig::warmup_ratio, 0.0, 1.0, 0.01, 3);
    addDouble(training, QStringLiteral("weight_decay"), tr("Weight decay"),
              tr("AdamW's pull of the weights towards zero; usual 0–0.1."),
              &train::TrainConfig::weight_decay, 0.0, 10.0, 0.01, 4);
    addDouble(training, QStringLiteral("max_grad_norm"), tr("Gradient clipping"),
              tr("Gradients are scaled down to at most this norm, against loss spikes; usual 1.0 (0 = off)."),
              &train::TrainConfig::max_grad_norm, 0.0, 1e6, 0.1, 3);
    addInt(training, QStringLiteral("seed"), tr("Seed"),
           tr("Seeds initialisation, dropout, the validation split and shuffling; change it to see run-to-run noise."),
           &train::TrainConfig::seed, 0, std::numeric_limits<int>::max());

    // --- Precision & memory ---------------------------------------------------------------------
    auto *memory = static_cast<QFormLayout *>(addSection(tr("Precision && memory"), 1, 1)->layout());
    addPrecision(memory);
    addQuantization(memory);
    addInt(memory, QStringLiteral("per_device_train_batch_size"), tr("Batch size"),
           tr("Samples per forward pass; memory grows with it; usual 1–2 on 16 GB, 2–4 on 24 GB."),
           &train::TrainConfig::per_device_train_batch_size, 0, 4096);
    addInt(memory, QStringLiteral("gradient_accumulation_steps"), tr("Gradient accumulation"),
           tr("Batches summed before each optimizer step: effective batch = batch size × this; usual effective 16–32."),
           &train::TrainConfig::gradient_accumulation_steps, 0, 4096);
    addBool(memory, QStringLiteral("disable_gradient_checkpointing"), tr("Gradient checkpointing"),
            tr("Recompute each layer's activations during backward: much less memory for ~30% more time; usually on."),
            &train::TrainConfig::disable_gradient_checkpointing, true);
    addBool(memory, QStringLiteral("use_unsloth_gc"), tr("Offload checkpoints"),
            tr("With gradient checkpointing: each layer's saved input waits in system RAM instead of on the GPU "
               "(use_unsloth_gc). Frees layers × tokens × hidden size × 2 bytes of VRAM (0.4 GB for a 7B model "
               "at 2k tokens) for a copy there and back each step; for long samples on a small card."),
            &train::TrainConfig::use_unsloth_gc);
    connect(static_cast<QCheckBox *>(fieldWidget(QStringLiteral("disable_gradient_checkpointing"))), &QCheckBox::toggled,
            this, &TrainForm::updateCheckpointFields);
    connect(static_cast<QCheckBox *>(fieldWidget(QStringLiteral("use_unsloth_gc"))), &QCheckBox::toggled, this,
            &TrainForm::updateCheckpointFields);
    addInt(memory, QStringLiteral("image_max_pixels"), tr("Max image pixels"),
           tr("Larger images are scaled down to this area (width × height) first; image tokens grow with it; "
              "usual 262144 (512²) to 1003520."),
           &train::TrainConfig::image_max_pixels, 0, std::numeric_limits<int>::max(), 65536);
    addInt(memory, QStringLiteral("image_min_pixels"), tr("Min image pixels"),
           tr("Smaller images are scaled up to this area first; usual 1024 (32²)."),
           &train::TrainConfig::image_min_pixels, 0, std::numeric_limits<int>::max(), 1024);

    // --- Output ---------------------------------------------------------------------------------
    auto *output = static_cast<QFormLayout *>(addSection(tr("Output"), 2, 1)->layout());
    addText(output, QStringLiteral("output_dir"), tr("Output folder"),
            tr("Where the adapter, checkpoints, logs and the loss plot are written, e.g. saves/qwen2vl-lora."),
            &train::TrainConfig::output_dir, tr("e.g. saves/my-run"), 1);
    addInt(output, QStringLiteral("logging_steps"), tr("Log every"),
           tr("Optimizer steps between loss log lines; usual 5–10."),
           &train::TrainConfig::logging_steps, 0, std::numeric_limits<int>::max());
    addInt(output, QStringLiteral("save_steps"), tr("Checkpoint every"),
           tr("Optimizer steps between checkpoints; usual 100–500."),
           &train::TrainConfig::save_steps, 0, std::numeric_limits<int>::max(), 50);
    addOptionalInt(output, QStringLiteral("save_total_limit"), tr("Keep checkpoints"),
                   tr("Keep at most this many checkpoints, the oldest removed; usual 2–5."),
                   &train::TrainConfig::save_total_limit, 100000, tr("all"));
    addEnum<train::IntervalStrategy>(output, QStringLiteral("eval_strategy"), tr("Evaluate"),
                                     tr("When to compute the validation loss (needs a validation split); "
                                        "usually every N steps."),
                                     &train::TrainConfig::eval_strategy,
                                     {{train::IntervalStrategy::no, tr("never")},
                                      {train::IntervalStrategy::steps, tr("every N steps")},
                                      {train::IntervalStrategy::epoch, tr("every epoch")}});
    addOptionalInt(output, QStringLiteral("eval_steps"), tr("Evaluate every"),
                   tr("Steps between evaluations; usually the same as the checkpoint interval."),
                   &train::TrainConfig::eval_steps, std::numeric_limits<int>::max(), tr("as logging"));
    addText(output, QStringLiteral("resume_from_checkpoint"), tr("Resume from"),
            tr("A checkpoint-N folder to continue from, or \"true\" for the latest in the output folder; "
               "empty = start fresh (or resume if the output folder has checkpoints)."),
            &train::TrainConfig::resume_from_checkpoint, tr("start fresh"), 1);
    addBool(output, QStringLiteral("plot_loss"), tr("Plot loss"),
            tr("Write training_loss.png to the output folder at the end."),
            &train::TrainConfig::plot_loss);

    m_errorLabel = new QLabel(this);
    m_errorLabel->setObjectName(QStringLiteral("trainFormError"));
    m_errorLabel->setWordWrap(true);
    m_errorLabel->setStyleSheet(QStringLiteral("color: #c0392b; font-weight: 600;"));
    m_errorLabel->hide();
    for (QVBoxLayout *column : m_columns)
        column->addStretch(1);
    outer->addWidget(m_errorLabel);
    outer->addStretch(1);

    setConfig(train::TrainConfig{});
    updateStageFields();
    updateCheckpointFields();
}

void TrainForm::updateStageFields()
{
    const auto *stage = static_cast<QComboBox *>(fieldWidget(QStringLiteral("stage")));
    const bool dpo = static_cast<train::Stage>(stage->currentData().toInt()) == train::Stage::dpo;
    m_preferenceBox->setEnabled(dpo);
    m_preferenceBox->setToolTip(dpo ? QString() : tr("Choose Stage: Preference tuning (DPO) to use these."));
    // Preference pairs are not packed (LLaMA-Factory packs supervised samples only). A packed DPO
    // config, as loaded, keeps the box usable so it can be unticked; the checks name the key.
    auto *packing = static_cast<QCheckBox *>(fieldWidget(QStringLiteral("neat_packing")));
    packing->setEnabled(!dpo || packing->isChecked());
}

void TrainForm::updateCheckpointFields()
{
    // Offloading moves what checkpointing keeps: without checkpointing it does nothing. Ticked as
    // loaded, the box stays usable so it can be unticked (the checks warn about it).
    const auto *checkpointing = static_cast<QCheckBox *>(fieldWidget(QStringLiteral("disable_gradient_checkpointing")));
    auto *offload = static_cast<QCheckBox *>(fieldWidget(QStringLiteral("use_unsloth_gc")));
    offload->setEnabled(checkpointing->isChecked() || offload->isChecked());
}

QGroupBox *TrainForm::addSection(const QString &title, int row, int column)
{
    auto *box = new QGroupBox(title, this);
    auto *form = new QFormLayout(box);
    form->setFieldGrowthPolicy(QFormLayout::ExpandingFieldsGrow);  // paths and lists grow, numbers keep their size
    form->setLabelAlignment(Qt::AlignRight | Qt::AlignVCenter);
    Q_UNUSED(row);  // sections are added top to bottom
    m_columns[column]->addWidget(box);
    return box;
}

void TrainForm::addRow(QFormLayout *form, const QString &label, QWidget *field, const QString &tooltip)
{
    auto *labelWidget = new QLabel(label, form->parentWidget());
    labelWidget->setToolTip(tooltip);
    field->setToolTip(tooltip);
    labelWidget->setBuddy(field);
    form->addRow(labelWidget, field);
}

void TrainForm::bind(Binding binding)
{
    m_index.insert(binding.key, static_cast<int>(m_bindings.size()));
    binding.editor->setObjectName(binding.key);
    m_bindings.append(std::move(binding));
}

QWidget *TrainForm::createModelPicker()
{
    auto *box = new QWidget(this);
    auto *layout = new QVBoxLayout(box);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(2);
    auto *row = new QHBoxLayout;
    m_modelCombo = new QComboBox(box);
    m_modelCombo->setEditable(true);
    m_modelCombo->setInsertPolicy(QComboBox::NoInsert);
    m_modelCombo->addItems(recentModels());
    m_modelCombo->lineEdit()->setPlaceholderText(tr("Model folder (config.json, *.safetensors)"));
    m_modelCombo->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    m_modelCombo->setMinimumContentsLength(20);
    auto *browse = new QPushButton(tr("Browse…"), box);
    browse->setObjectName(QStringLiteral("trainModelBrowse"));
    connect(browse, &QPushButton::clicked, this, [this] {
        const QString folder = QFileDialog::getExistingDirectory(this, tr("Choose a model folder"), m_modelCombo->currentText());
        if (folder.isEmpty())
            return;
        addRecentModel(folder);
        if (m_modelCombo->findText(folder) < 0)
            m_modelCombo->insertItem(0, folder);
        m_modelCombo->setEditText(folder);
    });
    row->addWidget(m_modelCombo, 1);
    row->addWidget(browse);
    layout->addLayout(row);
    m_modelInfo = new QLabel(tr("No model chosen"), box);
    m_modelInfo->setObjectName(QStringLiteral("trainModelInfo"));
    m_modelInfo->setWordWrap(true);
    layout->addWidget(m_modelInfo);

    Binding b;
    b.key = QStringLiteral("model_name_or_path");
    b.editor = m_modelCombo;
    b.load = [this](const train::TrainConfig &c) { m_modelCombo->setEditText(fromStd(c.model_name_or_path)); };
    b.store = [this](train::TrainConfig &c) { c.model_name_or_path = toStd(m_modelCombo->currentText()); };
    b.value = [this] { return QVariant(m_modelCombo->currentText()); };
    connect(m_modelCombo, &QComboBox::editTextChanged, this, &TrainForm::onFieldChanged);
    bind(std::move(b));
    return box;
}

void TrainForm::addInt(QFormLayout *form, const QString &key, const QString &label, const QString &tooltip,
                       int64_t train::TrainConfig::*member, int minimum, int maximum, int step)
{
    auto *box = spinBox(this, minimum, maximum);
    box->setSingleStep(step);
    addRow(form, label, box, tooltip);
    connect(box, &QSpinBox::valueChanged, this, &TrainForm::onFieldChanged);
    bind({key, box,
          [box, member](const train::TrainConfig &c) {
              box->setValue(static_cast<int>(std::clamp<int64_t>(c.*member, box->minimum(), box->maximum())));
          },
          [box, member](train::TrainConfig &c) { c.*member = box->value(); },
          [box] { return QVariant(box->value()); }});
}

void TrainForm::addOptionalInt(QFormLayout *form, const QString &key, const QString &label, const QString &tooltip,
                               std::optional<int64_t> train::TrainConfig::*member, int maximum, const QString &unsetText)
{
    // 0 shows `unsetText` and means "not set".
    auto *box = spinBox(this, 0, maximum);
    box->setSpecialValueText(unsetText);
    box->setMinimumWidth(std::max(box->minimumWidth(), box->fontMetrics().horizontalAdvance(unsetText) + 50));
    addRow(form, label, box, tooltip);
    connect(box, &QSpinBox::valueChanged, this, &TrainForm::onFieldChanged);
    bind({key, box,
          [box, member](const train::TrainConfig &c) {
              box->setValue(static_cast<int>(std::clamp<int64_t>((c.*member).value_or(0), 0, box->maximum())));
          },
          [box, member](train::TrainConfig &c) {
              if (box->value() == 0)
                  c.*member = std::nullopt;
              else
                  c.*member = box->value();
          },
          [box] { return QVariant(box->value()); }});
}

void TrainForm::addDouble(QFormLayout *form, const QString &key, const QString &label, const QString &tooltip,
                          double train::TrainConfig::*member, double minimum, double maximum, double step, int decimals)
{
    auto *box = new QDoubleSpinBox(this);
    box->setRange(minimum, maximum);
    box->setDecimals(decimals);
    box->setSingleStep(step);
    addSpinBox(form, key, label, tooltip, member, box);
}

void TrainForm::addScientific(QFormLayout *form, const QString &key, const QString &label, const QString &tooltip,
                              double train::TrainConfig::*member)
{
    addSpinBox(form, key, label, tooltip, member, new ScientificSpinBox(this));
}

void TrainForm::addSpinBox(QFormLayout *form, const QString &key, const QString &label, const QString &tooltip,
                           double train::TrainConfig::*member, QDoubleSpinBox *box)
{
    box->setMinimumWidth(110);
    addRow(form, label, box, tooltip);
    connect(box, &QDoubleSpinBox::valueChanged, this, &TrainForm::onFieldChanged);
    bind({key, box, [box, member](const train::TrainConfig &c) { box->setValue(c.*member); },
          [box, member](train::TrainConfig &c) { c.*member = box->value(); },
          [box] { return QVariant(box->value()); }});
}

void TrainForm::addBool(QFormLayout *form, const QString &key, const QString &label, const QString &tooltip,
                        bool train::TrainConfig::*member, bool inverted)
{
    auto *box = new QCheckBox(this);
    addRow(form, label, box, tooltip);
    connect(box, &QCheckBox::toggled, this, &TrainForm::onFieldChanged);
    bind({key, box, [box, member, inverted](const train::TrainConfig &c) { box->setChecked((c.*member) != inverted); },
          [box, member, inverted](train::TrainConfig &c) { c.*member = box->isChecked() != inverted; },
          [box] { return QVariant(box->isChecked()); }});
}

void TrainForm::addText(QFormLayout *form, const QString &key, const QString &label, const QString &tooltip,
                        std::string train::TrainConfig::*member, const QString &placeholder, int pathKind)
{
    // pathKind: 0 = plain text, 1 = a folder with Browse….
    QWidget *field = nullptr;
    std::function<QString()> get;
    std::function<void(const QString &)> set;
    if (pathKind == 1) {
        auto *path = new PathEdit(true, QString(), this);
        path->setPlaceholderText(placeholder);
        connect(path, &PathEdit::textChanged, this, &TrainForm::onFieldChanged);
        get = [path] { return path->text(); };
        set = [path](const QString &t) { path->setText(t); };
        field = path;
    } else {
        auto *edit = new QLineEdit(this);
        edit->setPlaceholderText(placeholder);
        connect(edit, &QLineEdit::textChanged, this, &TrainForm::onFieldChanged);
        get = [edit] { return edit->text(); };
        set = [edit](const QString &t) { edit->setText(t); };
        field = edit;
    }
    addRow(form, label, field, tooltip);
    bind({key, field, [set, member](const train::TrainConfig &c) { set(fromStd(c.*member)); },
          [get, member](train::TrainConfig &c) { c.*member = toStd(get()); }, [get] { return QVariant(get()); }});
}

void TrainForm::addList(QFormLayout *form, const QString &key, const QString &label, const QString &tooltip,
                        std::vector<std::string> train::TrainConfig::*member, const QString &placeholder)
{
    auto *edit = new QLineEdit(this);
    edit->setPlaceholderText(placeholder);
    addRow(form, label, edit, tooltip);
    connect(edit, &QLineEdit::textChanged, this, &TrainForm::onFieldChanged);
    bind({key, edit, [edit, member](const train::TrainConfig &c) { edit->setText(joinList(c.*member)); },
          [edit, member](train::TrainConfig &c) { c.*member = splitList(edit->text()); },
          [edit] { return QVariant(edit->text()); }});
}

template <class E>
void TrainForm::addEnum(QFormLayout *form, const QString &key, const QString &label, const QString &tooltip,
                        E train::TrainConfig::*member, const QList<std::pair<E, QString>> &items)
{
    auto *combo = new QComboBox(this);
    for (const auto &[value, text] : items)
        combo->addItem(text, static_cast<int>(value));
    addRow(form, label, combo, tooltip);
    connect(combo, &QComboBox::currentIndexChanged, this, &TrainForm::onFieldChanged);
    bind({key, combo,
          [combo, member](const train::TrainConfig &c) {
              combo->setCurrentIndex(combo->findData(static_cast<int>(c.*member)));
          },
          [combo, member](train::TrainConfig &c) { c.*member = static_cast<E>(combo->currentData().toInt()); },
          [combo] { return QVariant(combo->currentIndex()); }});
}

void TrainForm::addPrecision(QFormLayout *form)
{
    // One choice for bf16 / fp16 / pure_bf16, which the YAML keeps as three switches.
    enum Precision { Fp32, Bf16, Fp16, PureBf16 };
    auto *combo = new QComboBox(this);
    combo->addItem(tr("bf16 mixed (Ampere and newer)"), Bf16);
    combo->addItem(tr("fp16 mixed (older GPUs)"), Fp16);
    combo->addItem(tr("fp32 (no mixed precision)"), Fp32);
    combo->addItem(tr("pure bf16 (no fp32 master weights)"), PureBf16);
    addRow(form, tr("Precision"), combo,
           tr("Number format of the forward and backward passes: bf16 is stable and halves memory on Ampere "
              "and newer GPUs, fp16 for older ones, fp32 on CPU."));
    connect(combo, &QComboBox::currentIndexChanged, this, &TrainForm::onFieldChanged);
    bind({QStringLiteral("bf16"), combo,
          [combo](const train::TrainConfig &c) {
              const int p = c.pure_bf16 ? PureBf16 : c.bf16 ? Bf16 : c.fp16 ? Fp16 : Fp32;
              combo->setCurrentIndex(combo->findData(p));
          },
          [combo](train::TrainConfig &c) {
              const int p = combo->currentData().toInt();
              c.bf16 = p == Bf16;
              c.fp16 = p == Fp16;
              c.pure_bf16 = p == PureBf16;
          },
          [combo] { return QVariant(combo->currentIndex()); }});
    m_index.insert(QStringLiteral("fp16"), m_index.value(QStringLiteral("bf16")));
    m_index.insert(QStringLiteral("pure_bf16"), m_index.value(QStringLiteral("bf16")));
}

void TrainForm::addQuantization(QFormLayout *form)
{
    // quantization_bit (absent, 4 or 8) with quantization_type nf4 as one choice: QLoRA.
    auto *combo = new QComboBox(this);
    combo->addItem(tr("off (full-precision base)"), 0);
    combo->addItem(tr("4-bit NF4 (QLoRA)"), 4);
    combo->addItem(tr("8-bit (LLM.int8 rows)"), 8);
    addRow(form, tr("Quantise base"), combo,
           tr("Store the frozen language-model weights in 4 or 8 bits (QLoRA): about ¼ or ½ of the bf16 weight memory, "
              "slightly slower; the adapters still train in float32. Usual: off, or 4-bit on 8–12 GB cards."));
    connect(combo, &QComboBox::currentIndexChanged, this, &TrainForm::onFieldChanged);
    bind({QStringLiteral("quantization_bit"), combo,
          [combo](const train::TrainConfig &c) {
              const int bits = int(c.quantization_bit.value_or(0));
              combo->setCurrentIndex(qMax(0, combo->findData(bits)));
          },
          [combo](train::TrainConfig &c) {
              const int bits = combo->currentData().toInt();
              if (bits == 0) {
                  c.quantization_bit.reset();
              } else {
                  c.quantization_bit = bits;
                  if (bits == 4)
                      c.quantization_type = "nf4";
              }
          },
          [combo] { return QVariant(combo->currentIndex()); }});
}

void TrainForm::addTemplate(QFormLayout *form)
{
    auto *combo = new QComboBox(this);
    combo->setEditable(true);
    combo->setInsertPolicy(QComboBox::NoInsert);
    combo->addItem(QString());
    for (const std::string &name : text::template_names())
        combo->addItem(fromStd(name));
    combo->lineEdit()->setPlaceholderText(tr("the model's default"));
    combo->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    combo->setMinimumContentsLength(18);
    addRow(form, tr("Chat template"), combo,
           tr("How conversations are laid out as text; must match the model (qwen2_vl for Qwen2/2.5-VL); "
              "empty = the model's default."));
    connect(combo, &QComboBox::editTextChanged, this, &TrainForm::onFieldChanged);
    bind({QStringLiteral("template"), combo,
          [combo](const train::TrainConfig &c) { combo->setEditText(fromStd(c.template_name)); },
          [combo](train::TrainConfig &c) { c.template_name = toStd(combo->currentText()); },
          [combo] { return QVariant(combo->currentText()); }});
}

void TrainForm::setConfig(const train::TrainConfig &config)
{
    m_loading = true;
    m_base = config;
    for (const Binding &b : m_bindings)
        b.load(config);
    m_loaded.clear();
    for (const Binding &b : m_bindings)
        m_loaded.append(b.value());
    m_loading = false;
    validateNow();
    emit changed();
}

train::TrainConfig TrainForm::config() const
{
    train::TrainConfig c = m_base;
    for (int i = 0; i < m_bindings.size(); ++i)
        if (m_bindings[i].value() != m_loaded[i])
            m_bindings[i].store(c);
    return c;
}

QWidget *TrainForm::fieldWidget(const QString &key) const
{
    const auto it = m_index.constFind(key);
    return it == m_index.constEnd() ? nullptr : m_bindings[*it].editor;
}

QStringList TrainForm::keys() const
{
    QStringList out;
    for (const Binding &b : m_bindings)
        out << b.key;
    return out;
}

void TrainForm::onFieldChanged()
{
    if (m_loading)
        return;
    emit changed();
    m_debounce->start();
}

bool TrainForm::validateNow()
{
    m_debounce->stop();
    const train::TrainConfig c = config();
    QString key;
    QString message;
    train::ConfigReport report;
    std::string failing;  // `where` is called with the failing key just before the engine throws
    try {
        train::validate_train_config(c, &report, [&failing](std::string_view k) {
            failing = std::string(k);
            return std::string();
        });
        // What Start needs beyond a consistent config.
        if (c.model_name_or_path.empty()) {
            key = QStringLiteral("model_name_or_path");
            message = tr("Choose a model folder.");
        } else if (c.dataset.empty()) {
            key = QStringLiteral("dataset");
            message = tr("Name at least one dataset from dataset_info.json.");
        } else if (c.output_dir.empty()) {
            key = QStringLiteral("output_dir");
            message = tr("Choose an output folder.");
        }
    } catch (const std::exception &e) {
        message = QString::fromUtf8(e.what());
        key = failing.empty() ? message.section(QLatin1Char(' '), 0, 0) : fromStd(failing);
    }
    QStringList warnings;
    for (const std::string &w : report.warnings)
        warnings << fromStd(w);
    m_warnings = warnings.join(QLatin1Char('\n'));
    markInvalid(key, message);
    emit validityChanged(key.isEmpty(), message);
    return key.isEmpty();
}

void TrainForm::markInvalid(const QString &key, const QString &message)
{
    if (m_marked) {
        m_marked->setStyleSheet(QString());
        m_marked->setProperty("invalid", false);
        m_marked = nullptr;
    }
    m_errorKey = key;
    m_errorMessage = message;
    m_errorLabel->setVisible(!message.isEmpty());
    m_errorLabel->setText(message.isEmpty() ? QString() : QStringLiteral("⚠ ") + message);
    if (QWidget *w = fieldWidget(key)) {
        m_marked = markTarget(w);
        m_marked->setProperty("invalid", true);
        m_marked->setStyleSheet(QStringLiteral("border: 2px solid #d9534f; border-radius: 3px;"));
    }
}

QList<int> TrainForm::presetGigabytes()
{
    return {8, 12, 16, 24};
}

// Presets for a ~2B VLM (Qwen2-VL-2B, SmolVLM) trained with LoRA, each keeping the effective batch
// (batch × accumulation) at 16, the usual LoRA recipe. bf16 halves weights and activations against
// fp32 and is what LLaMA-Factory's examples use. Checkpointing stays on everywhere: it trades ~30%
// time for storing one tensor per layer instead of a dozen. What grows with memory is the micro-batch
// and the image budget, because image tokens dominate VLM activations: 8 GB keeps images near 384²
// (≈190 Qwen tokens), 12 GB 512² (≈330), 16 GB 640² with batch 2, 24 GB LLaMA-Factory's default
// 768² (≈750 tokens) with batch 4.
void TrainForm::applyPreset(train::TrainConfig &c, int gigabytes)
{
    struct Preset
    {
        int gigabytes;
        int64_t batch;
        int64_t accumulation;
        int64_t maxPixels;
    };
    static const Preset presets[] = {
        {8, 1, 16, 384 * 384},
        {12, 1, 16, 512 * 512},
        {16, 2, 8, 640 * 640},
        {24, 4, 4, 768 * 768},
    };
    for (const Preset &p : presets) {
        if (p.gigabytes != gigabytes)
            continue;
        c.per_device_train_batch_size = p.batch;
        c.gradient_accumulation_steps = p.accumulation;
        c.disable_gradient_checkpointing = false;
        c.bf16 = true;
        c.fp16 = false;
        c.pure_bf16 = false;
        c.image_max_pixels = p.maxPixels;
        c.image_min_pixels = std::min(c.image_min_pixels, p.maxPixels);
    }
}

void TrainForm::applyPresetToFields(int gigabytes)
{
    train::TrainConfig c = config();
    applyPreset(c, gigabytes);
    for (const QString &key : {QStringLiteral("per_device_train_batch_size"), QStringLiteral("gradient_accumulation_steps"),
                               QStringLiteral("disable_gradient_checkpointing"), QStringLiteral("bf16"),
                               QStringLiteral("image_max_pixels"), QStringLiteral("image_min_pixels")})
        m_bindings[m_index.value(key)].load(c);
}

void TrainForm::setModelInfo(const QString &text, bool error)
{
    m_modelInfo->setText(text);
    m_modelInfo->setStyleSheet(error ? QStringLiteral("color: #c0392b;") : QStringLiteral("color: palette(mid);"));
}

QStringList TrainForm::recentModels()
{
    return QSettings().value(QLatin1String(kRecentModelsKey)).toStringList();
}

void TrainForm::addRecentModel(const QString &folder)
{
    if (folder.trimmed().isEmpty() || !QFileInfo(folder).isDir())  // Hub ids and typos stay out of the list
        return;
    QStringList list = recentModels();
    list.removeAll(folder);
    list.prepend(folder);
    while (list.size() > kRecentModelsMax)
        list.removeLast();
    QSettings().setValue(QLatin1String(kRecentModelsKey), list);
}

} // namespace vltune
