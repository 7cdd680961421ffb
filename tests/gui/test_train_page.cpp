// The Train page: form <-> TrainConfig, YAML load/save round trip, invalid values marked, presets,
// the estimate against the engine's own counts (fixture models), Start carrying the YAML, run states.

// Engine headers first (Qt's macros break LibTorch's).
#include "app/train_estimate.h"
#include "app/translations.h"
#include "core/io/dtype.h"
#include "core/io/image_header.h"
#include "core/io/json_file.h"
#include "core/io/safetensors.h"
#include "core/text/image_placeholders.h"
#include "core/train/train_config.h"
#include "tests/test_support.h"
#include "tests/tiny_png.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QGroupBox>
#include <QLabel>
#include <QPushButton>
#include <QSignalSpy>
#include <QSpinBox>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QtTest>

#include <fstream>

#include "ui/train_form.h"
#include "ui/train_page.h"
#include "ui/train_page_preview.h"

namespace fs = std::filesystem;
using namespace vltune;

namespace {

std::string readAll(const fs::path &p)
{
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

fs::path qwenModel()
{
    return test::hf_fixtures_root() / "qwen2_vl" / "model";
}

// A config Start accepts (model, dataset and output set).
train::TrainConfig validConfig()
{
    train::TrainConfig c;
    c.model_name_or_path = "/models/some-vlm";
    c.dataset = {"mini"};
    c.output_dir = "saves/run";
    return c;
}

// A LLaMA-Factory dataset folder "mini" with the given images, one row each.
void writeDataset(const fs::path &root, const std::vector<std::string> &images)
{
    test::write_text(root / "dataset_info.json",
                     R"({"mini": {"file_name": "mini.json", "formatting": "sharegpt",
                         "columns": {"messages": "conversations", "images": "images"}}})");
    std::string rows = "[";
    for (size_t i = 0; i < images.size(); ++i) {
        if (i)
            rows += ",";
        rows += R"({"conversations": [{"from": "human", "value": "<image>Describe this picture in detail."},
                   {"from": "gpt", "value": "A smooth gradient from one colour to another."}], "images": [")" +
                images[i] + "\"]}";
    }
    test::write_text(root / "mini.json", rows + "]");
}

} // namespace

class TestTrainPage : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void formRoundTrip();
    void validationSizeSaysFractionOrCount();
    void stageChoiceAndPreferenceFields();
    void yamlLoadSaveRoundTrip();
    void loadErrorNamesTheKey();
    void invalidValuesBlockStart();
    void presetsChangeFields();
    void estimateMatchesEngine();
    void startCarriesTheYaml();
    void runStatesSwitchButtons();
    void screenshot();
};

void TestTrainPage::initTestCase()
{
    QStandardPaths::setTestModeEnabled(true);  // QSettings (recent models) away from the user's
    QCoreApplication::setOrganizationName(QStringLiteral("vltune-tests"));
    QCoreApplication::setApplicationName(QStringLiteral("test_train_page"));
}

