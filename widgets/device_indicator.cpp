#include "widgets/device_indicator.h"

#include <algorithm>

namespace vltune {

DeviceIndicator::DeviceIndicator(QWidget *parent)
    : QLabel(parent)
{
    setObjectName(QStringLiteral("deviceIndicator"));
    setAccessibleName(tr("Compute device"));
    // A little air on both sides so it does not touch the size grip or the status message.
    setContentsMargins(8, 0, 8, 0);
    updateText();
}

void DeviceIndicator::setCudaDeviceCount(int count)
{
    count = std::max(count, 0);
    if (count == m_cudaDeviceCount)
        return;
    m_cudaDeviceCount = count;
    updateText();
}

void DeviceIndicator::updateText()
{
    if (m_cudaDeviceCount == 0) {
        setText(tr("CPU"));
        setToolTip(tr("No CUDA device is available: training and generation run on the CPU."));
    } else {
        setText(tr("CUDA ×%1").arg(m_cudaDeviceCount));
        setToolTip(tr("%n CUDA device(s) available for training and generation.", nullptr,
                      m_cudaDeviceCount));
    }
}

} // namespace vltune
