<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN" sourcelanguage="en">
<context>
    <name>vltune::DeviceIndicator</name>
    <message>
        <source>Compute device</source>
        <translation>计算设备</translation>
    </message>
    <message>
        <source>CPU</source>
        <translation>CPU</translation>
    </message>
    <message>
        <source>No CUDA device is available: training and generation run on the CPU.</source>
        <translation>没有可用的 CUDA 设备：训练和生成在 CPU 上运行。</translation>
    </message>
    <message>
        <source>CUDA ×%1</source>
        <translation>CUDA ×%1</translation>
    </message>
    <message numerus="yes">
        <source>%n CUDA device(s) available for training and generation.</source>
        <translation>
            <numerusform>有 %n 个 CUDA 设备可用于训练和生成。</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>vltune::MainWindow</name>
    <message>
        <source>&amp;Quit</source>
        <translation>退出(&amp;Q)</translation>
    </message>
    <message>
        <source>Quit vltune</source>
        <translation>退出 vltune</translation>
    </message>
    <message>
        <source>&amp;About vltune</source>
        <translation>关于 vltune(&amp;A)</translation>
    </message>
    <message>
        <source>Show the vltune and LibTorch versions and whether CUDA is available</source>
        <translation>显示 vltune 和 LibTorch 的版本以及 CUDA 是否可用</translation>
    </message>
    <message>
        <source>About &amp;Qt</source>
        <translation>关于 Qt(&amp;Q)</translation>
    </message>
    <message>
        <source>Show the Qt version and license</source>
        <translation>显示 Qt 的版本和许可证</translation>
    </message>
    <message>
        <source>&amp;File</source>
        <translation>文件(&amp;F)</translation>
    </message>
    <message>
        <source>&amp;Help</source>
        <translation>帮助(&amp;H)</translation>
    </message>
    <message>
        <source>Ready</source>
        <translation>就绪</translation>
    </message>
    <message>
        <source>Fine-tune vision-language models on your own machine.</source>
        <translation>在你自己的电脑上微调视觉语言模型。</translation>
    </message>
    <message>
        <source>vltune %1 · LibTorch %2 · %3</source>
        <extracomment>The runtime line on the start panel: vltune version, LibTorch version, CUDA summary.</extracomment>
        <translation>vltune %1 · LibTorch %2 · %3</translation>
    </message>
    <message>
        <source>CUDA: not available, running on the CPU</source>
        <translation>CUDA：不可用，在 CPU 上运行</translation>
    </message>
    <message numerus="yes">
        <source>CUDA: %n device(s)</source>
        <translation>
            <numerusform>CUDA：%n 个设备</numerusform>
        </translation>
    </message>
    <message>
        <source>Image decoding: OpenCV</source>
        <translation>图像解码：OpenCV</translation>
    </message>
    <message>
        <source>Image decoding: not built in</source>
        <translation>图像解码：未内置</translation>
    </message>
    <message>
        <source>LibTorch %1</source>
        <translation>LibTorch %1</translation>
    </message>
    <message>
        <source>Qt %1</source>
        <translation>Qt %1</translation>
    </message>
    <message>
        <source>About vltune</source>
        <translation>关于 vltune</translation>
    </message>
</context>
</TS>