void TestTrainPage::formRoundTrip()
{
    train::TrainConfig c = validConfig();
    c.lora_rank = 64;
    c.lora_alpha = 128;
    c.lora_dropout = 0.1;
    c.lora_target = {"q_proj", "v_proj"};
    c.learning_rate = 2e-4;
    c.lr_scheduler_type = train::LrScheduler::cosine;
    c.bf16 = true;
    c.val_size = 0.1;
    c.template_name = "qwen2_vl";
    c.max_samples = 1000;
    c.eval_strategy = train::IntervalStrategy::steps;
    c.eval_steps = 50;
    c.resume_from_checkpoint = "true";
    // Keys the form does not show survive.
    c.adam_beta2 = 0.98;
    c.warmup_steps = 7;
    c.optim = train::Optimizer::adamw_torch_fused;
    c.eval_dataset = {"held_out"};
    c.per_device_eval_batch_size = 3;
    c.temperature = 0.3;

    TrainForm form;
    form.setConfig(c);
    QVERIFY(form.config() == c);

    // An edit changes exactly its field.
    auto *rank = qobject_cast<QSpinBox *>(form.fieldWidget(QStringLiteral("lora_rank")));
    QVERIFY(rank);
    QCOMPARE(rank->value(), 64);
    rank->setValue(32);
    train::TrainConfig expected = c;
    expected.lora_rank = 32;
    QVERIFY(form.config() == expected);

    auto *checkpointing = qobject_cast<QCheckBox *>(form.fieldWidget(QStringLiteral("disable_gradient_checkpointing")));
    QVERIFY(checkpointing);
    QVERIFY(checkpointing->isChecked());  // shown as "gradient checkpointing": on unless disabled
    // "Offload checkpoints" (use_unsloth_gc) is usable while checkpointing is on.
    auto *offload = qobject_cast<QCheckBox *>(form.fieldWidget(QStringLiteral("use_unsloth_gc")));
    QVERIFY(offload);
    QVERIFY(!offload->isChecked() && offload->isEnabled());
    offload->setChecked(true);
    expected.use_unsloth_gc = true;
    QVERIFY(form.config() == expected);
    offload->setChecked(false);
    expected.use_unsloth_gc = false;
    checkpointing->setChecked(false);
    expected.disable_gradient_checkpointing = true;
    QVERIFY(form.config() == expected);
    QVERIFY(!offload->isEnabled());
    // Loaded ticked without checkpointing (the checks warn), it stays usable so it can be unticked.
    train::TrainConfig stray = expected;
    stray.use_unsloth_gc = true;
    form.setConfig(stray);
    QVERIFY(offload->isChecked() && offload->isEnabled());
    offload->setChecked(false);
    QVERIFY(!offload->isEnabled());
    form.setConfig(expected);

    auto *precision = qobject_cast<QComboBox *>(form.fieldWidget(QStringLiteral("bf16")));
    QVERIFY(precision);
    precision->setCurrentIndex(precision->findText(QStringLiteral("fp16"), Qt::MatchStartsWith));
    expected.bf16 = false;
    expected.fp16 = true;
    QVERIFY(form.config() == expected);

    // Every field has a tooltip.
    for (const QString &key : form.keys())
        QVERIFY2(!form.fieldWidget(key)->toolTip().isEmpty(), qPrintable(key));
}

// val_size is a fraction below 1 and a sample count from 1 on (LLaMA-Factory): the box says which,
// reads typed numbers back, and its arrows don't cross from one meaning to the other.
void TestTrainPage::validationSizeSaysFractionOrCount()
{
    const vltune::Translations english(QLocale(QLocale::English, QLocale::UnitedStates));  // "1 sample", "4 samples"
    TrainForm form;
    form.show();
    auto *box = qobject_cast<QDoubleSpinBox *>(form.fieldWidget(QStringLiteral("val_size")));
    QVERIFY(box);
    train::TrainConfig c = validConfig();
    const auto shown = [&](double v) {
        c.val_size = v;
        form.setConfig(c);
        return box->text();
    };
    QCOMPARE(shown(4), QStringLiteral("4 samples"));
    QCOMPARE(shown(1), QStringLiteral("1 sample"));
    QCOMPARE(shown(0.1), QStringLiteral("0.1 = 10%"));
    QCOMPARE(shown(0.05), QStringLiteral("0.05 = 5%"));
    QCOMPARE(shown(0), QStringLiteral("none"));

    // Arrows: fractions by 0.05 up to 0.95, counts by one sample down to 1.
    const auto stepped = [&](double from, int steps) {
        c.val_size = from;
        form.setConfig(c);
        box->stepBy(steps);
        return form.config().val_size;
    };
    QCOMPARE(stepped(0.1, 1), 0.15);
    QCOMPARE(stepped(0.1, -2), 0.0);
    QCOMPARE(stepped(0.95, 1), 0.95);
    QCOMPARE(stepped(0, 1), 0.05);
    QCOMPARE(stepped(3, 1), 4.0);
    QCOMPARE(stepped(3, -1), 2.0);
    QCOMPARE(stepped(1, -1), 1.0);

    // Typed over the text: a count, a fraction, 0 (none); a count must be whole.
    const auto typed = [&](const QString &text) {
        box->setFocus();
        box->selectAll();
        QTest::keyClicks(box, text);
        QTest::keyClick(box, Qt::Key_Return);
        return form.config().val_size;
    };
    QCOMPARE(typed(QStringLiteral("12")), 12.0);
    QCOMPARE(box->text(), QStringLiteral("12 samples"));
    QCOMPARE(typed(QStringLiteral("0.2")), 0.2);
    QCOMPARE(box->text(), QStringLiteral("0.2 = 20%"));
    QCOMPARE(typed(QStringLiteral("0")), 0.0);
    QCOMPARE(box->text(), QStringLiteral("none"));
    QCOMPARE(typed(QStringLiteral("7")), 7.0);
    // A count is whole: "2.5" is not taken, and what stands is the 2 typed on the way (LLaMA-Factory's
    // int(val_size) would make it 2 as well).
    QCOMPARE(typed(QStringLiteral("2.5")), 2.0);
    box->clearFocus();
    QCOMPARE(box->text(), QStringLiteral("2 samples"));

    {
        const vltune::Translations chinese(QLocale(QStringLiteral("zh_CN")));
        QCOMPARE(shown(4), QStringLiteral("4 个样本"));
        QCOMPARE(typed(QStringLiteral("0")), 0.0);
        QCOMPARE(box->text(), QStringLiteral("无"));
    }
}

