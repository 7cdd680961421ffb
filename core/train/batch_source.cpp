#include "core/train/batch_source.h"

#include <chrono>

namespace vltune::train {

LoaderBatchSource::LoaderBatchSource(const data::SampleEncoder& encoder, std::span<const data::Record> records,
                                     std::vector<int64_t> samples, data::LoaderParams params, std::stop_token stop)
    : m_encoder(encoder), m_records(records), m_samples(std::move(samples)), m_params(params), m_stop(std::move(stop)) {}

LoaderBatchSource::LoaderBatchSource(const data::SampleEncoder& encoder, std::span<const data::Record> records,
                                     data::PackedRowsPlan packed, data::LoaderParams params, std::stop_token stop)
    : m_encoder(encoder), m_records(records), m_packed(std::move(packed)), m_params(params), m_stop(std::move(stop)) {}

int64_t LoaderBatchSource::batches_per_epoch() const {
  // As BatchLoader counts them.
  const auto n = static_cast<int64_t>(m_packed ? m_packed->rows.size() : m_samples.size());
  const int64_t bs = m_params.batch_size;
  if (bs <= 0) return 0;
  return m_params.drop_last ? n / bs : (n + bs - 1) / bs;
}

void LoaderBatchSource::restart(data::LoaderPosition from, int64_t epochs) {
  m_loader.reset();  // stops and joins the old workers first
  m_first = true;
  data::LoaderParams params = m_params;
  params.epochs = epochs;
  if (m_packed)
    m_loader = std::make_unique<data::BatchLoader>(m_encoder, m_records, *m_packed, params, from, m_stop);
  else
    m_loader = std::make_unique<data::BatchLoader>(m_encoder, m_records, m_samples, params, from, m_stop);
}

std::optional<data::Batch> LoaderBatchSource::next() {
  if (!m_loader) return std::nullopt;
  const auto start = std::chrono::steady_clock::now();
  std::optional<data::Batch> batch = m_loader->next();
  if (batch && !m_first) {
    m_waited += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    ++m_counted;
  }
  if (batch) m_first = false;
  return batch;
}

data::LoaderPosition LoaderBatchSource::position() const {
  return m_loader ? m_loader->position() : data::LoaderPosition{};
}

}  // namespace vltune::train
