<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN" sourcelanguage="en">
<context>
    <name>vltune::ChatController</name>
    <message>
        <source>%1 (%2) on %3</source>
        <translation>%1（%2），运行于 %3</translation>
    </message>
</context>
<context>
    <name>vltune::ChatPage</name>
    <message>
        <source>Error: %1</source>
        <translation>错误：%1</translation>
    </message>
    <message>
        <source>not answered</source>
        <translation>未回答</translation>
    </message>
    <message>
        <source>Model folder (config.json, safetensors, tokenizer)</source>
        <translation>模型文件夹（config.json、safetensors、分词器）</translation>
    </message>
    <message>
        <source>Model…</source>
        <translation>模型…</translation>
    </message>
    <message>
        <source>Adapter folders, separated by &apos;;&apos; (optional)</source>
        <translation>适配器文件夹，用 &apos;;&apos; 分隔（可选）</translation>
    </message>
    <message>
        <source>PEFT adapters (a run&apos;s output_dir or a checkpoint-N folder). Each answers in its own column.</source>
        <translation>PEFT 适配器（训练的 output_dir 或 checkpoint-N 文件夹）。每个适配器在各自的一栏中回答。</translation>
    </message>
    <message>
        <source>Adapter…</source>
        <translation>适配器…</translation>
    </message>
    <message>
        <source>Compare with base</source>
        <translation>与基础模型对比</translation>
    </message>
    <message>
        <source>Also answer with the base model, the adapters switched off (one copy of the weights).</source>
        <translation>同时用基础模型回答：关闭适配器（只占一份权重）。</translation>
    </message>
    <message>
        <source>Load</source>
        <translation>加载</translation>
    </message>
    <message>
        <source>No model loaded</source>
        <translation>未加载模型</translation>
    </message>
    <message>
        <source>Most new tokens per answer. Usual: 128–1024.</source>
        <translation>每个回答最多生成的新词元数。常用：128–1024。</translation>
    </message>
    <message>
        <source>Sample</source>
        <translation>采样</translation>
    </message>
    <message>
        <source>Draw tokens at random (temperature, top-p) instead of always the most likely one.</source>
        <translation>按概率随机选取词元（温度、top-p），而不是总选最可能的那个。</translation>
    </message>
    <message>
        <source>Higher is more varied. Usual: 0.2–1.0.</source>
        <translation>越高越多样。常用：0.2–1.0。</translation>
    </message>
    <message>
        <source>Sample among the most likely tokens holding this much probability. Usual: 0.7–1.0.</source>
        <translation>只在累计概率达到此值的最可能词元中采样。常用：0.7–1.0。</translation>
    </message>
    <message>
        <source>Multiplies the adapters&apos; effect: 0 is the base model, 1 as trained.</source>
        <translation>放大或减弱适配器的作用：0 即基础模型，1 为训练所得。</translation>
    </message>
    <message>
        <source>System prompt (empty: the template&apos;s default)</source>
        <translation>系统提示词（留空：使用模板默认值）</translation>
    </message>
    <message>
        <source>Max new tokens</source>
        <translation>最大新词元数</translation>
    </message>
    <message>
        <source>Temperature</source>
        <translation>温度</translation>
    </message>
    <message>
        <source>Top-p</source>
        <translation>Top-p</translation>
    </message>
    <message>
        <source>Adapter scale</source>
        <translation>适配器强度</translation>
    </message>
    <message>
        <source>Attach image…</source>
        <translation>添加图片…</translation>
    </message>
    <message>
        <source>Attach images</source>
        <translation>添加图片</translation>
    </message>
    <message>
        <source>Images (*.png *.jpg *.jpeg *.webp *.bmp *.gif)</source>
        <translation>图片 (*.png *.jpg *.jpeg *.webp *.bmp *.gif)</translation>
    </message>
    <message>
        <source>Ask about the images… (Ctrl+Enter sends; paste or drop images here)</source>
        <translation>就图片提问…（Ctrl+Enter 发送；可在此粘贴或拖入图片）</translation>
    </message>
    <message>
        <source>Send</source>
        <translation>发送</translation>
    </message>
    <message>
        <source>Stop</source>
        <translation>停止</translation>
    </message>
    <message>
        <source>Regenerate</source>
        <translation>重新生成</translation>
    </message>
    <message>
        <source>Clear</source>
        <translation>清空</translation>
    </message>
    <message>
        <source>Copy</source>
        <translation>复制</translation>
    </message>
    <message>
        <source>No image attached</source>
        <translation>未添加图片</translation>
    </message>
    <message>
        <source>Next message shows: %1</source>
        <translation>下一条消息附带：%1</translation>
    </message>
    <message>
        <source>Model folder</source>
        <translation>模型文件夹</translation>
    </message>
    <message>
        <source>Adapter folder</source>
        <translation>适配器文件夹</translation>
    </message>
    <message>
        <source>Choose a model folder first</source>
        <translation>请先选择模型文件夹</translation>
    </message>
    <message>
        <source>Loading %1…</source>
        <translation>正在加载 %1…</translation>
    </message>
    <message>
        <source>%1 tokens · %2 · first token %3 ms · %4 tok/s</source>
        <translation>%1 个词元 · %2 · 首词元 %3 毫秒 · %4 词元/秒</translation>
    </message>