// Stage: SFT / DPO; the DPO section's fields are enabled only for DPO and write LLaMA-Factory's keys.
void TestTrainPage::stageChoiceAndPreferenceFields()
{
    TrainForm form;
    train::TrainConfig c = validConfig();
    form.setConfig(c);
    auto *stage = qobject_cast<QComboBox *>(form.fieldWidget(QStringLiteral("stage")));
    auto *section = form.findChild<QGroupBox *>(QStringLiteral("trainPreferenceSection"));
    auto *beta = qobject_cast<QDoubleSpinBox *>(form.fieldWidget(QStringLiteral("pref_beta")));
    auto *loss = qobject_cast<QComboBox *>(form.fieldWidget(QStringLiteral("pref_loss")));
    auto *ftx = qobject_cast<QDoubleSpinBox *>(form.fieldWidget(QStringLiteral("pref_ftx")));
    QVERIFY(stage && section && beta && loss && ftx && form.fieldWidget(QStringLiteral("dpo_label_smoothing")));
    QVERIFY(!section->isEnabled());
    QCOMPARE(beta->value(), 0.1);

    stage->setCurrentIndex(stage->findData(static_cast<int>(train::Stage::dpo)));
    QVERIFY(section->isEnabled());
    beta->setValue(0.25);
    ftx->setValue(0.5);
    loss->setCurrentIndex(loss->findData(static_cast<int>(train::PrefLoss::ipo)));
    train::TrainConfig expected = c;
    expected.stage = train::Stage::dpo;
    expected.pref_beta = 0.25;
    expected.pref_ftx = 0.5;
    expected.pref_loss = train::PrefLoss::ipo;
    QVERIFY(form.config() == expected);
    const std::string yaml = train::to_yaml(form.config());
    for (const char *line : {"stage: dpo", "pref_beta: 0.25", "pref_ftx: 0.5", "pref_loss: ipo"})
        QVERIFY2(yaml.find(line) != std::string::npos, line);

    // The engine's checks mark the key: label smoothing is for the sigmoid loss only.
    auto *smoothing = qobject_cast<QDoubleSpinBox *>(form.fieldWidget(QStringLiteral("dpo_label_smoothing")));
    smoothing->setValue(0.1);
    QVERIFY(!form.validateNow());
    QCOMPARE(form.errorKey(), QStringLiteral("dpo_label_smoothing"));

    // A loaded DPO config enables the section; an SFT one disables it again.
    form.setConfig(expected);
    QVERIFY(section->isEnabled());
    form.setConfig(c);
    QVERIFY(!section->isEnabled());

    // Pack samples is for SFT: off for DPO, except to untick a packed DPO config's box.
    auto *packing = qobject_cast<QCheckBox *>(form.fieldWidget(QStringLiteral("neat_packing")));
    QVERIFY(packing && packing->isEnabled());
    form.setConfig(expected);
    QVERIFY(!packing->isEnabled());
    train::TrainConfig packedDpo = expected;
    packedDpo.neat_packing = true;
    form.setConfig(packedDpo);
    QVERIFY(packing->isEnabled());
    QVERIFY(!form.validateNow());
    QCOMPARE(form.errorKey(), QStringLiteral("neat_packing"));
    packing->setChecked(false);
    QVERIFY(!packing->isEnabled());
    QVERIFY(form.config() == expected);
    stage->setCurrentIndex(stage->findData(static_cast<int>(train::Stage::sft)));
    QVERIFY(packing->isEnabled());
}

