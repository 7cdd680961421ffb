#include "core/models/qwen_vision.h"

#include <cmath>

#include "core/device_transfer.h"
#include "core/error.h"

namespace vltune::models {

QwenVisionOptions qwen_vision_options(const io::Qwen2VLVisionConfig& c) {
  QwenVisionOptions o;
  o.depth = c.depth;
  o.width = c.embed_dim;
  o.heads = c.num_heads;
  o.mlp_width = static_cast<int64_t>(static_cast<double>(c.embed_dim) * c.mlp_ratio);
  o.act = c.hidden_act;
  o.gated_mlp = false;
  o.out_width = c.hidden_size;
  o.in_channels = c.in_channels;
  o.patch_size = c.patch_size;
  o.temporal_patch_size = c.temporal_patch_size;
  o.merge_size = c.spatial_merge_size;
  o.rope_theta = c.rope_theta;
  return o;
}

QwenVisionOptions qwen_vision_options(const io::Qwen2_5_VLVisionConfig& c) {
  QwenVisionOptions o;
  o.depth = c.depth;
  o.width = c.hidden_size;
  o.heads = c.num_heads;
  o.mlp_width = c.intermediate_size;
  o.act = c.hidden_act;
  o.gated_mlp = true;
  o.out_width = c.out_hidden_size;
  o.in_channels = c.in_channels;
  o.patch_size = c.patch_size;
  o.temporal_patch_size = c.temporal_patch_size;
  o.merge_size = c.spatial_merge_size;
  o.rope_theta = c.rope_theta;
  o.window_size = c.window_size;
  o.fullatt_block_indexes = c.fullatt_block_indexes;
  return o;
}

namespace {

// Qwen2-VL's block MLP: fc2(act(fc1(x))).
class VisionMlpImpl : public torch::nn::Module {
 public:
  VisionMlpImpl(int64_t width, int64_t hidden, std::string act) : m_act(std::move(act)) {
    check_activation(m_act, "vision MLP");
    fc1 = register_module("fc1", lora::LoraLinear(width, hidden));
    fc2 = register_module("fc2", lora::LoraLinear(hidden, width));
  }
  // x: [N, width] -> [N, width]
  torch::Tensor forward(const torch::Tensor& x) { return fc2(activation(m_act, fc1(x))); }

  lora::LoraLinear fc1{nullptr}, fc2{nullptr};