</context>
<context>
    <name>vltune::ChatTranscript</name>
    <message>
        <source>[%1] %2</source>
        <translation>[%1] %2</translation>
    </message>
    <message>
        <source>User: %1</source>
        <translation>用户：%1</translation>
    </message>
    <message>
        <source>Model: %1</source>
        <translation>模型：%1</translation>
    </message>
    <message>
        <source>You:</source>
        <translation>你：</translation>
    </message>
</context>
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
    <name>vltune::LossChart</name>
    <message>
        <source>step</source>
        <translation>步</translation>
    </message>
    <message>
        <source>Follow</source>
        <translation>跟随</translation>
    </message>
    <message>
        <source>Keep the newest step in view (double-click the chart to turn it back on)</source>
        <translation>始终显示最新的步（双击图表重新开启）</translation>
    </message>
    <message>
        <source>Fit</source>
        <translation>适应</translation>
    </message>
    <message>
        <source>Show all the data</source>
        <translation>显示全部数据</translation>
    </message>
    <message>
        <source>Weight of the exponential moving average drawn over the train loss</source>
        <translation>训练损失上所画指数移动平均的权重</translation>
    </message>
    <message>
        <source>Smoothing</source>
        <translation>平滑</translation>
    </message>
    <message>
        <source>Invalid image size %1×%2</source>
        <translation>无效的图像尺寸 %1×%2</translation>
    </message>
    <message>
        <source>Could not write the image %1</source>
        <translation>无法写入图像 %1</translation>
    </message>
    <message>
        <source>Could not write %1: %2</source>
        <translation>无法写入 %1：%2</translation>
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
    <message>
        <source>Start</source>
        <translation>开始</translation>
    </message>
    <message>
        <source>Chat</source>
        <translation>对话</translation>
    </message>
    <message>
        <source>Monitor</source>
        <translation>监控</translation>
    </message>
</context>
<context>
    <name>vltune::MonitorPage</name>
    <message>
        <source>No run open</source>
        <translation>未打开训练</translation>
    </message>
    <message>
        <source>Open run…</source>
        <translation>打开训练…</translation>
    </message>
    <message>
        <source>A training run&apos;s output_dir: its trainer_log.jsonl is drawn and followed while it grows.</source>
        <translation>训练的 output_dir：绘制其 trainer_log.jsonl，并在其增长时持续跟随。</translation>
    </message>
    <message>
        <source>loss</source>
        <translation>损失</translation>
    </message>
    <message>
        <source>learning rate</source>
        <translation>学习率</translation>
    </message>
    <message>
        <source>Training run (output_dir)</source>
        <translation>训练（output_dir）</translation>
    </message>
    <message>
        <source>No trainer_log.jsonl in this folder yet: waiting for the run to log its first step.</source>
        <translation>此文件夹中还没有 trainer_log.jsonl：正在等待训练记录第一步。</translation>
    </message>
    <message>
        <source>step %1 of %2 (%3%) · elapsed %4 · remaining %5</source>
        <translation>第 %1 / %2 步（%3%）· 已用 %4 · 剩余 %5</translation>
    </message>
    <message>
        <source> · %1 tokens/s</source>
        <translation> · %1 词元/秒</translation>
    </message>
    <message>
        <source>skipped: %1</source>
        <translation>已跳过：%1</translation>
    </message>
</context>
</TS>