void TestTrainPage::yamlLoadSaveRoundTrip()
{
    QTemporaryDir tmp;
    const fs::path dir = tmp.path().toStdString();
    const fs::path in = dir / "lf.yaml";
    test::write_text(in, R"(### model
model_name_or_path: Qwen/Qwen2.5-VL-7B-Instruct
image_max_pixels: 262144
trust_remote_code: true

### method
stage: sft
do_train: true
finetuning_type: lora
lora_rank: 16
lora_alpha: 32
lora_dropout: 0.05
lora_target: q_proj,v_proj
use_rslora: true

### dataset
dataset: mllm_demo,identity
template: qwen2_vl
cutoff_len: 4096
max_samples: 1000
overwrite_cache: true
preprocessing_num_workers: 16

### output
output_dir: saves/qwen2_5vl-7b/lora/sft
logging_steps: 10
save_steps: 500
save_total_limit: 3
plot_loss: true
overwrite_output_dir: true
report_to: none

### train
per_device_train_batch_size: 1
gradient_accumulation_steps: 8
learning_rate: 1.0e-4
num_train_epochs: 3.0
lr_scheduler_type: cosine
warmup_ratio: 0.1
adam_beta2: 0.98
weight_decay: 0.01
bf16: true
ddp_timeout: 180000000
resume_from_checkpoint: null
lora_rnak: 4
)");
    const train::TrainConfig fromEngine = train::load_train_config(in);

    TrainPage page;
    QVERIFY(page.loadYaml(QString::fromStdString(in.string())));
    QVERIFY(page.form()->config() == fromEngine);
    QCOMPARE(page.yamlPath(), QString::fromStdString(in.string()));
    // The report reaches the message bar: the typo with its suggestion, the ignored keys.
    QVERIFY2(page.message().contains(QStringLiteral("lora_rnak")), qPrintable(page.message()));
    QVERIFY2(page.message().contains(QStringLiteral("lora_rank")), qPrintable(page.message()));
    QVERIFY2(page.message().contains(QStringLiteral("report_to")), qPrintable(page.message()));

    const fs::path out1 = dir / "saved1.yaml";
    const fs::path out2 = dir / "saved2.yaml";
    QVERIFY(page.saveYaml(QString::fromStdString(out1.string())));
    QVERIFY(train::load_train_config(out1) == fromEngine);
    QVERIFY(page.loadYaml(QString::fromStdString(out1.string())));
    QVERIFY(page.saveYaml(QString::fromStdString(out2.string())));
    QCOMPARE(readAll(out2), readAll(out1));
    QCOMPARE(page.cliCommand(), QStringLiteral("vltune-cli train ") + QString::fromStdString(out2.string()));
    QCOMPARE(page.yamlText().toStdString(), readAll(out2));
}

void TestTrainPage::loadErrorNamesTheKey()
{
    QTemporaryDir tmp;
    const fs::path in = fs::path(tmp.path().toStdString()) / "bad.yaml";
    test::write_text(in, "model_name_or_path: m\nlearning_rate: fast\n");
    TrainPage page;
    const train::TrainConfig before = page.form()->config();
    QVERIFY(!page.loadYaml(QString::fromStdString(in.string())));
    QVERIFY2(page.message().contains(QStringLiteral("learning_rate")), qPrintable(page.message()));
    QVERIFY2(page.message().contains(QStringLiteral("bad.yaml")), qPrintable(page.message()));
    QVERIFY(page.form()->config() == before);  // nothing half-loaded
}