 private:
  std::string m_act;
};
TORCH_MODULE(VisionMlp);

// The norm of a block or the merger: RMSNorm (Qwen2.5-VL) or LayerNorm (Qwen2-VL), eps 1e-6.
torch::nn::AnyModule make_norm(bool rms, int64_t width) {
  if (rms) return torch::nn::AnyModule(RMSNorm(RMSNormOptions(width).eps(1e-6)));
  return torch::nn::AnyModule(torch::nn::LayerNorm(torch::nn::LayerNormOptions({width}).eps(1e-6)));
}

// Where the window attention's blocks are, and the order that groups each window's tokens
// (modeling_qwen2_5_vl.py get_window_index). `order` indexes merged tokens; `cu_seqlens` counts
// patches.
struct WindowLayout {
  std::vector<int64_t> order;       // merged-token index for each position in window order
  std::vector<int64_t> cu_seqlens;  // window boundaries, in patches, duplicates removed
};

// grid_thw: [images, 3] int64 on the CPU
WindowLayout window_layout(const torch::Tensor& grid_thw, const QwenVisionOptions& o) {
  WindowLayout layout;
  layout.cu_seqlens.push_back(0);
  const int64_t win = o.window_size / o.merge_size / o.patch_size;  // window side, in merged tokens
  const int64_t unit = o.merge_size * o.merge_size;
  int64_t base = 0;
  const auto g = grid_thw.accessor<int64_t, 2>();
  for (int64_t i = 0; i < g.size(0); ++i) {
    const int64_t t = g[i][0], gh = g[i][1] / o.merge_size, gw = g[i][2] / o.merge_size;
    // The reference pads by a whole window even when the side divides evenly; empty windows add nothing.
    const int64_t pad_h = win - gh % win, pad_w = win - gw % win;
    const int64_t nwh = (gh + pad_h) / win, nww = (gw + pad_w) / win;
    for (int64_t f = 0; f < t; ++f)
      for (int64_t wy = 0; wy < nwh; ++wy)
        for (int64_t wx = 0; wx < nww; ++wx) {
          int64_t count = 0;
          for (int64_t y = wy * win; y < (wy + 1) * win; ++y)
            for (int64_t x = wx * win; x < (wx + 1) * win; ++x)
              if (y < gh && x < gw) {
                layout.order.push_back(base + f * gh * gw + y * gw + x);
                ++count;
              }
          const int64_t boundary = layout.cu_seqlens.back() + count * unit;
          if (boundary != layout.cu_seqlens.back()) layout.cu_seqlens.push_back(boundary);
        }
    base += t * gh * gw;
  }
  return layout;
}

}  // namespace

QwenPatchEmbedImpl::QwenPatchEmbedImpl(const QwenVisionOptions& o) {
  proj = register_module("proj", torch::nn::Conv3d(torch::nn::Conv3dOptions(
                                                       o.in_channels, o.width, {o.temporal_patch_size, o.patch_size, o.patch_size})
                                                       .stride({o.temporal_patch_size, o.patch_size, o.patch_size})
                                                       .bias(false)));
}

torch::Tensor QwenPatchEmbedImpl::forward(const torch::Tensor& x) {
  const auto& k = proj->options.kernel_size();
  // [N, C*T*P*P] -> [N, C, T, P, P] -> conv -> [N, width, 1, 1, 1] -> [N, width]
  auto patches = x.view({-1, proj->options.in_channels(), (*k)[0], (*k)[1], (*k)[2]}).to(proj->weight.scalar_type());
  return proj(patches).view({-1, proj->options.out_channels()});
}

QwenVisionAttentionImpl::QwenVisionAttentionImpl(const QwenVisionOptions& o)
    : m_heads(o.heads), m_head_dim(o.width / o.heads) {
  qkv = register_module("qkv", lora::LoraLinear(o.width, 3 * o.width));
  proj = register_module("proj", lora::LoraLinear(o.width, o.width));
}

torch::Tensor QwenVisionAttentionImpl::forward(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin,
                                               const std::vector<int64_t>& cu_seqlens) {
  const int64_t n = x.size(0);
  // [N, 3 * width] -> [3, N, H, D]
  auto parts = qkv(x).view({n, 3, m_heads, m_head_dim}).permute({1, 0, 2, 3});
  auto q = parts[0], k = parts[1], v = parts[2];
  // Rotation in float32 (apply_rotary_pos_emb_vision); cos/sin: [N, 1, D]
  const auto dtype = q.scalar_type();
  auto c = cos.unsqueeze(-2).to(torch::kFloat32), s = sin.unsqueeze(-2).to(torch::kFloat32);
  q = apply_rotary(q.to(torch::kFloat32), c, s).to(dtype);
  k = apply_rotary(k.to(torch::kFloat32), c, s).to(dtype);
  // Each block of cu_seqlens attends only within itself. Consecutive blocks of one length go
  // through attention as one batch: a 448x448 image has 16 windows of 64 patches, and a call per
  // window made some 1,800 attention calls per step for a batch of four images, which bound a
  // GPU step by the host's launches.
  const double scale = 1.0 / std::sqrt(static_cast<double>(m_head_dim));
  std::vector<torch::Tensor> outputs;
  for (size_t i = 0; i + 1 < cu_seqlens.size();) {
    const int64_t start = cu_seqlens[i], len = cu_seqlens[i + 1] - cu_seqlens[i];
    size_t j = i + 1;  // blocks i .. j-1 all have `len` patches
    while (j + 1 < cu_seqlens.size() && cu_seqlens[j + 1] - cu_seqlens[j] == len) ++j;
    const auto blocks = static_cast<int64_t>(j - i);
    i = j;
    if (len <= 0) continue;
    // [N, H, D] -> [blocks, H, len, D]
    const auto batch = [&](const torch::Tensor& t) {
      return t.narrow(0, start, blocks * len).reshape({blocks, len, m_heads, m_head_dim}).permute({0, 2, 1, 3});
    };
    const auto o = attention(batch(q), batch(k), batch(v), {}, scale);  // [blocks, H, len, D]
    outputs.push_back(o.permute({0, 2, 1, 3}).reshape({blocks * len, m_heads * m_head_dim}));
  }
  // -> [N, H * D]
  auto out = outputs.size() == 1 ? outputs.front() : torch::cat(outputs, /*dim=*/0);
  return proj(out);
}

QwenVisionBlockImpl::QwenVisionBlockImpl(const QwenVisionOptions& o) {
  m_norm1 = make_norm(o.gated_mlp, o.width);
  m_norm2 = make_norm(o.gated_mlp, o.width);
  register_module("norm1", m_norm1.ptr());
  register_module("norm2", m_norm2.ptr());
  attn = register_module("attn", QwenVisionAttention(o));
  if (o.gated_mlp) m_mlp = torch::nn::AnyModule(GatedMlp(o.width, o.mlp_width, o.act, /*bias=*/true));
  else m_mlp = torch::nn::AnyModule(VisionMlp(o.width, o.mlp_width, o.act));
  register_module("mlp", m_mlp.ptr());
}

torch::Tensor QwenVisionBlockImpl::forward(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin,
                                           const std::vector<int64_t>& cu_seqlens) {
  auto h = x + attn(m_norm1.forward(x), cos, sin, cu_seqlens);
  return h + m_mlp.forward(m_norm2.forward(h));
}

QwenPatchMergerImpl::QwenPatchMergerImpl(const QwenVisionOptions& o) : m_in(o.width * o.merge_size * o.merge_size) {
  m_ln_q = make_norm(o.gated_mlp, o.width);
  register_module("ln_q", m_ln_q.ptr());
  mlp = register_module("mlp", torch::nn::Sequential(lora::LoraLinear(m_in, m_in), torch::nn::GELU(),
                                                     lora::LoraLinear(m_in, o.out_width)));
}

torch::Tensor QwenPatchMergerImpl::forward(const torch::Tensor& x) {
  // [N, width] -> [N / merge^2, width * merge^2] -> [N / merge^2, out_width]
  return mlp->forward(m_ln_q.forward(x).view({-1, m_in}));
}

QwenVisionImpl::QwenVisionImpl(QwenVisionOptions o) : m_options(std::move(o)) {
  if (m_options.width % m_options.heads != 0) throw FormatError("vision width is not divisible by num_heads");
  patch_embed = register_module("patch_embed", QwenPatchEmbed(m_options));
  blocks = register_module("blocks", torch::nn::ModuleList());
  for (int64_t i = 0; i < m_options.depth; ++i) blocks->push_back(QwenVisionBlock(m_options));
  merger = register_module("merger", QwenPatchMerger(m_options));
  const int64_t dim = m_options.width / m_options.heads / 2;  // VisionRotaryEmbedding(head_dim / 2)
  auto exponent = torch::arange(0, dim, 2, torch::kLong).to(torch::kFloat32) / static_cast<double>(dim);
  m_inv_freq = 1.0 / torch::pow(m_options.rope_theta, exponent);
}

torch::Tensor QwenVisionImpl::forward(const torch::Tensor& pixel_values, const torch::Tensor& grid_thw) {
  const int64_t m = m_options.merge_size;
  const auto g_cpu = grid_thw.to(torch::kCPU, torch::kLong).contiguous();  // as is when it is on the CPU already
  const auto g = g_cpu.accessor<int64_t, 2>();
  // 2-D positions of every patch, in the processor's merge-block order (rot_pos_emb).
  std::vector<torch::Tensor> positions;
  std::vector<int64_t> cu_seqlens{0};
  int64_t max_side = 0;
  for (int64_t i = 0; i < g.size(0); ++i) {
    const int64_t t = g[i][0], h = g[i][1], w = g[i][2];
    max_side = std::max({max_side, h, w});
    auto hpos = torch::arange(h, torch::kLong).unsqueeze(1).expand({h, w});
    auto wpos = torch::arange(w, torch::kLong).unsqueeze(0).expand({h, w});
    auto order = [&](const torch::Tensor& p) { return p.reshape({h / m, m, w / m, m}).permute({0, 2, 1, 3}).flatten(); };
    positions.push_back(torch::stack({order(hpos), order(wpos)}, -1).repeat({t, 1}));
    for (int64_t f = 0; f < t; ++f) cu_seqlens.push_back(cu_seqlens.back() + h * w);
  }
  auto pos = torch::cat(positions, 0);  // [N, 2]
  auto table = torch::arange(max_side, torch::kFloat32).unsqueeze(1) * m_inv_freq.unsqueeze(0);
  auto rotary = table.index({pos}).flatten(1);  // [N, head_dim / 2]

  auto h = patch_embed(pixel_values);  // [N, width]
  const int64_t n = h.size(0), unit = m * m;
  if (rotary.size(0) != n)
    throw FormatError("pixel_values has " + std::to_string(n) + " patch rows but image_grid_thw describes " +
                      std::to_string(rotary.size(0)));
  WindowLayout windows;
  torch::Tensor window_order;
  if (m_options.window_size > 0) {
    // Qwen2.5-VL: put each window's tokens together (merged-token granularity), positions too.
    windows = window_layout(g_cpu, m_options);
    window_order = torch::tensor(windows.order, torch::kLong);
    h = h.view({n / unit, unit, -1}).index({to_device(window_order, h.device())}).reshape({n, -1});
    rotary = rotary.view({n / unit, unit, -1}).index({window_order}).reshape({n, -1});
  }
  auto emb = to_device(torch::cat({rotary, rotary}, -1), h.device());
  auto cos = emb.cos().to(h.scalar_type()), sin = emb.sin().to(h.scalar_type());
  const bool checkpointed = checkpoint_blocks(is_training());
  for (int64_t i = 0; i < m_options.depth; ++i) {
    const bool full = m_options.window_size <= 0 ||
                      std::find(m_options.fullatt_block_indexes.begin(), m_options.fullatt_block_indexes.end(), i) !=
                          m_options.fullatt_block_indexes.end();
    auto block = blocks->ptr<QwenVisionBlockImpl>(static_cast<size_t>(i));
    const std::vector<int64_t>& bounds = full ? cu_seqlens : windows.cu_seqlens;
    // cos/sin and the boundaries are captured (copied: the recompute runs after this returns).
    if (checkpointed)
      h = checkpoint([block, cos, sin, bounds](const torch::Tensor& x) { return block->forward(x, cos, sin, bounds); }, h,
                     trainable_tensors(*block), checkpoint_options());
    else
      h = block->forward(h, cos, sin, bounds);  // [N, width]
  }
  h = merger(h);  // [N / unit, out_width]
  if (window_order.defined()) h = h.index({to_device(torch::argsort(window_order), h.device())});
  return h;
}

}  // namespace vltune::models
