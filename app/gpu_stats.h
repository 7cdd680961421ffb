#pragma once

#include <QByteArray>
#include <QString>
#include <QVector>

#include <memory>

namespace vltune {

// One NVIDIA GPU as NVML reports it; -1 where NVML could not tell.
struct GpuSample
{
    QString name;                // "NVIDIA H100 80GB HBM3"
    int utilizationPercent = -1; // busy share of the last sample period
    qint64 memoryUsed = -1;      // bytes
    qint64 memoryTotal = -1;     // bytes
    int temperatureC = -1;       // GPU core
    double powerW = -1;          // board draw
};

// The machine's and this process's memory (Linux /proc; -1 elsewhere or when unreadable).
struct MemorySample
{
    qint64 processRss = -1;      // resident bytes of this process
    qint64 systemTotal = -1;     // MemTotal
    qint64 systemAvailable = -1; // MemAvailable
};

// GPU and memory readings for the Monitor. NVML (libnvidia-ml.so.1, shipped with the NVIDIA driver)
// is loaded at run time, so the app starts and runs on machines without it; then only memory is
// reported. Not thread-safe: sample from one thread.
class GpuStats final
{
public:
    // Loads NVML from `library` (default: $VLTUNE_NVML_LIBRARY, else the driver's
    // "libnvidia-ml.so.1" from the loader's path) and initialises it.
    explicit GpuStats(const QString &library = QString());
    ~GpuStats();
    GpuStats(const GpuStats &) = delete;
    GpuStats &operator=(const GpuStats &) = delete;

    // NVML was loaded and initialised (it may still report zero devices).
    bool available() const;
    // Why it is not available, for the user ("NVML not found", "nvmlInit_v2 failed: 9").
    QString unavailableReason() const;
    // One reading per device (empty when unavailable).
    QVector<GpuSample> sampleGpus() const;

    // Reads /proc/self/statm and /proc/meminfo.
    static MemorySample sampleMemory();
    // Resident bytes from /proc/self/statm's text (second field, in pages); -1 when malformed.
    static qint64 parseStatmRss(const QByteArray &statm, qint64 pageSize);
    // MemTotal and MemAvailable (kB in the file) from /proc/meminfo's text, in bytes; -1 for a
    // missing key.
    static MemorySample parseMeminfo(const QByteArray &meminfo);

private:
    struct Nvml;
    std::unique_ptr<Nvml> m_nvml;
    QString m_reason;
};

} // namespace vltune