void TestTrainPage::invalidValuesBlockStart()
{
    TrainPage page;
    page.form()->setConfig(validConfig());
    auto *start = page.findChild<QPushButton *>(QStringLiteral("trainStartButton"));
    QVERIFY(start);
    QVERIFY(page.form()->isValid());
    QVERIFY(start->isEnabled());

    // lora_rank 0: marked after the debounce, Start disabled with the reason as its tooltip.
    auto *rank = qobject_cast<QSpinBox *>(page.form()->fieldWidget(QStringLiteral("lora_rank")));
    rank->setValue(0);
    QTRY_VERIFY(!page.form()->isValid());
    QCOMPARE(page.form()->errorKey(), QStringLiteral("lora_rank"));
    QVERIFY(rank->property("invalid").toBool());
    QVERIFY(!start->isEnabled());
    QVERIFY2(start->toolTip().contains(QStringLiteral("lora_rank")), qPrintable(start->toolTip()));
    auto *error = page.findChild<QLabel *>(QStringLiteral("trainFormError"));
    QVERIFY(error && !error->isHidden());
    QVERIFY(error->text().contains(QStringLiteral("lora_rank")));
    rank->setValue(8);
    QTRY_VERIFY(page.form()->isValid());
    QVERIFY(!rank->property("invalid").toBool());
    QVERIFY(start->isEnabled());
    QVERIFY(error->isHidden());

    // A negative learning rate.
    auto *lr = qobject_cast<QDoubleSpinBox *>(page.form()->fieldWidget(QStringLiteral("learning_rate")));
    QVERIFY(lr);
    lr->setValue(-1e-4);
    QVERIFY(!page.form()->validateNow());
    QCOMPARE(page.form()->errorKey(), QStringLiteral("learning_rate"));
    QVERIFY(lr->property("invalid").toBool());
    QVERIFY(!start->isEnabled());
    lr->setValue(2e-4);
    QVERIFY(page.form()->validateNow());
    QVERIFY(start->isEnabled());

    // bf16 and fp16 both set (as code could build it): the precision field is marked.
    train::TrainConfig both = validConfig();
    both.bf16 = true;
    both.fp16 = true;
    page.form()->setConfig(both);
    QVERIFY(!page.form()->isValid());
    QVERIFY(page.form()->fieldWidget(page.form()->errorKey()) == page.form()->fieldWidget(QStringLiteral("bf16")));
    QVERIFY(page.form()->fieldWidget(QStringLiteral("bf16"))->property("invalid").toBool());
    QVERIFY(!start->isEnabled());

    // Missing essentials block Start too.
    page.form()->setConfig(train::TrainConfig{});
    QCOMPARE(page.form()->errorKey(), QStringLiteral("model_name_or_path"));
    QVERIFY(!start->isEnabled());
}

void TestTrainPage::presetsChangeFields()
{
    for (int gb : TrainForm::presetGigabytes()) {
        train::TrainConfig c;
        c.fp16 = true;
        c.disable_gradient_checkpointing = true;
        TrainForm::applyPreset(c, gb);
        QCOMPARE(c.per_device_train_batch_size * c.gradient_accumulation_steps, int64_t(16));
        QVERIFY(c.bf16 && !c.fp16 && !c.disable_gradient_checkpointing);
        train::validate_train_config(c);  // a preset never makes the config invalid
    }
    TrainForm form;
    train::TrainConfig c = validConfig();
    c.lora_rank = 48;
    form.setConfig(c);
    form.applyPresetToFields(8);
    train::TrainConfig small = form.config();
    QCOMPARE(small.per_device_train_batch_size, int64_t(1));
    QCOMPARE(small.gradient_accumulation_steps, int64_t(16));
    QCOMPARE(small.image_max_pixels, int64_t(384 * 384));
    QVERIFY(small.bf16 && !small.disable_gradient_checkpointing);
    QCOMPARE(small.lora_rank, int64_t(48));  // untouched
    form.applyPresetToFields(24);
    const train::TrainConfig large = form.config();
    QCOMPARE(large.per_device_train_batch_size, int64_t(4));
    QCOMPARE(large.gradient_accumulation_steps, int64_t(4));
    QVERIFY(large.image_max_pixels > small.image_max_pixels);
    QCOMPARE(qobject_cast<QSpinBox *>(form.fieldWidget(QStringLiteral("per_device_train_batch_size")))->value(), 4);
}

