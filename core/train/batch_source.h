#pragma once
// Where the trainer's batches come from: data::BatchLoader in the application (LoaderBatchSource),
// anything that can replay batches in the tests. The trainer asks for the batches from a position
// on, so a resumed run continues with the batch that would have come next.

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <stop_token>
#include <vector>

#include "core/data/batch_loader.h"
#include "core/data/collate.h"

namespace vltune::train {

class BatchSource {
 public:
  virtual ~BatchSource() = default;
  // Batches in one epoch (> 0).
  virtual int64_t batches_per_epoch() const = 0;
  // The seed of the epoch orders (saved with a checkpoint; a resume with another seed would see
  // other batches).
  virtual uint64_t seed() const = 0;
  // Delivers batches from `from` up to the end of epoch `epochs` - 1.
  virtual void restart(data::LoaderPosition from, int64_t epochs) = 0;
  // The next batch, with Batch::epoch and Batch::step set; nullopt at the end (or once stopped).
  virtual std::optional<data::Batch> next() = 0;
  // The position of the batch next() returns next.
  virtual data::LoaderPosition position() const = 0;
};

// Over data::BatchLoader: each restart() makes a new loader at the position (its workers start
// at once). `encoder` and `records` must outlive the source; params.epochs is set by restart().
// Give it the stop token given to Trainer::train, so that a stop also ends a wait for a batch.
class LoaderBatchSource final : public BatchSource {
 public:
  LoaderBatchSource(const data::SampleEncoder& encoder, std::span<const data::Record> records,
                    std::vector<int64_t> samples, data::LoaderParams params, std::stop_token stop = {});
  // Over packed rows (data/packing.h): params.batch_size counts rows.
  LoaderBatchSource(const data::SampleEncoder& encoder, std::span<const data::Record> records,
                    data::PackedRowsPlan packed, data::LoaderParams params, std::stop_token stop = {});

  int64_t batches_per_epoch() const override;
  uint64_t seed() const override { return m_params.seed; }
  void restart(data::LoaderPosition from, int64_t epochs) override;
  std::optional<data::Batch> next() override;
  data::LoaderPosition position() const override;

  // How long next() waited for the workers, and over how many batches, since construction; the
  // first batch after each restart() (the workers' start) is not counted. A trainer that waits
  // much is input-bound: more workers, or the image cache, would feed it faster.
  double waited_seconds() const { return m_waited; }
  int64_t waited_batches() const { return m_counted; }

 private:
  const data::SampleEncoder& m_encoder;
  std::span<const data::Record> m_records;
  std::vector<int64_t> m_samples;               // unpacked: the samples
  std::optional<data::PackedRowsPlan> m_packed;  // packed: the rows
  data::LoaderParams m_params;
  std::stop_token m_stop;
  std::unique_ptr<data::BatchLoader> m_loader;
  bool m_first = true;     // the next batch is the first since restart()
  double m_waited = 0;     // seconds waited in next(), first batches left out
  int64_t m_counted = 0;   // batches those seconds cover
};

}  // namespace vltune::train
