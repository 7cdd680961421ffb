#include "core/eval/predictions_writer.h"

#include <charconv>
#include <cmath>
#include <cstdio>

#include "core/error.h"
#include "core/io/json_file.h"

namespace vltune::eval {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;

// A JSON string as json.dumps(..., ensure_ascii=False) writes it: \" \\ \b \f \n \r \t and
// \u00xx for the other control characters, everything else as is (nlohmann escapes the same set).
std::string json_string(const std::string& s) {
  return Json(s).dump(-1, ' ', /*ensure_ascii=*/false, Json::error_handler_t::replace);
}

// The same with ensure_ascii=True (json.dump's default, which save_metrics uses): also every
// character outside space..~ as \uXXXX, with surrogate pairs above U+FFFF.
std::string json_string_ascii(const std::string& s) {
  return Json(s).dump(-1, ' ', /*ensure_ascii=*/true, Json::error_handler_t::replace);
}

// float.__repr__: the shortest digits that read back the same; exponent form when the decimal
// point would sit more than 4 places left of the first digit or more than 16 right of it.
std::string python_float_repr(double x) {
  if (std::isnan(x)) return "NaN";
  if (std::isinf(x)) return x > 0 ? "Infinity" : "-Infinity";
  char buf[64];
  const auto r = std::to_chars(buf, buf + sizeof buf, x, std::chars_format::scientific);
  const std::string sci(buf, r.ptr);  // "-1.2345e-05"
  const size_t e = sci.find('e');
  std::string digits;
  bool negative = false;
  for (size_t i = 0; i < e; ++i) {
    if (sci[i] == '-') negative = true;
    else if (sci[i] != '.') digits.push_back(sci[i]);
  }
  const int exponent = std::stoi(sci.substr(e + 1));
  const int decpt = exponent + 1;  // digits d1 d2 ... mean 0.d1d2... x 10^decpt
  const int ndigits = static_cast<int>(digits.size());
  std::string out = negative ? "-" : "";
  if (decpt <= -4 || decpt > 16) {
    out += digits.substr(0, 1);
    if (ndigits > 1) out += "." + digits.substr(1);
    char exp_text[16];  // room for any int, so gcc 13 sees no truncation
    std::snprintf(exp_text, sizeof exp_text, "e%c%02d", exponent < 0 ? '-' : '+', std::abs(exponent));
    return out + exp_text;
  }
  if (decpt <= 0) return out + "0." + std::string(static_cast<size_t>(-decpt), '0') + digits;
  if (decpt >= ndigits) return out + digits + std::string(static_cast<size_t>(decpt - ndigits), '0') + ".0";
  return out + digits.substr(0, decpt) + "." + digits.substr(decpt);
}

void append_python_json(std::string& out, const Json& value, int depth) {
  const std::string indent(static_cast<size_t>(4 * (depth + 1)), ' ');
  const std::string closing(static_cast<size_t>(4 * depth), ' ');
  switch (value.type()) {
    case Json::value_t::object: {
      if (value.empty()) {
        out += "{}";
        return;
      }
      out += "{\n";
      bool first = true;
      for (const auto& [key, item] : value.items()) {  // std::map order: code point order, as sort_keys
        if (!first) out += ",\n";
        first = false;
        out += indent + json_string_ascii(key) + ": ";
        append_python_json(out, item, depth + 1);
      }
      out += "\n" + closing + "}";
      return;
    }
    case Json::value_t::array: {
      if (value.empty()) {
        out += "[]";
        return;
      }
      out += "[\n";
      for (size_t i = 0; i < value.size(); ++i) {
        if (i > 0) out += ",\n";
        out += indent;
        append_python_json(out, value[i], depth + 1);
      }
      out += "\n" + closing + "]";
      return;
    }
    case Json::value_t::string:
      out += json_string_ascii(value.get<std::string>());
      return;
    case Json::value_t::number_float:
      out += python_float_repr(value.get<double>());
      return;
    default:  // integers, booleans, null print the same in both
      out += value.dump();
      return;
  }
}

}  // namespace

std::string generated_prediction_line(const PredictionRecord& record) {
  return "{\"prompt\": " + json_string(record.prompt) + ", \"predict\": " + json_string(record.predict) +
         ", \"label\": " + json_string(record.label) + "}\n";
}

void write_generated_predictions(const fs::path& file, const std::vector<PredictionRecord>& records) {
  std::string text;
  for (const PredictionRecord& record : records) text += generated_prediction_line(record);
  io::write_file_atomic(file, text);
}

Json predict_metrics(const PredictResults& results) {
  Json metrics = Json::object();
  metrics["predict_bleu-4"] = results.mean.bleu_4;
  metrics["predict_rouge-1"] = results.mean.rouge_1;
  metrics["predict_rouge-2"] = results.mean.rouge_2;
  metrics["predict_rouge-l"] = results.mean.rouge_l;
  // transformers' speed_metrics("predict", start_time, num_samples, num_steps).
  metrics["predict_runtime"] = python_round(results.runtime_s, 4);
  if (results.runtime_s != 0.0) {
    metrics["predict_samples_per_second"] = python_round(static_cast<double>(results.samples) / results.runtime_s, 3);
    metrics["predict_steps_per_second"] = python_round(static_cast<double>(results.steps) / results.runtime_s, 3);
  }
  if (results.rouge_tokens == RougeTokens::characters) metrics["predict_rouge_note"] = kRougeOverCharacters;
  return metrics;
}

std::string python_json_text(const Json& metrics) {
  std::string out;
  append_python_json(out, metrics, 0);
  return out;
}

void save_metrics(const fs::path& dir, const std::string& file, const Json& metrics) {
  io::write_file_atomic(dir / file, python_json_text(metrics));
  const fs::path all_path = dir / "all_results.json";
  Json all = Json::object();
  std::error_code ec;
  if (fs::exists(all_path, ec)) {
    all = io::read_json_file(all_path);
    if (!all.is_object()) throw FormatError(all_path.string() + ": not a JSON object");
  }
  for (const auto& [key, value] : metrics.items()) all[key] = value;
  io::write_file_atomic(all_path, python_json_text(all));
}

void write_predict_results(const fs::path& dir, const PredictResults& results) {
  save_metrics(dir, "predict_results.json", predict_metrics(results));
}

}  // namespace vltune::eval