void TestTrainPage::estimateMatchesEngine()
{
    const auto families = test::fixture_families_of({io::ModelFamily::qwen2_vl, io::ModelFamily::qwen2_5_vl});
    if (families.empty())
        QSKIP("no Qwen fixture under VLTUNE_HF_FIXTURES");
    for (const std::string &family : families) {
        const fs::path root = test::hf_fixtures_root() / family;
        const fs::path model = root / "model";
        const io::Json ref = io::read_json_file(root / "reference.json");
        const fs::path image = test::hf_fixtures_root() / "images" / ref.at("image").get<std::string>();
        const int64_t hfTokens = ref.at("n_image_tokens").get<int64_t>();
        const io::ImageDimensions size = io::read_image_dimensions(image);

        // One image, as transformers counted it (the default pixel budget leaves it as it is).
        QCOMPARE(image_tokens_for(model, size.width, size.height, 768 * 768, 32 * 32), hfTokens);

        // The whole estimate on a dataset of that image plus a larger one.
        QTemporaryDir tmp;
        const fs::path data = tmp.path().toStdString();
        fs::copy_file(image, data / "a.png");
        test::write_png(data / "big.png", 900, 700);
        writeDataset(data, {"a.png", "a.png", "big.png"});
        const text::ImageLayout layout = text::load_image_layout(model);
        train::TrainConfig c = validConfig();
        c.model_name_or_path = model.string();
        c.dataset_dir = data.string();
        c.image_max_pixels = 160 * 160;  // below the fixture processor's own cap, so the two images differ
        c.bf16 = true;
        c.cutoff_len = 100000;
        const int64_t bigTokens =
            text::image_token_count(layout, text::llamafactory_image_size({900, 700}, {c.image_max_pixels, c.image_min_pixels},
                                                                         layout.plugin));
        const int64_t smallTokens = text::image_token_count(
            layout, text::llamafactory_image_size({size.width, size.height}, {c.image_max_pixels, c.image_min_pixels}, layout.plugin));

        QVERIFY(bigTokens != smallTokens);

        TrainPage page;
        page.form()->setConfig(c);
        QSignalSpy done(&page, &TrainPage::estimateUpdated);
        page.refreshEstimate();
        QVERIFY(done.wait(30000));
        if (page.isEstimating())  // the debounced run that setConfig queued
            QVERIFY(done.wait(30000));
        const TrainEstimate &e = page.estimate();
        QVERIFY2(e.model.error.empty(), e.model.error.c_str());
        QVERIFY2(e.tokens.error.empty(), e.tokens.error.c_str());
        QCOMPARE(e.tokens.samples_total, int64_t(3));
        QCOMPARE(e.tokens.samples_measured, int64_t(3));
        QCOMPARE(e.tokens.images, int64_t(3));
        QCOMPARE(e.tokens.max_image_tokens, std::max(bigTokens, smallTokens));
        QCOMPARE(e.tokens.max_tokens - e.tokens.min_tokens, std::abs(bigTokens - smallTokens));  // same text
        QCOMPARE(e.tokens.over_cutoff, int64_t(0));

        // Parameters and dtype from the headers equal what the engine's reader finds.
        const io::SafetensorsFile weights = io::SafetensorsFile::open(model / "model.safetensors");
        int64_t params = 0;
        for (const io::TensorInfo &t : weights.tensors())
            params += t.numel();
        QCOMPARE(e.model.parameters, params);
        QCOMPARE(e.model.dtype, std::string(io::dtype_name(weights.tensors().front().dtype)));
        QCOMPARE(e.memory.weights, static_cast<double>(params) * 2.0);  // bf16
        QVERIFY(e.memory.optimizer > 0 && e.memory.activations > 0);
        auto *info = page.findChild<QLabel *>(QStringLiteral("trainModelInfo"));
        QVERIFY2(info->text().contains(QString::fromStdString(e.model.family)), qPrintable(info->text()));

        // Checkpointing off costs more activation memory; a short cutoff shows truncation.
        train::TrainConfig noCkpt = c;
        noCkpt.disable_gradient_checkpointing = true;
        QVERIFY(estimate_memory(e.model, noCkpt, 1000).activations > estimate_memory(e.model, c, 1000).activations);
        // Offloaded checkpoints: every layer's input but the one recomputed moves to host memory
        // (layers × hidden × 2 bytes a token in bf16), the VRAM figure down by as much less one layer's.
        train::TrainConfig offloaded = c;
        offloaded.use_unsloth_gc = true;
        const MemoryEstimate kept = estimate_memory(e.model, c, 1000), moved = estimate_memory(e.model, offloaded, 1000);
        const double rows = static_cast<double>(c.per_device_train_batch_size), perLayer = 1000.0 * rows * 2.0 * e.model.hidden;
        QCOMPARE(kept.host, 0.0);
        QCOMPARE(moved.host, perLayer * static_cast<double>(e.model.layers));
        QCOMPARE(kept.activations - moved.activations, perLayer * static_cast<double>(e.model.layers - 1));
        QCOMPARE(estimate_memory(e.model, offloaded, 1000).weights, kept.weights);
        noCkpt.use_unsloth_gc = true;  // nothing to offload without checkpointing
        QCOMPARE(estimate_memory(e.model, noCkpt, 1000).host, 0.0);
        // Ticked, the page says what waits in system RAM instead.
        auto *memoryLabel = page.findChild<QLabel *>(QStringLiteral("trainMemoryLabel"));
        QVERIFY(memoryLabel && !memoryLabel->text().contains(QStringLiteral("system RAM")));
        qobject_cast<QCheckBox *>(page.form()->fieldWidget(QStringLiteral("use_unsloth_gc")))->setChecked(true);
        page.refreshEstimate();
        QVERIFY(done.wait(30000));
        if (page.isEstimating())
            QVERIFY(done.wait(30000));
        QVERIFY2(memoryLabel->text().contains(QStringLiteral("of offloaded checkpoints in system RAM")),
                 qPrintable(memoryLabel->text()));
        QVERIFY(page.estimate().memory.host > 0);
        // DPO runs a chosen and a rejected sequence per sample: twice the activations.
        train::TrainConfig dpo = c;
        dpo.stage = train::Stage::dpo;
        QCOMPARE(estimate_memory(e.model, dpo, 1000).activations, 2.0 * estimate_memory(e.model, c, 1000).activations);
        c.cutoff_len = e.tokens.median_tokens;
        QCOMPARE(measure_sample_tokens(c).over_cutoff, e.tokens.max_tokens > e.tokens.median_tokens ? int64_t(1) : int64_t(0));
    }
}

