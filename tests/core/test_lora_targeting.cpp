// LoRA targeting and freezing on every fixture family's architecture (built from its
// config.json, weights left random): `all` with the default freezes touches only the language
// model and never lm_head, each freeze flag opens or closes its part, name lists match module-name
// suffixes, regexes match whole transformers 5 module paths, CLIP trains its text side by
// default; exactly the new adapter's parameters require grad; the LoraLinear layer's own
// bookkeeping (several named adapters, active set, scale, merge).

// LibTorch and the engine before Qt: Qt's `slots` macro would break torch's headers.
#include "core/lora/lora_factory.h"
#include "core/lora/lora_linear.h"
#include "core/lora/peft_adapter.h"
#include "core/lora/targeting.h"

#include <QtTest/QtTest>

#include "core/error.h"
#include "core/io/hf_config.h"
#include "tests/test_support.h"

using vltune::test::error_of;

namespace fs = std::filesystem;
using vltune::io::ModelFamily;
using vltune::lora::FreezeParams;
using vltune::lora::LinearSite;
using vltune::lora::LoraModel;
using vltune::lora::LoraTarget;
using vltune::models::ModelPart;

namespace {

void add_family_rows() {
  QTest::addColumn<QString>("family");
  const auto families = vltune::test::hf_fixture_families();
  QVERIFY2(!families.empty(), "no fixture families");
  for (const auto& f : families) QTest::newRow(f.c_str()) << QString::fromStdString(f);
}

// The family's architecture from its config.json, random weights (targeting needs no values).
std::unique_ptr<LoraModel> architecture(const QString& family) {
  const fs::path folder = vltune::test::hf_fixtures_root() / family.toStdString() / "model";
  const auto config = vltune::io::read_model_config(folder);
  switch (config.family()) {
    case ModelFamily::qwen2_vl:
    case ModelFamily::qwen2_5_vl: return std::make_unique<LoraModel>(vltune::models::QwenVL(config), config.family(), folder);
    case ModelFamily::llava: return std::make_unique<LoraModel>(vltune::models::Llava(config), config.family(), folder);
    case ModelFamily::idefics3: return std::make_unique<LoraModel>(vltune::models::Idefics3(config), config.family(), folder);
    case ModelFamily::clip: return std::make_unique<LoraModel>(vltune::models::ClipModel(config), config.family(), folder);
  }
  return nullptr;
}

std::vector<LinearSite> select(LoraModel& m, const std::string& target, const FreezeParams& freeze) {
  return vltune::lora::select_sites(m.module(), m.layout(), vltune::lora::parse_lora_target(target), freeze);
}

int count_part(const std::vector<LinearSite>& sites, ModelPart part) {
  return static_cast<int>(std::count_if(sites.begin(), sites.end(), [&](const LinearSite& s) { return s.part == part; }));
}

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace

class TestLoraTargeting : public QObject {
  Q_OBJECT

