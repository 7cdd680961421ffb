#include "core/data/image_preprocessor.h"

#include <sstream>
#include <utility>

#include <ATen/ATen.h>

#include "core/error.h"
#include "core/vision/image_ops.h"

namespace vltune::data {

namespace {

std::string size_text(text::ImageSize s) { return std::to_string(s.width) + "x" + std::to_string(s.height); }

std::string shape_text(at::IntArrayRef shape) {
  std::string out = "[";
  for (size_t i = 0; i < shape.size(); ++i) out += (i ? ", " : "") + std::to_string(shape[i]);
  return out + "]";
}

void write_normalize(std::ostringstream& s, const vision::NormalizeParams& n) {
  s << " rescale=" << n.do_rescale << ':' << n.rescale_factor << " normalize=" << n.do_normalize << " mean=";
  for (double v : n.image_mean) s << v << ',';
  s << " std=";
  for (double v : n.image_std) s << v << ',';
}

}  // namespace

ImagePreprocessor::ImagePreprocessor(io::ModelFamily family, text::ImageLayout layout,
                                     const io::PreprocessorConfig& preprocessor, bool pre_resize,
                                     text::LlamaFactoryImageParams resize_params)
    : m_family(family), m_layout(std::move(layout)), m_pre_resize(pre_resize), m_resize(resize_params) {
  std::ostringstream s;
  s.precision(17);
  // Bump the version whenever prepare() changes its arithmetic: old cache entries then miss.
  s << "vltune-image-v3 family=" << io::model_family_name(family);
  if (m_pre_resize) s << " pre_resize=" << m_resize.image_max_pixels << ':' << m_resize.image_min_pixels;
  switch (family) {
    case io::ModelFamily::qwen2_vl:
    case io::ModelFamily::qwen2_5_vl: {
      m_qwen.emplace(preprocessor);
      const auto& p = m_qwen->params();
      s << " qwen resize=" << p.do_resize << " pixels=" << p.min_pixels << ':' << p.max_pixels << " patch="
        << p.patch_size << " temporal=" << p.temporal_patch_size << " merge=" << p.merge_size;
      write_normalize(s, p.normalize);
      break;
    }
    case io::ModelFamily::llava:
    case io::ModelFamily::clip: {
      m_clip.emplace(preprocessor);
      const auto& p = m_clip->params();
      s << " clip square=" << p.pad_to_square << " resize=" << p.do_resize << " shortest=" << p.shortest_edge
        << " size=" << p.resize_width << 'x' << p.resize_height << " crop=" << p.do_center_crop << ':'
        << p.crop_width << 'x' << p.crop_height;
      write_normalize(s, p.normalize);
      break;
    }
    case io::ModelFamily::idefics3: {
      m_idefics3.emplace(preprocessor);
      const auto& p = m_idefics3->params();
      s << " idefics3 resize=" << p.do_resize << " longest=" << p.longest_edge << " split=" << p.do_image_splitting
        << " tile=" << p.max_image_size;
      write_normalize(s, p.normalize);
      break;
    }
  }
  m_fingerprint = s.str();
  const vision::NormalizeParams& normalize = m_qwen ? m_qwen->params().normalize
                                             : m_clip ? m_clip->params().normalize
                                                      : m_idefics3->params().normalize;
  try {
    m_table = vision::normalize_table(normalize, 3);
  } catch (const Error& e) {
    m_table_error = std::string("preprocessor_config.json: ") + e.what();  // as process() would say, at the first image
  }
}

at::Tensor ImagePreprocessor::pixel_table() const {
  if (!m_table.defined()) throw Error(m_table_error);
  return m_table;
}

text::ImageSize ImagePreprocessor::target_size(text::ImageSize source) const {
  return m_pre_resize ? text::llamafactory_image_size(source, m_resize, m_layout.plugin) : source;
}

text::ImageSize ImagePreprocessor::prepared_size(text::ImageSize source) const {
  const text::ImageSize target = target_size(source);
  if (m_qwen) {
    const text::QwenGrid g = m_qwen->grid(target);
    return {g.w * m_qwen->params().patch_size, g.h * m_qwen->params().patch_size};
  }
  if (m_clip) return m_clip->output_size(target);
  return m_idefics3->prepared_size(target);
}

at::Tensor ImagePreprocessor::prepare(const at::Tensor& rgb, const std::string& label) const {
  if (rgb.dim() != 3 || rgb.scalar_type() != at::kByte)
    throw Error(label + ": expected a [3, H, W] uint8 image, got " + shape_text(rgb.sizes()));
  const text::ImageSize source{rgb.size(2), rgb.size(1)};
  const text::ImageSize target = target_size(source);
  // LLaMA-Factory's image.resize((w, h)): PIL's bicubic, antialiased when shrinking.
  const at::Tensor image =
      target == source ? rgb : vision::resize_bicubic_antialias(rgb, target.height, target.width);
  if (m_qwen) return m_qwen->prepare(image, label);
  if (m_clip) return m_clip->prepare(image, label);
  return m_idefics3->prepare(image, label);
}

ProcessedImage ImagePreprocessor::finish(const at::Tensor& prepared, text::ImageSize source, const std::string& label,
                                        bool normalize) const {
  const text::ImageSize want = prepared_size(source);
  if (prepared.dim() != 3 || prepared.scalar_type() != at::kByte || prepared.size(2) != want.width ||
      prepared.size(1) != want.height)
    throw Error(label + ": a prepared image of a " + size_text(source) + " source is uint8 [3, " +
                std::to_string(want.height) + ", " + std::to_string(want.width) + "], got " + shape_text(prepared.sizes()));
  ProcessedImage out;
  out.source = source;
  out.target = target_size(source);
  if (!normalize && !m_table.defined()) throw Error(label + ": " + m_table_error);
  if (m_qwen) {
    auto q = m_qwen->finish(prepared, label, normalize);
    out.pixel_values = std::move(q.pixel_values);
    out.image_grid_thw = std::move(q.image_grid_thw);
  } else if (m_clip) {
    out.pixel_values = m_clip->finish(prepared, label, normalize);
  } else {
    out.pixel_values = m_idefics3->finish(prepared, out.rows, out.cols, label, normalize);
  }
  out.pixel_values = out.pixel_values.contiguous();
  return out;
}

ProcessedImage ImagePreprocessor::process(const at::Tensor& rgb, const std::string& label) const {
  return finish(prepare(rgb, label), {rgb.size(2), rgb.size(1)}, label);
}

int64_t ImagePreprocessor::image_tokens(const ProcessedImage& image) const {
  switch (m_family) {
    case io::ModelFamily::qwen2_vl:
    case io::ModelFamily::qwen2_5_vl: {
      const int64_t merge = m_qwen->params().merge_size;
      return image.pixel_values.size(0) / (merge * merge);  // one token per merge x merge patches
    }
    case io::ModelFamily::llava:
      return text::llava_image_tokens({image.pixel_values.size(3), image.pixel_values.size(2)}, m_layout.patch_size,
                                      m_layout.num_additional_image_tokens, m_layout.vision_feature_select_strategy);
    case io::ModelFamily::idefics3:
      return image.pixel_values.size(0) * m_layout.image_seq_len;  // every tile, the global view included
    case io::ModelFamily::clip: return 0;
  }
  return 0;
}

}  // namespace vltune::data
