#pragma once

#include <QLabel>

namespace vltune {

// Status-bar label naming the compute device the engine will use: "CPU", or "CUDA ×N" when N CUDA
// devices are visible, with a tooltip that says it in a sentence.
class DeviceIndicator final : public QLabel
{
    Q_OBJECT

public:
    explicit DeviceIndicator(QWidget *parent = nullptr);

    // 0 (or less) means CPU only.
    void setCudaDeviceCount(int count);
    int cudaDeviceCount() const { return m_cudaDeviceCount; }

private:
    void updateText();

    int m_cudaDeviceCount = 0;
};

} // namespace vltune
