<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="en" sourcelanguage="en">
<context>
    <name>vltune::DeviceIndicator</name>
    <message>
        <source>Compute device</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>CPU</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No CUDA device is available: training and generation run on the CPU.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>CUDA ×%1</source>
        <translation type="unfinished"></translation>
    </message>
    <message numerus="yes">
        <source>%n CUDA device(s) available for training and generation.</source>
        <translation>
            <numerusform>%n CUDA device available for training and generation.</numerusform>
            <numerusform>%n CUDA devices available for training and generation.</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>vltune::MainWindow</name>
    <message>
        <source>&amp;Quit</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Quit vltune</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;About vltune</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Show the vltune and LibTorch versions and whether CUDA is available</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>About &amp;Qt</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Show the Qt version and license</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;File</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Help</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Ready</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Fine-tune vision-language models on your own machine.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>vltune %1 · LibTorch %2 · %3</source>
        <extracomment>The runtime line on the start panel: vltune version, LibTorch version, CUDA summary.</extracomment>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>CUDA: not available, running on the CPU</source>
        <translation type="unfinished"></translation>
    </message>
    <message numerus="yes">
        <source>CUDA: %n device(s)</source>
        <translation>
            <numerusform>CUDA: %n device</numerusform>
            <numerusform>CUDA: %n devices</numerusform>
        </translation>
    </message>
    <message>
        <source>Image decoding: OpenCV</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Image decoding: not built in</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>LibTorch %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Qt %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>About vltune</source>
        <translation type="unfinished"></translation>
    </message>
</context>
</TS>
