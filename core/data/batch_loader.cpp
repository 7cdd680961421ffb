#include "core/data/batch_loader.h"

#include <algorithm>
#include <string>
#include <utility>

#include "core/data/packing.h"
#include "core/data/split.h"
#include "core/error.h"

namespace vltune::data {

namespace {

std::vector<std::vector<int64_t>> one_each(const std::vector<int64_t>& samples) {
  std::vector<std::vector<int64_t>> items;
  items.reserve(samples.size());
  for (int64_t s : samples) items.push_back({s});
  return items;
}

}  // namespace

BatchLoader::BatchLoader(const SampleEncoder& encoder, std::span<const Record> records, std::vector<int64_t> samples,
                         LoaderParams params, LoaderPosition start, std::stop_token stop, LoaderHooks hooks)
    : BatchLoader(encoder, records, one_each(samples), false, false, params, start, std::move(stop), std::move(hooks)) {}

BatchLoader::BatchLoader(const SampleEncoder& encoder, std::span<const Record> records, PackedRowsPlan packed,
                         LoaderParams params, LoaderPosition start, std::stop_token stop, LoaderHooks hooks)
    : BatchLoader(encoder, records, std::move(packed.rows), true, packed.isolated, params, start, std::move(stop),
                  std::move(hooks)) {}

BatchLoader::BatchLoader(const SampleEncoder& encoder, std::span<const Record> records,
                         std::vector<std::vector<int64_t>> items, bool packed, bool isolated, LoaderParams params,
                         LoaderPosition start, std::stop_token stop, LoaderHooks hooks)
    : m_encoder(encoder), m_records(records), m_items(std::move(items)), m_packed(packed), m_isolated(isolated),
      m_params(params), m_hooks(std::move(hooks)) {
  const auto n = static_cast<int64_t>(m_items.size());
  const int64_t bs = m_params.batch_size;
  if (bs < 1) throw Error("batch_size should be at least 1, got " + std::to_string(bs));
  if (m_params.workers < 1) throw Error("workers should be at least 1, got " + std::to_string(m_params.workers));
  if (m_params.prefetch < 1) throw Error("prefetch should be at least 1, got " + std::to_string(m_params.prefetch));
  if (m_params.epochs < 0) throw Error("epochs should not be negative, got " + std::to_string(m_params.epochs));
  for (const auto& item : m_items) {
    if (item.empty()) throw Error("a packed row without samples");
    for (int64_t i : item)
      if (i < 0 || i >= static_cast<int64_t>(m_records.size()))
        throw Error("sample " + std::to_string(i) + " is not a record of the dataset (" +
                    std::to_string(m_records.size()) + " records)");
  }
  m_item_numbers.resize(m_items.size());
  for (size_t i = 0; i < m_items.size(); ++i) m_item_numbers[i] = static_cast<int64_t>(i);
  m_per_epoch = m_params.drop_last ? n / bs : (n + bs - 1) / bs;
  if (m_per_epoch == 0)
    throw Error(std::to_string(n) + (m_packed ? " packed rows" : " samples") + " make no batch of batch_size " +
                std::to_string(bs) + (m_params.drop_last ? " with drop_last" : ""));
  m_end = m_params.epochs * m_per_epoch;
  if (start.epoch < 0 || start.batch < 0 || start.batch >= m_per_epoch ||
      start.epoch * m_per_epoch + start.batch > m_end)
    throw Error("loader position epoch " + std::to_string(start.epoch) + " batch " + std::to_string(start.batch) +
                " is outside the run (" + std::to_string(m_params.epochs) + " epochs of " +
                std::to_string(m_per_epoch) + " batches)");
  m_next = m_claim_batch = start.epoch * m_per_epoch + start.batch;
  for (int i = 0; i < m_params.workers; ++i) m_threads.emplace_back([this] { work(); });
  // Last: a token that is already stopped runs the callback right here.
  if (stop.stop_possible()) m_stop_callback.emplace(stop, std::function<void()>([this] { request_stop(); }));
}

BatchLoader::~BatchLoader() {
  m_stop_callback.reset();
  request_stop();
  for (auto& t : m_threads) t.join();
}

void BatchLoader::request_stop() {
  {
    std::lock_guard lock(m_mutex);
    m_stopping = true;
  }
  m_work_cv.notify_all();
  m_ready_cv.notify_all();
}

const std::vector<int64_t>& BatchLoader::order_of(int64_t epoch) {
  auto it = m_orders.find(epoch);
  if (it == m_orders.end())
    it = m_orders.emplace(epoch, epoch_order(m_item_numbers, m_params.seed, epoch, m_params.shuffle)).first;
  return it->second;
}

int64_t BatchLoader::ahead_locked() const { return m_claim_batch + (m_claim_slot > 0 ? 1 : 0) - m_next; }

int64_t BatchLoader::batches_ahead() const {
  std::lock_guard lock(m_mutex);
  return ahead_locked();
}

LoaderPosition BatchLoader::position() const {
  std::lock_guard lock(m_mutex);
  return {m_next / m_per_epoch, m_next % m_per_epoch};
}

void BatchLoader::work() {
  const auto n = static_cast<int64_t>(m_items.size());
  const int64_t bs = m_params.batch_size;
  for (;;) {
    int64_t seq = 0, slot = 0, item = 0;
    {
      std::unique_lock lock(m_mutex);
      m_work_cv.wait(lock, [&] {
        return m_stopping || m_failed || m_claim_batch >= m_end || m_claim_batch < m_next + m_params.prefetch;
      });
      if (m_stopping || m_failed || m_claim_batch >= m_end) return;
      seq = m_claim_batch;
      slot = m_claim_slot;
      const int64_t epoch = seq / m_per_epoch, first = (seq % m_per_epoch) * bs;
      Pending& p = m_pending[seq];
      if (p.size == 0) {
        p.size = std::min(bs, n - first);
        p.examples.resize(static_cast<size_t>(p.size));
      }
      item = order_of(epoch)[static_cast<size_t>(first + slot)];
      if (++m_claim_slot == p.size) {
        m_claim_slot = 0;
        ++m_claim_batch;
      }
    }

    EncodedExample example;
    std::exception_ptr error;
    try {
      const auto& records = m_items[static_cast<size_t>(item)];
      if (m_packed) {
        std::vector<EncodedExample> parts;
        for (int64_t record : records) parts.push_back(m_encoder.encode(m_records[static_cast<size_t>(record)], record));
        example = pack_examples(std::move(parts));
      } else {
        example = m_encoder.encode(m_records[static_cast<size_t>(records.front())], records.front());
      }
    } catch (...) {
      error = std::current_exception();
    }

    std::vector<EncodedExample> complete;
    {
      std::lock_guard lock(m_mutex);
      Pending& p = m_pending.at(seq);
      if (p.ready) continue;  // the batch already failed
      if (error) {
        p.error = error;
        p.ready = true;
        m_failed = true;
      } else {
        p.examples[static_cast<size_t>(slot)] = std::move(example);
        if (++p.done == p.size) complete = std::move(p.examples);
      }
    }
    if (error) {
      m_ready_cv.notify_all();
      m_work_cv.notify_all();
      continue;
    }
    if (complete.empty()) continue;

    // Collated outside the lock: other workers go on meanwhile.
    Batch batch;
    try {
      batch = collate(complete, m_encoder.family(), m_encoder.pad_id());
      batch.isolated_segments = m_packed && m_isolated;
      if (m_params.pin_memory) pin_device_inputs(batch);
    } catch (...) {
      error = std::current_exception();
    }
    int64_t ahead = 0;
    {
      std::lock_guard lock(m_mutex);
      Pending& p = m_pending.at(seq);
      p.ready = true;
      if (error) {
        p.error = error;
        m_failed = true;
      } else {
        p.batch = std::move(batch);
        p.batch.epoch = seq / m_per_epoch;
        p.batch.step = seq % m_per_epoch;
      }
      ahead = ahead_locked();
    }
    m_ready_cv.notify_all();
    if (error) m_work_cv.notify_all();
    if (m_hooks.on_batch_ready) m_hooks.on_batch_ready(ahead);
  }
}

std::optional<Batch> BatchLoader::next() {
  std::unique_lock lock(m_mutex);
  if (m_next >= m_end) return std::nullopt;
  m_ready_cv.wait(lock, [&] {
    if (m_stopping) return true;
    const auto it = m_pending.find(m_next);
    return it != m_pending.end() && it->second.ready;
  });
  if (m_stopping) return std::nullopt;
  auto it = m_pending.find(m_next);
  if (it->second.error) std::rethrow_exception(it->second.error);  // kept: a second call throws again
  Batch batch = std::move(it->second.batch);
  m_pending.erase(it);
  ++m_next;
  // Orders of epochs the workers have left behind are no longer needed.
  m_orders.erase(m_orders.begin(), m_orders.lower_bound(std::min(m_next, m_claim_batch) / m_per_epoch));
  lock.unlock();
  m_work_cv.notify_all();  // the window moved on
  return batch;
}

}  // namespace vltune::data