void TestTrainPage::startCarriesTheYaml()
{
    TrainPage page;
    train::TrainConfig c = validConfig();
    c.model_name_or_path = qwenModel().string();
    c.learning_rate = 3e-4;
    page.form()->setConfig(c);
    auto *lr = qobject_cast<QDoubleSpinBox *>(page.form()->fieldWidget(QStringLiteral("learning_rate")));
    lr->setValue(1.5e-4);
    QSignalSpy started(&page, &TrainPage::startRequested);
    QTest::mouseClick(page.findChild<QPushButton *>(QStringLiteral("trainStartButton")), Qt::LeftButton);
    QCOMPARE(started.size(), 1);
    const QString yaml = started.first().at(0).toString();
    const train::TrainConfig sent = train::load_train_config_from_string(yaml.toStdString());
    QVERIFY(sent == page.form()->config());
    QCOMPARE(sent.learning_rate, 1.5e-4);
    QCOMPARE(started.first().at(1).toString(), QString());  // never saved
    // The model joins the recent models, offered by the picker next time.
    QCOMPARE(TrainForm::recentModels().value(0), QString::fromStdString(qwenModel().string()));
    TrainForm next;
    QVERIFY(qobject_cast<QComboBox *>(next.fieldWidget(QStringLiteral("model_name_or_path")))
                ->findText(QString::fromStdString(qwenModel().string())) >= 0);
}

