#include "core/train/loss_plot.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "core/io/json_file.h"
#include "core/io/png_writer.h"
#include "core/log.h"
#include "core/train/plot_canvas.h"

namespace vltune::train {

namespace {

constexpr int kWidth = 640, kHeight = 480;          // matplotlib's default 6.4 x 4.8 in at 100 dpi
constexpr int kLeft = 90, kRight = 20, kTop = 50, kBottom = 60;
constexpr Rgb kWhite{255, 255, 255}, kBlack{0, 0, 0}, kBlue{0x1f, 0x77, 0xb4}, kGrey{160, 160, 160};
constexpr int kText = 2;                            // font scale: 10 x 14 pixel characters

struct Range {
  double lo, hi;
};

// The data's range with matplotlib's 5% margins (a flat series gets some height).
Range padded(std::span<const double> v) {
  auto [lo, hi] = std::minmax_element(v.begin(), v.end());
  double a = *lo, b = *hi;
  // Flat, or as good as: one logged step's smoothed value can differ from it in the last bit, and
  // a range of one ulp would give ticks that never advance.
  if (b - a <= 1e-9 * std::max(std::abs(a), std::abs(b))) {
    const double d = a == 0 ? 1.0 : std::abs(a) * 0.1;
    return {a - d, b + d};
  }
  const double m = (b - a) * 0.05;
  return {a - m, b + m};
}

// A tick every 1, 2 or 5 times a power of ten, about 6 of them across `r`.
std::vector<double> ticks(Range r, int& decimals) {
  const double raw = (r.hi - r.lo) / 6;
  const double power = std::pow(10.0, std::floor(std::log10(raw)));
  double step = power;
  for (double f : {1.0, 2.0, 5.0, 10.0})
    if (f * power >= raw) {
      step = f * power;
      break;
    }
  decimals = std::max(0, -static_cast<int>(std::floor(std::log10(step) + 1e-9)));
  std::vector<double> out;
  for (double t = std::ceil(r.lo / step) * step; t <= r.hi + step * 1e-9 && out.size() < 64; t += step)
    out.push_back(std::abs(t) < step * 1e-9 ? 0.0 : t);
  return out;
}

std::string format_tick(double v, int decimals) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

}  // namespace

std::vector<double> smooth(std::span<const double> scalars) {
  std::vector<double> out;
  if (scalars.empty()) return out;
  double last = scalars[0];
  const double weight = 1.8 * (1.0 / (1.0 + std::exp(-0.05 * static_cast<double>(scalars.size()))) - 0.5);
  for (double next : scalars) {
    const double value = last * weight + (1.0 - weight) * next;
    out.push_back(value);
    last = value;
  }
  return out;
}

std::string render_loss_plot(std::span<const double> steps, std::span<const double> values, const std::string& title,
                             const std::string& ylabel) {
  const std::vector<double> smoothed = smooth(values);
  std::vector<double> both(values.begin(), values.end());
  both.insert(both.end(), smoothed.begin(), smoothed.end());
  const Range xr = padded(steps), yr = padded(both);

  Canvas c(kWidth, kHeight, kWhite);
  const int x0 = kLeft, x1 = kWidth - kRight, y0 = kTop, y1 = kHeight - kBottom;  // the axes' box
  auto px = [&](double x) { return x0 + (x - xr.lo) / (xr.hi - xr.lo) * (x1 - x0); };
  auto py = [&](double y) { return y1 - (y - yr.lo) / (yr.hi - yr.lo) * (y1 - y0); };

  // Ticks with their labels, then the box over them.
  int decimals = 0;
  for (double t : ticks(xr, decimals)) {
    const int x = static_cast<int>(std::lround(px(t)));
    c.fill_rect(x, y1, x, y1 + 5, kBlack);
    const std::string label = format_tick(t, decimals);
    c.text(x - Canvas::text_width(label, kText) / 2, y1 + 9, label, kBlack, kText);
  }
  for (double t : ticks(yr, decimals)) {
    const int y = static_cast<int>(std::lround(py(t)));
    c.fill_rect(x0 - 5, y, x0, y, kBlack);
    const std::string label = format_tick(t, decimals);
    c.text(x0 - 9 - Canvas::text_width(label, kText), y - Canvas::text_height(kText) / 2, label, kBlack, kText);
  }
  c.fill_rect(x0, y0, x1, y0, kBlack);
  c.fill_rect(x0, y1, x1, y1, kBlack);
  c.fill_rect(x0, y0, x0, y1, kBlack);
  c.fill_rect(x1, y0, x1, y1, kBlack);

  std::vector<std::pair<double, double>> raw, smooth_pts;
  for (size_t i = 0; i < steps.size(); ++i) {
    raw.emplace_back(px(steps[i]), py(values[i]));
    smooth_pts.emplace_back(px(steps[i]), py(smoothed[i]));
  }
  c.polyline(raw, kBlue, 0.4, 2, x0 + 1, y0 + 1, x1 - 1, y1 - 1);
  c.polyline(smooth_pts, kBlue, 1.0, 2, x0 + 1, y0 + 1, x1 - 1, y1 - 1);

  // Title, axis labels, legend (upper right, as matplotlib's "best" usually lands for a falling loss).
  c.text((kWidth - Canvas::text_width(title, kText)) / 2, 15, title, kBlack, kText);
  c.text((x0 + x1 - Canvas::text_width("step", kText)) / 2, kHeight - 22, "step", kBlack, kText);
  c.text(8, y0 - 22, ylabel, kBlack, kText);
  const int lw = 30 + 8 + Canvas::text_width("smoothed", kText) + 16, lx = x1 - lw - 10, ly = y0 + 10;
  c.fill_rect(lx, ly, lx + lw, ly + 44, kWhite);
  c.fill_rect(lx, ly, lx + lw, ly, kGrey);
  c.fill_rect(lx, ly + 44, lx + lw, ly + 44, kGrey);
  c.fill_rect(lx, ly, lx, ly + 44, kGrey);
  c.fill_rect(lx + lw, ly, lx + lw, ly + 44, kGrey);
  c.polyline({{lx + 8.0, ly + 14.0}, {lx + 38.0, ly + 14.0}}, kBlue, 0.4, 2, 0, 0, kWidth, kHeight);
  c.text(lx + 46, ly + 7, "original", kBlack, kText);
  c.polyline({{lx + 8.0, ly + 32.0}, {lx + 38.0, ly + 32.0}}, kBlue, 1.0, 2, 0, 0, kWidth, kHeight);
  c.text(lx + 46, ly + 25, "smoothed", kBlack, kText);

  return io::encode_png_rgb(c.width(), c.height(), c.pixels());
}

std::vector<std::filesystem::path> plot_loss(const std::filesystem::path& output_dir, const std::vector<std::string>& keys) {
  const auto state = io::read_json_file(output_dir / "trainer_state.json");
  std::vector<std::filesystem::path> written;
  for (const auto& key : keys) {
    std::vector<double> steps, values;
    if (state.contains("log_history") && state["log_history"].is_array())
      for (const auto& entry : state["log_history"])
        if (entry.contains(key) && entry[key].is_number() && std::isfinite(entry[key].get<double>()) && entry.contains("step")) {
          steps.push_back(entry["step"].get<double>());
          values.push_back(entry[key].get<double>());
        }
    if (values.empty()) {
      log_info("plot_loss: no " + key + " to plot");
      continue;
    }
    std::string file_key = key;
    std::replace(file_key.begin(), file_key.end(), '/', '_');
    const auto file = output_dir / ("training_" + file_key + ".png");
    io::write_file_atomic(file, render_loss_plot(steps, values, "training " + key, key));
    written.push_back(file);
  }
  return written;
}

}  // namespace vltune::train
