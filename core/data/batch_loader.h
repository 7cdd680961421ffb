#pragma once
// Batches for the trainer, made ahead of it by worker threads: each worker takes the next sample
// in order, encodes it (text, image decoding and preprocessing: SampleEncoder), and whoever
// finishes a batch's last sample collates it. The consumer gets batches strictly in order.
//
// Order: epoch e visits `samples` in epoch_order(samples, seed, e); batch b of epoch e is its
// samples [b * batch_size, (b + 1) * batch_size). Everything is a function of (samples, seed,
// batch_size, drop_last), so the batches are the same whatever the number of workers, and a run
// restarted from a saved position() gets exactly the batches that would have followed.
//
// Memory: workers take a sample only from the first `prefetch` batches the consumer has not yet
// received, so at most `prefetch` batches are built or being built ahead of the consumer (plus
// the one it holds). Workers beyond prefetch * batch_size have nothing to do.
//
// Errors: a sample that cannot be encoded (its message names "file row N") is re-thrown by next()
// when the consumer reaches its batch, after every earlier batch was delivered; workers stop
// taking work then. Stopping (request_stop() or the stop token given) is checked between samples;
// next() then returns nullopt.

#include <condition_variable>
#include <cstdint>
#include <exception>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <span>
#include <stop_token>
#include <thread>
#include <vector>

#include "core/data/collate.h"
#include "core/data/dataset.h"
#include "core/data/sample_encoder.h"

namespace vltune::data {

struct LoaderParams {
  int64_t batch_size = 8;    // samples per batch
  bool drop_last = false;    // leave out each epoch's last batch when it is smaller
  bool shuffle = true;       // a new order every epoch (off: `samples` as given)
  uint64_t seed = 42;        // seed of the epoch orders
  int64_t epochs = 1;        // epochs to go through; next() ends after the last
  int workers = 2;           // threads encoding and preprocessing ahead of the consumer (>= 1)
  int64_t prefetch = 2;      // most batches built or being built ahead of the consumer (>= 1)
  bool pin_memory = false;   // page-lock each batch's device inputs (pin_device_inputs; for a CUDA run)
};

// Packed rows (data/packing.h) to load in place of single samples: each row's samples are encoded
// and made one example (pack_examples), and an epoch's order shuffles the rows.
struct PackedRowsPlan {
  std::vector<std::vector<int64_t>> rows;  // dataset records of each row, in row order
  bool isolated = false;                   // neat_packing: Batch::isolated_segments
};

// Where a loader is: the batch next() returns next. Save it with a checkpoint and give it back to
// a new loader to continue from the same sample.
struct LoaderPosition {
  int64_t epoch = 0;  // 0-based epoch
  int64_t batch = 0;  // 0-based batch within the epoch

  bool operator==(const LoaderPosition&) const = default;
};

// Observers, called from worker threads: quick, never throwing, never calling into the loader.
struct LoaderHooks {
  std::function<void(int64_t batches_ahead)> on_batch_ready;  // a batch was collated; batches built or being built ahead of the consumer
};

class BatchLoader {
 public:
  // Loads `records[i]` for each i of `samples` (e.g. Split::train), starting at `start`. `encoder`
  // and `records` must outlive the loader. Workers start at once. Throws vltune::Error for
  // parameters that give no batch or a position outside the run.
  BatchLoader(const SampleEncoder& encoder, std::span<const Record> records, std::vector<int64_t> samples,
              LoaderParams params = {}, LoaderPosition start = {}, std::stop_token stop = {}, LoaderHooks hooks = {});
  // The same over packed rows: batch_size counts rows, and a batch carries segment_ids.
  BatchLoader(const SampleEncoder& encoder, std::span<const Record> records, PackedRowsPlan packed,
              LoaderParams params = {}, LoaderPosition start = {}, std::stop_token stop = {}, LoaderHooks hooks = {});
  // Stops the workers and waits for them (each finishes the sample it is on).
  ~BatchLoader();
  BatchLoader(const BatchLoader&) = delete;
  BatchLoader& operator=(const BatchLoader&) = delete;

  // The next batch (waiting for it), with Batch::epoch and Batch::step set; nullopt after the
  // last epoch or once stopped. Re-throws a worker's error (FileError / FormatError / Error
  // naming the record's file and row) when its batch is reached. Call from one thread.
  std::optional<Batch> next();

  // The position of the batch next() returns next ({epochs, 0} at the end).
  LoaderPosition position() const;
  int64_t batches_per_epoch() const { return m_per_epoch; }
  // Batches built or being built ahead of the consumer now (never above prefetch).
  int64_t batches_ahead() const;
  // Asks the workers to stop after their current sample; next() then returns nullopt.
  void request_stop();

 private:
  BatchLoader(const SampleEncoder& encoder, std::span<const Record> records, std::vector<std::vector<int64_t>> items,
              bool packed, bool isolated, LoaderParams params, LoaderPosition start, std::stop_token stop, LoaderHooks hooks);

  struct Pending {
    std::vector<EncodedExample> examples;  // by slot
    int64_t size = 0;                      // samples in the batch
    int64_t done = 0;                      // samples encoded
    bool ready = false;                    // collated, or failed
    Batch batch;                           // when ready without error
    std::exception_ptr error;              // what went wrong
  };

  void work();
  const std::vector<int64_t>& order_of(int64_t epoch);  // under m_mutex
  int64_t ahead_locked() const;

  const SampleEncoder& m_encoder;
  std::span<const Record> m_records;
  std::vector<std::vector<int64_t>> m_items;  // the records of each unit: one sample, or a packed row's
  std::vector<int64_t> m_item_numbers;         // 0 .. items - 1, what an epoch's order shuffles
  bool m_packed = false;                       // units are packed rows
  bool m_isolated = false;                     // their samples attend only to themselves
  LoaderParams m_params;
  LoaderHooks m_hooks;
  int64_t m_per_epoch = 0;  // batches per epoch
  int64_t m_end = 0;        // batches in the run (epochs * per epoch)

  mutable std::mutex m_mutex;
  std::condition_variable m_work_cv;   // workers: room in the window, or stop
  std::condition_variable m_ready_cv;  // consumer: a batch is ready, or stop
  int64_t m_next = 0;        // the batch the consumer gets next (run-wide numbering)
  int64_t m_claim_batch = 0; // the batch the next sample to take belongs to
  int64_t m_claim_slot = 0;  // its slot in that batch
  bool m_stopping = false;
  bool m_failed = false;     // a batch failed: no more work is taken
  std::map<int64_t, Pending> m_pending;             // batches taken on and not yet delivered
  std::map<int64_t, std::vector<int64_t>> m_orders;  // epoch -> its order (still needed ones)

  std::vector<std::thread> m_threads;
  std::optional<std::stop_callback<std::function<void()>>> m_stop_callback;
};

}  // namespace vltune::data
