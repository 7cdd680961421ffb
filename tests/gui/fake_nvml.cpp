// A stand-in for the NVIDIA driver's libnvidia-ml.so.1, for test_monitor_page: the few NVML entry
// points GpuStats resolves, with nvml.h's signatures and struct layouts, answering fixed readings
// for two GPUs. Each call fails with NVML_ERROR_UNINITIALIZED before nvmlInit_v2, as NVML does.

#define FAKE_NVML_EXPORT extern "C" __attribute__((visibility("default")))

namespace {

struct FakeDevice
{
    const char *name;
    unsigned utilization;
    unsigned long long total;
    unsigned long long used;
    unsigned temperature;
    unsigned milliwatts;
};

FakeDevice devices[] = {
    {"Fake H100 80GB HBM3", 87, 80ull << 30, 40ull << 30, 64, 310500},
    {"Fake L4", 3, 24ull << 30, 1ull << 30, 41, 18000},
};
bool initialised = false;
constexpr int kSuccess = 0;
constexpr int kUninitialised = 1;
constexpr int kInvalidArgument = 2;

} // namespace

struct nvmlUtilization_st
{
    unsigned gpu;
    unsigned memory;
};

struct nvmlMemory_st
{
    unsigned long long total;
    unsigned long long free;
    unsigned long long used;
};

FAKE_NVML_EXPORT int nvmlInit_v2()
{
    initialised = true;
    return kSuccess;
}

FAKE_NVML_EXPORT int nvmlShutdown()
{
    initialised = false;
    return kSuccess;
}

FAKE_NVML_EXPORT int nvmlDeviceGetCount_v2(unsigned *count)
{
    if (!initialised)
        return kUninitialised;
    *count = sizeof(devices) / sizeof(devices[0]);
    return kSuccess;
}

FAKE_NVML_EXPORT int nvmlDeviceGetHandleByIndex_v2(unsigned index, FakeDevice **device)
{
    if (!initialised)
        return kUninitialised;
    if (index >= sizeof(devices) / sizeof(devices[0]))
        return kInvalidArgument;
    *device = &devices[index];
    return kSuccess;
}

FAKE_NVML_EXPORT int nvmlDeviceGetUtilizationRates(FakeDevice *device, nvmlUtilization_st *utilization)
{
    utilization->gpu = device->utilization;
    utilization->memory = device->utilization / 2;
    return kSuccess;
}

FAKE_NVML_EXPORT int nvmlDeviceGetMemoryInfo(FakeDevice *device, nvmlMemory_st *memory)
{
    memory->total = device->total;
    memory->used = device->used;
    memory->free = device->total - device->used;
    return kSuccess;
}

FAKE_NVML_EXPORT int nvmlDeviceGetTemperature(FakeDevice *device, int sensor, unsigned *temperature)
{
    if (sensor != 0)  // NVML_TEMPERATURE_GPU
        return kInvalidArgument;
    *temperature = device->temperature;
    return kSuccess;
}

FAKE_NVML_EXPORT int nvmlDeviceGetPowerUsage(FakeDevice *device, unsigned *milliwatts)
{
    *milliwatts = device->milliwatts;
    return kSuccess;
}

FAKE_NVML_EXPORT int nvmlDeviceGetName(FakeDevice *device, char *name, unsigned length)
{
    unsigned i = 0;
    for (; device->name[i] && i + 1 < length; ++i)
        name[i] = device->name[i];
    name[i] = '\0';
    return kSuccess;
}
