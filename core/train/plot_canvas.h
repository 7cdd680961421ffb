#pragma once
// A tiny RGB raster for the loss plots: pixels, lines blended once per polyline (so a faint curve
// stays evenly faint where its segments meet), filled rectangles, and text in a 5x7 pixel font
// (digits, lowercase letters, ". - + : _ ( ) /"; uppercase drawn as lowercase, others blank).

#include <cstdint>
#include <string_view>
#include <utility>
#include <vector>

namespace vltune::train {

struct Rgb {
  uint8_t r = 0, g = 0, b = 0;
};

class Canvas {
 public:
  Canvas(int width, int height, Rgb background);

  int width() const { return m_width; }
  int height() const { return m_height; }
  // height rows of width * 3 bytes.
  const std::vector<uint8_t>& pixels() const { return m_pixels; }
  Rgb at(int x, int y) const;

  // Mixes `color` into the pixel with weight alpha (outside the canvas: nothing).
  void blend(int x, int y, Rgb color, double alpha = 1.0);
  void fill_rect(int x0, int y0, int x1, int y1, Rgb color);  // inclusive corners
  // Connected segments through `points` (pixel coordinates), `thickness` pixels wide, each pixel
  // blended once, clipped to the rectangle [clip_x0, clip_x1] x [clip_y0, clip_y1].
  void polyline(const std::vector<std::pair<double, double>>& points, Rgb color, double alpha, int thickness,
                int clip_x0, int clip_y0, int clip_x1, int clip_y1);
  // Text with its top-left corner at (x, y), each font pixel `scale` x `scale`.
  void text(int x, int y, std::string_view s, Rgb color, int scale = 1);
  static int text_width(std::string_view s, int scale = 1);
  static int text_height(int scale = 1) { return 7 * scale; }

 private:
  int m_width, m_height;
  std::vector<uint8_t> m_pixels;
};

}  // namespace vltune::train
