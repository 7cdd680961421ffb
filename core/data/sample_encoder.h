#pragma once
// One dataset record -> what one model trains on, per family:
//   Qwen2-VL / Qwen2.5-VL, LLaVA, Idefics3 / SmolVLM: the template's input_ids and labels
//     (encode_supervised: LLaMA-Factory's SupervisedDatasetProcessor) and the pixels of the images
//     those ids keep, through ImagePreprocessor (decode, LLaMA-Factory's pre-resize, the family's
//     processor). The image tokens in the ids must equal what the processor's output stands for.
//   preference rows (Record::rejected): the prompt with each answer, both cut alike, only the
//     answers labelled (text::encode_pairwise: LLaMA-Factory's PairwiseDatasetProcessor).
//   CLIP (contrastive): the caption (Record::caption, else the last assistant turn) through the
//     CLIP tokenizer with its start/end tokens, cut to max_position_embeddings (the end token
//     kept, as transformers' truncation does), and the record's one image.
// Images are decoded here, and their decoded (upright) size is what the template expands, so the
// text and the pixels agree even where a file header's size would not.
// encode() is const and thread-safe: the batch loader's workers share one encoder.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>

#include "core/data/dataset.h"
#include "core/data/image_cache.h"
#include "core/data/image_preprocessor.h"
#include "core/io/hf_config.h"
#include "core/text/chat_template.h"
#include "core/text/supervised_encoding.h"
#include "core/text/tokenizer.h"

namespace vltune::data {

// How records become training examples.
struct EncoderParams {
  std::string template_name;          // LLaMA-Factory template ("" = the model type's default); not used for CLIP
  text::SupervisedParams supervised;  // cutoff_len, train_on_prompt, mask_history, image pre-resize
  std::filesystem::path cache_dir;    // prepared images are cached here ("" = no cache; data/image_cache.h)
  ImageCacheParams cache;             // the cache's size cap and overwrite
  bool raw_pixels = false;            // pixel_values stay uint8, normalised where they are used (data/batch_inputs.h)
};

// One record, encoded.
struct EncodedExample {
  int64_t index = -1;                  // the record's index in the dataset
  std::string where;                   // "file row N", for messages
  std::vector<text::TokenId> input_ids;  // the tokens
  std::vector<text::TokenId> labels;     // per token: its id where learned, kIgnoreIndex elsewhere; empty for CLIP
  at::Tensor pixel_values;             // float32 (uint8 with EncoderParams::raw_pixels); undefined without images. Qwen: [rows, C*T*P*P] (images' rows in order); LLaVA, CLIP: [images, C, H, W]; Idefics3: [tiles, C, H, W] (every image's tiles in order, padded bottom/right to the largest)
  at::Tensor image_grid_thw;           // Qwen: [images, 3] int64
  at::Tensor pixel_attention_mask;     // Idefics3: [tiles, H, W] int64, 1 on real pixels
  at::Tensor pixel_table;              // uint8 pixel_values: what each channel value normalises to, float32 [C, 256]; undefined otherwise
  std::vector<text::ImageSize> image_sizes;  // per kept image: the size given to the processor
  std::vector<std::string> notes;      // what truncation cut
  std::vector<text::TokenId> rejected_input_ids;  // preference rows: the prompt and the rejected answer (input_ids: the chosen one); empty otherwise
  std::vector<text::TokenId> rejected_labels;     // preference rows: kIgnoreIndex but on the rejected answer
  std::vector<int64_t> packed_indices;  // a packed row (data/packing.h): each sample's record, in row order; empty otherwise
  std::vector<int64_t> packed_lengths;  // a packed row: each sample's token count, in row order (summing to input_ids' size)
};

class SampleEncoder {
 public:
  // Reads a model folder: config.json (the family), the tokenizer, preprocessor_config.json (and
  // processor_config.json when present). Throws FileError / FormatError naming the file, or Error
  // when the template does not fit the model.
  explicit SampleEncoder(const std::filesystem::path& model_folder, EncoderParams params = {});

  io::ModelFamily family() const { return m_config.family(); }
  const io::ModelConfig& config() const { return m_config; }
  const text::Tokenizer& tokenizer() const { return *m_tokenizer; }
  const ImagePreprocessor& images() const { return *m_images; }
  const EncoderParams& params() const { return m_params; }
  // The template (nullptr for CLIP).
  const text::ConversationTemplate* chat_template() const { return m_template; }
  // The id padding takes: the tokenizer's pad token, else its EOS.
  text::TokenId pad_id() const { return m_pad_id; }
  // The cache, when there is one.
  ImageCache* cache() const { return m_cache.get(); }

  // Encodes dataset record `record` (its index `index`, carried along). Throws FileError /
  // FormatError / Error whose message starts with the record's "file row N".
  EncodedExample encode(const Record& record, int64_t index = -1) const;

  // encode(record).input_ids.size(), without decoding the images: each one's upright size (what
  // the template expands) comes from its file's header (probe_image_size, EXIF orientation
  // applied). What packing plans rows by. Not for CLIP. Throws as encode() does.
  int64_t encoded_length(const Record& record) const;

  // The generation prompt of `record` for a chat model trained by this encoder: its conversation
  // up to the last user turn (a final assistant turn, the answer, is left out) through the same
  // training template with an empty answer, so the ids are exactly those a trained answer follows
  // (LLaMA-Factory's chat), with the same images. No cutoff_len cut. labels: all kIgnoreIndex
  // (collate() takes it as is). Not for CLIP. Throws as encode() does.
  EncodedExample encode_prompt(const Record& record, int64_t index = -1) const;

  // One image file through the preprocessing, via the cache when there is one. `label` names it.
  ProcessedImage load_image(const std::filesystem::path& path, const std::string& label) const;

 private:
  EncodedExample encode_chat(const Record& record, const std::string& where) const;
  EncodedExample encode_clip(const Record& record, const std::string& where) const;
  EncodedExample encode_chat_prompt(const Record& record, const std::string& where) const;
  // The record's conversation with each image's decoded (upright) size, and the images processed.
  text::Conversation chat_conversation(const Record& record, const std::string& where,
                                       std::vector<ProcessedImage>& processed) const;
  // Sets ex's pixel tensors from `kept` (in the order their blocks stand in ex.input_ids) after
  // checking that the ids hold as many image tokens as those images stand for.
  void attach_images(EncodedExample& ex, const std::vector<const ProcessedImage*>& kept, const std::string& where) const;

  EncoderParams m_params;
  io::ModelConfig m_config;
  std::shared_ptr<const text::Tokenizer> m_tokenizer;
  const text::ConversationTemplate* m_template = nullptr;
  text::ImageLayout m_layout;
  std::unique_ptr<ImagePreprocessor> m_images;
  std::unique_ptr<ImageCache> m_cache;
  text::TokenId m_pad_id = 0;
  text::TokenId m_image_token_id = -1;  // the id the image token has (-1 for CLIP)
};

// "file row N" of a record.
std::string record_label(const Record& record);

}  // namespace vltune::data