 private slots:
  void parseTarget();
  void allWithDefaultFreezes_data() { add_family_rows(); }
  void allWithDefaultFreezes();
  void freezeFlags_data() { add_family_rows(); }
  void freezeFlags();
  void nameList_data() { add_family_rows(); }
  void nameList();
  void regexFullMatch_data() { add_family_rows(); }
  void regexFullMatch();
  void requiresGradOnExactlyTheAdapter_data() { add_family_rows(); }
  void requiresGradOnExactlyTheAdapter();
  void modulePathsAreTransformers5();
  void loraLinearAdapters();
  void doraAdaptersCarryAMagnitude();
};

void TestLoraTargeting::parseTarget() {
  QVERIFY(vltune::lora::parse_lora_target("all").kind == LoraTarget::Kind::all);
  const auto names = vltune::lora::parse_lora_target(" q_proj, v_proj ");
  QVERIFY(names.kind == LoraTarget::Kind::names);
  QCOMPARE(names.names, (std::vector<std::string>{"q_proj", "v_proj"}));
  const auto regex = vltune::lora::parse_lora_target(R"(^.*\.(q_proj|v_proj)$)");
  QVERIFY(regex.kind == LoraTarget::Kind::regex);
  QVERIFY(vltune::test::contains(error_of([] { vltune::lora::parse_lora_target("q_proj,,v_proj"); }), "empty name"));
  QVERIFY(vltune::test::contains(error_of([] { vltune::lora::parse_lora_target(" "); }), "lora_target"));
}

void TestLoraTargeting::allWithDefaultFreezes() {
  QFETCH(QString, family);
  auto m = architecture(family);
  const auto all_sites = vltune::lora::linear_sites(m->module(), m->layout());
  const auto sites = select(*m, "all", FreezeParams{});
  // Every language-model linear layer but lm_head; nothing of the vision tower or projector.
  QCOMPARE(static_cast<int>(sites.size()), count_part(all_sites, ModelPart::language));
  QCOMPARE(count_part(sites, ModelPart::language), static_cast<int>(sites.size()));
  for (const auto& s : sites) QVERIFY2(!vltune::test::contains(s.hf_module_path, "lm_head"), s.hf_module_path.c_str());
  if (m->family() == ModelFamily::clip)
    for (const auto& s : sites) QVERIFY2(s.module_path.rfind("text_model.", 0) == 0, s.module_path.c_str());
}

void TestLoraTargeting::freezeFlags() {
  QFETCH(QString, family);
  auto m = architecture(family);
  const auto all_sites = vltune::lora::linear_sites(m->module(), m->layout());
  const int vision = count_part(all_sites, ModelPart::vision), projector = count_part(all_sites, ModelPart::projector),
            language = count_part(all_sites, ModelPart::language);
  QVERIFY(vision > 0 && projector > 0 && language > 0);
  FreezeParams open_vision;
  open_vision.freeze_vision_tower = false;
  auto sites = select(*m, "all", open_vision);
  QCOMPARE(count_part(sites, ModelPart::vision), vision);
  QCOMPARE(count_part(sites, ModelPart::projector), 0);
  QCOMPARE(count_part(sites, ModelPart::language), language);
  FreezeParams open_projector;
  open_projector.freeze_multi_modal_projector = false;
  sites = select(*m, "all", open_projector);
  QCOMPARE(count_part(sites, ModelPart::projector), projector);
  QCOMPARE(count_part(sites, ModelPart::vision), 0);
  // Scenario 2: only the vision tower and the projector.
  FreezeParams vision_only;
  vision_only.freeze_vision_tower = false;
  vision_only.freeze_multi_modal_projector = false;
  vision_only.freeze_language_model = true;
  sites = select(*m, "all", vision_only);
  QCOMPARE(static_cast<int>(sites.size()), vision + projector);
  // Everything frozen: nothing to train is an error naming the target.
  FreezeParams none;
  none.freeze_language_model = true;
  QVERIFY(vltune::test::contains(error_of([&] { select(*m, "all", none); }), "\"all\""));
  // Under the default freezes a name list never reaches into the vision tower either.
  const auto q = select(*m, "q_proj", FreezeParams{});
  QCOMPARE(count_part(q, ModelPart::vision), 0);
}

void TestLoraTargeting::nameList() {
  QFETCH(QString, family);
  auto m = architecture(family);
  const auto sites = select(*m, "q_proj,v_proj", FreezeParams{});
  QVERIFY(!sites.empty());
  for (const auto& s : sites) {
    QVERIFY2(ends_with(s.hf_module_path, ".q_proj") || ends_with(s.hf_module_path, ".v_proj"), s.hf_module_path.c_str());
    QVERIFY(s.part == ModelPart::language);
  }
  // Suffix matching, not substring: "proj" is no suffix of q_proj's path.
  QVERIFY(vltune::test::contains(error_of([&] { select(*m, "roj", FreezeParams{}); }), "matches no linear layer"));
  // A dotted suffix narrows to one kind of parent.
  for (const auto& s : select(*m, "self_attn.q_proj", FreezeParams{})) QVERIFY(ends_with(s.hf_module_path, "self_attn.q_proj"));
}

void TestLoraTargeting::regexFullMatch() {
  QFETCH(QString, family);
  auto m = architecture(family);
  // re.fullmatch on the transformers 5 module path.
  const auto q = select(*m, R"(.*\.q_proj)", FreezeParams{});
  const auto q_names = select(*m, "q_proj", FreezeParams{});
  QCOMPARE(q.size(), q_names.size());
  QVERIFY(vltune::test::contains(error_of([&] { select(*m, R"(q_pro(j))", FreezeParams{}); }), "matches no linear layer"));
  // Frozen parts are left out of a regex's matches too: a regex only into them matches nothing.
  const std::string vision_prefix = m->family() == ModelFamily::llava      ? "model\\.vision_tower"
                                    : m->family() == ModelFamily::idefics3 ? "model\\.vision_model"
                                    : m->family() == ModelFamily::clip     ? "vision_model"
                                                                           : "model\\.visual";
  QVERIFY(vltune::test::contains(error_of([&] { select(*m, vision_prefix + "\\..*", FreezeParams{}); }), "frozen parts"));
  for (const auto& s : q) QVERIFY(s.part == ModelPart::language);
  FreezeParams open_vision;
  open_vision.freeze_vision_tower = false;
  const auto v = select(*m, vision_prefix + "\\..*", open_vision);
  QVERIFY(!v.empty());
  for (const auto& s : v) QVERIFY(s.part == ModelPart::vision || s.part == ModelPart::projector);
}

void TestLoraTargeting::requiresGradOnExactlyTheAdapter() {
  QFETCH(QString, family);
  auto m = architecture(family);
  vltune::lora::LoraAdapterParams p;
  p.r = 2;
  p.alpha = 4;
  torch::manual_seed(0);
  const auto& rec = m->add_adapter("default", p, vltune::lora::parse_lora_target("all"), FreezeParams{});
  const auto params = m->trainable_parameters();
  QCOMPARE(params.size(), 2 * rec.modules.size());
  std::set<const void*> trainable;
  for (const auto& tp : params) {
    QVERIFY(tp.tensor.requires_grad());
    QVERIFY(tp.name.rfind("base_model.model.", 0) == 0 && ends_with(tp.name, ".default.weight"));
    QVERIFY(tp.group == (vltune::test::contains(tp.name, ".lora_A.") ? vltune::train::ParamGroup::lora_A : vltune::train::ParamGroup::lora_B));
    trainable.insert(tp.tensor.unsafeGetTensorImpl());
  }
  for (const auto& item : m->module().named_parameters())
    QVERIFY2(item.value().requires_grad() == (trainable.count(item.value().unsafeGetTensorImpl()) != 0), item.key().c_str());
  // PEFT's init: B zeros, so the new adapter changes nothing yet.
  for (const auto& tp : params)
    if (tp.group == vltune::train::ParamGroup::lora_B) QVERIFY(tp.tensor.abs().max().item<double>() == 0.0);
  // A second adapter is not trainable until chosen; removing it restores the first.
  m->add_adapter("second", p, vltune::lora::parse_lora_target("q_proj"), FreezeParams{});
  QCOMPARE(m->trainable_adapter(), std::string("second"));
  m->set_trainable_adapter("default");
  QCOMPARE(m->trainable_parameters().size(), params.size());
  m->remove_adapter("second");
  QCOMPARE(m->adapter_names(), std::vector<std::string>{"default"});
  size_t requiring = 0;
  for (const auto& t : m->module().parameters()) requiring += t.requires_grad();
  QCOMPARE(requiring, params.size());
}

void TestLoraTargeting::modulePathsAreTransformers5() {
  // The module paths PEFT sees with transformers 5, per family.
  const std::map<ModelFamily, std::pair<std::string, std::string>> expected_paths = {
      {ModelFamily::qwen2_vl, {"model.layers.0.self_attn.q_proj", "model.language_model.layers.0.self_attn.q_proj"}},
      {ModelFamily::qwen2_5_vl, {"visual.blocks.0.attn.qkv", "model.visual.blocks.0.attn.qkv"}},
      {ModelFamily::llava, {"language_model.layers.0.mlp.up_proj", "model.language_model.layers.0.mlp.up_proj"}},
      {ModelFamily::idefics3, {"text_model.layers.0.self_attn.o_proj", "model.text_model.layers.0.self_attn.o_proj"}},
      {ModelFamily::clip, {"text_model.encoder.layers.0.self_attn.out_proj", "text_model.encoder.layers.0.self_attn.out_proj"}},
  };
  for (const auto& [family, paths] : expected_paths) {
    const auto& layout = vltune::models::family_layout(family);
    QCOMPARE(vltune::models::hf_module_name(layout, paths.first), paths.second);
    QCOMPARE(vltune::models::module_name_from_any(layout, paths.second), paths.first);
  }
  // Older spellings read back to the same modules.
  const auto& llava = vltune::models::family_layout(ModelFamily::llava);
  QCOMPARE(vltune::models::module_name_from_any(llava, "language_model.model.layers.1.mlp.up_proj"), std::string("language_model.layers.1.mlp.up_proj"));
  QCOMPARE(vltune::models::module_name_from_any(llava, "vision_tower.vision_model.encoder.layers.0.self_attn.q_proj"),
           std::string("vision_tower.encoder.layers.0.self_attn.q_proj"));
  QCOMPARE(vltune::lora::peft_key(llava, "language_model.layers.0.mlp.up_proj", "lora_A", vltune::lora::PeftKeyLayout::legacy),
           std::string("base_model.model.language_model.model.layers.0.mlp.up_proj.lora_A.weight"));
}

void TestLoraTargeting::loraLinearAdapters() {
  // Two named adapters on one layer: the active set and the scale choose what forward adds;
  // merging folds an adapter into the weight and removes it.
  torch::manual_seed(0);
  vltune::lora::LoraLinear layer(torch::nn::LinearOptions(6, 5).bias(true));
  vltune::lora::LoraAdapterParams p;
  p.r = 2;
  p.alpha = 3;
  layer->add_adapter("a", p);
  p.use_rslora = true;
  layer->add_adapter("b", p);
  {
    torch::NoGradGuard no_grad;
    for (const char* n : {"a", "b"}) layer->lora_B_weight(n).normal_();
  }
  QCOMPARE(layer->scaling("a"), 1.5);
  QCOMPARE(layer->scaling("b"), 3.0 / std::sqrt(2.0));
  auto named = layer->named_parameters();
  for (const char* key : {"weight", "bias", "lora_A.a.weight", "lora_B.a.weight", "lora_A.b.weight", "lora_B.b.weight"})
    QVERIFY2(named.contains(key), key);
  const auto x = torch::randn({3, 4, 6});
  const auto base = torch::nn::functional::linear(x, layer->weight, layer->bias);
  QVERIFY(torch::allclose(layer(x), base));
  layer->set_active({"a"});
  const auto with_a = base + torch::matmul(torch::matmul(x, layer->lora_A_weight("a").t()), layer->lora_B_weight("a").t()) * 1.5;
  QVERIFY(torch::allclose(layer(x), with_a, 1e-5, 1e-6));
  layer->set_scale(0.0);
  QVERIFY(torch::allclose(layer(x), base));
  layer->set_scale(1.0);
  layer->set_active({"a", "b"});
  const auto both = layer(x);
  layer->merge_and_remove({"a"});
  QCOMPARE(layer->adapters(), std::vector<std::string>{"b"});
  QVERIFY(!layer->named_parameters().contains("lora_A.a.weight"));
  QVERIFY(torch::allclose(layer(x), both, 1e-5, 1e-5));
  QVERIFY(vltune::test::contains(error_of([&] { layer->set_active({"a"}); }), "\"a\""));
}

void TestLoraTargeting::doraAdaptersCarryAMagnitude() {
  // DoRA (test_dora checks its arithmetic): a magnitude per output row beside A and B, under
  // PEFT's parameter name; a plain adapter has none.
  vltune::lora::LoraLinear layer(4, 3);
  vltune::lora::LoraAdapterParams p;
  p.use_dora = true;
  layer->add_adapter("x", p);
  layer->add_adapter("y", vltune::lora::LoraAdapterParams{});
  const auto params = layer->named_parameters();
  QVERIFY(params.contains("lora_magnitude_vector.x.weight"));
  QCOMPARE(params["lora_magnitude_vector.x.weight"].sizes().vec(), std::vector<int64_t>{3});
  QVERIFY(!params.contains("lora_magnitude_vector.y.weight"));
  QVERIFY(vltune::test::contains(error_of([&] { layer->lora_magnitude("y"); }), "does not use DoRA"));
}

QTEST_APPLESS_MAIN(TestLoraTargeting)
#include "test_lora_targeting.moc"