void TestTrainPage::runStatesSwitchButtons()
{
    TrainPage page;
    page.form()->setConfig(validConfig());
    auto button = [&](const char *name) { return page.findChild<QPushButton *>(QLatin1String(name)); };
    QSignalSpy paused(&page, &TrainPage::pauseRequested);
    QSignalSpy resumed(&page, &TrainPage::resumeRequested);
    QSignalSpy stopped(&page, &TrainPage::stopRequested);

    QVERIFY(button("trainStartButton")->isEnabled());
    QVERIFY(!button("trainPauseButton")->isEnabled() && !button("trainStopButton")->isEnabled());

    page.setRunState(TrainPage::RunState::Running);
    QVERIFY(!button("trainStartButton")->isEnabled());
    QVERIFY(button("trainPauseButton")->isEnabled() && button("trainStopButton")->isEnabled());
    QVERIFY(!button("trainResumeButton")->isEnabled());
    QVERIFY(!page.form()->isEnabled());  // locked while running
    QTest::mouseClick(button("trainPauseButton"), Qt::LeftButton);
    QCOMPARE(paused.size(), 1);

    page.setRunState(TrainPage::RunState::Paused);
    QVERIFY(button("trainResumeButton")->isEnabled() && !button("trainPauseButton")->isEnabled());
    QTest::mouseClick(button("trainResumeButton"), Qt::LeftButton);
    QCOMPARE(resumed.size(), 1);
    QTest::mouseClick(button("trainStopButton"), Qt::LeftButton);
    QCOMPARE(stopped.size(), 1);

    page.setRunState(TrainPage::RunState::Stopping);
    QVERIFY(!button("trainStopButton")->isEnabled() && !button("trainStartButton")->isEnabled());
    page.setRunState(TrainPage::RunState::Idle);
    QVERIFY(button("trainStartButton")->isEnabled());
    QVERIFY(page.form()->isEnabled());
}

void TestTrainPage::screenshot()
{
    // For a person to look at: VLTUNE_SCREENSHOT_DIR=dir saves the page with a fixture model and dataset.
    const QByteArray dir = qgetenv("VLTUNE_SCREENSHOT_DIR");
    if (dir.isEmpty())
        QSKIP("VLTUNE_SCREENSHOT_DIR not set");
    QTemporaryDir tmp;
    const fs::path data = tmp.path().toStdString();
    fs::copy_file(test::hf_fixtures_root() / "images" / "gradient_300x200.png", data / "a.png");
    test::write_png(data / "big.png", 1600, 1200);
    writeDataset(data, {"a.png", "big.png", "a.png"});
    train::TrainConfig c = validConfig();
    c.model_name_or_path = qwenModel().string();
    c.dataset_dir = data.string();
    c.output_dir = "saves/qwen2vl-pokemon-lora";
    c.learning_rate = 2e-4;
    c.lr_scheduler_type = train::LrScheduler::cosine;
    c.cutoff_len = 80;
    c.image_max_pixels = 160 * 160;
    c.val_size = 0.1;
    c.bf16 = true;
    c.logging_steps = 10;
    TrainPage page;
    page.resize(1440, 900);
    page.form()->setConfig(c);
    page.show();
    QSignalSpy done(&page, &TrainPage::estimateUpdated);
    page.refreshEstimate();
    QVERIFY(done.wait(30000));
    if (page.isEstimating())
        QVERIFY(done.wait(30000));
    QTest::qWait(100);  // let the labels' new text lay out
    page.grab().save(QString::fromLocal8Bit(dir) + QStringLiteral("/train_page.png"));
    TrainPreviewDialog preview(page.yamlText(), page.cliCommand(), false, &page);
    preview.show();
    QTest::qWait(50);
    preview.grab().save(QString::fromLocal8Bit(dir) + QStringLiteral("/train_preview.png"));
}

QTEST_MAIN(TestTrainPage)
#include "test_train_page.moc"
