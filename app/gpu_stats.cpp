#include "app/gpu_stats.h"

#include <QCoreApplication>
#include <QFile>
#include <QLibrary>

#if defined(Q_OS_UNIX)
#include <unistd.h>
#endif

namespace vltune {

namespace {

// The few NVML declarations used, as nvml.h (NVML API v2, stable since driver 3xx) has them; the
// header is not needed at build time because the library is resolved at run time.
using nvmlReturn_t = int;          // NVML_SUCCESS = 0
using nvmlDevice_t = struct nvmlDevice_st *;
constexpr nvmlReturn_t kNvmlSuccess = 0;
constexpr int kNvmlTemperatureGpu = 0;  // NVML_TEMPERATURE_GPU
constexpr unsigned kNameLength = 96;    // NVML_DEVICE_NAME_V2_BUFFER_SIZE

struct NvmlUtilization
{
    unsigned gpu;     // percent
    unsigned memory;  // percent
};

struct NvmlMemory
{
    unsigned long long total;  // bytes
    unsigned long long free;
    unsigned long long used;
};

using InitFn = nvmlReturn_t (*)();
using ShutdownFn = nvmlReturn_t (*)();
using CountFn = nvmlReturn_t (*)(unsigned *);
using HandleFn = nvmlReturn_t (*)(unsigned, nvmlDevice_t *);
using UtilizationFn = nvmlReturn_t (*)(nvmlDevice_t, NvmlUtilization *);
using MemoryFn = nvmlReturn_t (*)(nvmlDevice_t, NvmlMemory *);
using TemperatureFn = nvmlReturn_t (*)(nvmlDevice_t, int, unsigned *);
using PowerFn = nvmlReturn_t (*)(nvmlDevice_t, unsigned *);  // milliwatts
using NameFn = nvmlReturn_t (*)(nvmlDevice_t, char *, unsigned);

// The value after `key` on its own line of /proc/meminfo ("MemTotal:  16303412 kB"), in bytes.
qint64 meminfoBytes(const QByteArray &text, const QByteArray &key)
{
    for (const QByteArray &line : text.split('\n')) {
        if (!line.startsWith(key) || line.size() <= key.size() || line[key.size()] != ':')
            continue;
        const QList<QByteArray> fields = line.mid(key.size() + 1).simplified().split(' ');
        bool ok = false;
        const qint64 value = fields.value(0).toLongLong(&ok);
        if (!ok)
            return -1;
        const bool kib = fields.value(1) == "kB";
        return kib ? value * 1024 : value;
    }
    return -1;
}

} // namespace

struct GpuStats::Nvml
{
    QLibrary library;
    ShutdownFn shutdown = nullptr;
    CountFn count = nullptr;
    HandleFn handle = nullptr;
    UtilizationFn utilization = nullptr;
    MemoryFn memory = nullptr;
    TemperatureFn temperature = nullptr;
    PowerFn power = nullptr;
    NameFn name = nullptr;
};

GpuStats::GpuStats(const QString &library)
{
    auto nvml = std::make_unique<Nvml>();
    // VLTUNE_NVML_LIBRARY points at another copy (a driver installed off the loader's path).
    const QString file = library.isEmpty() ? qEnvironmentVariable("VLTUNE_NVML_LIBRARY") : library;
    if (file.isEmpty())
        nvml->library.setFileNameAndVersion(QStringLiteral("nvidia-ml"), 1);
    else
        nvml->library.setFileName(file);
    if (!nvml->library.load()) {
        m_reason = QCoreApplication::translate("GpuStats", "NVML not found");
        return;
    }
    auto resolve = [&](const char *symbol) { return nvml->library.resolve(symbol); };
    const auto init = reinterpret_cast<InitFn>(resolve("nvmlInit_v2"));
    nvml->shutdown = reinterpret_cast<ShutdownFn>(resolve("nvmlShutdown"));
    nvml->count = reinterpret_cast<CountFn>(resolve("nvmlDeviceGetCount_v2"));
    nvml->handle = reinterpret_cast<HandleFn>(resolve("nvmlDeviceGetHandleByIndex_v2"));
    nvml->utilization = reinterpret_cast<UtilizationFn>(resolve("nvmlDeviceGetUtilizationRates"));
    nvml->memory = reinterpret_cast<MemoryFn>(resolve("nvmlDeviceGetMemoryInfo"));
    nvml->temperature = reinterpret_cast<TemperatureFn>(resolve("nvmlDeviceGetTemperature"));
    nvml->power = reinterpret_cast<PowerFn>(resolve("nvmlDeviceGetPowerUsage"));
    nvml->name = reinterpret_cast<NameFn>(resolve("nvmlDeviceGetName"));
    // The readings are optional (a null one reads as -1); init, count and handles are not.
    if (!init || !nvml->shutdown || !nvml->count || !nvml->handle) {
        m_reason = QCoreApplication::translate("GpuStats", "NVML too old: no nvmlInit_v2");
        return;
    }
    if (const nvmlReturn_t rc = init(); rc != kNvmlSuccess) {
        m_reason = QCoreApplication::translate("GpuStats", "nvmlInit_v2 failed with code %1").arg(rc);
        return;
    }
    m_nvml = std::move(nvml);
}

GpuStats::~GpuStats()
{
    if (m_nvml)
        m_nvml->shutdown();
}

bool GpuStats::available() const
{
    return m_nvml != nullptr;
}

QString GpuStats::unavailableReason() const
{
    return m_reason;
}

QVector<GpuSample> GpuStats::sampleGpus() const
{
    QVector<GpuSample> out;
    if (!m_nvml)
        return out;
    unsigned count = 0;
    if (m_nvml->count(&count) != kNvmlSuccess)
        return out;
    for (unsigned i = 0; i < count; ++i) {
        nvmlDevice_t device = nullptr;
        if (m_nvml->handle(i, &device) != kNvmlSuccess)
            continue;
        GpuSample s;
        char name[kNameLength] = {};
        if (m_nvml->name && m_nvml->name(device, name, kNameLength) == kNvmlSuccess)
            s.name = QString::fromUtf8(name);
        else
            s.name = QStringLiteral("GPU %1").arg(i);
        NvmlUtilization util{};
        if (m_nvml->utilization && m_nvml->utilization(device, &util) == kNvmlSuccess)
            s.utilizationPercent = int(util.gpu);
        NvmlMemory memory{};
        if (m_nvml->memory && m_nvml->memory(device, &memory) == kNvmlSuccess) {
            s.memoryUsed = qint64(memory.used);
            s.memoryTotal = qint64(memory.total);
        }
        unsigned temperature = 0;
        if (m_nvml->temperature && m_nvml->temperature(device, kNvmlTemperatureGpu, &temperature) == kNvmlSuccess)
            s.temperatureC = int(temperature);
        unsigned milliwatts = 0;
        if (m_nvml->power && m_nvml->power(device, &milliwatts) == kNvmlSuccess)
            s.powerW = milliwatts / 1000.0;
        out.append(s);
    }
    return out;
}

MemorySample GpuStats::sampleMemory()
{
    MemorySample s;
#if defined(Q_OS_LINUX)
    QFile meminfo(QStringLiteral("/proc/meminfo"));
    if (meminfo.open(QIODevice::ReadOnly))
        s = parseMeminfo(meminfo.readAll());  // /proc files report size 0: read to the end
    QFile statm(QStringLiteral("/proc/self/statm"));
    if (statm.open(QIODevice::ReadOnly))
        s.processRss = parseStatmRss(statm.readAll(), sysconf(_SC_PAGESIZE));
#endif
    return s;
}

qint64 GpuStats::parseStatmRss(const QByteArray &statm, qint64 pageSize)
{
    // "size resident shared text lib data dt", in pages.
    const QList<QByteArray> fields = statm.simplified().split(' ');
    if (fields.size() < 2 || pageSize <= 0)
        return -1;
    bool ok = false;
    const qint64 pages = fields[1].toLongLong(&ok);
    return ok && pages >= 0 ? pages * pageSize : -1;
}

MemorySample GpuStats::parseMeminfo(const QByteArray &meminfo)
{
    MemorySample s;
    s.systemTotal = meminfoBytes(meminfo, "MemTotal");
    s.systemAvailable = meminfoBytes(meminfo, "MemAvailable");
    return s;
}

} // namespace vltune
