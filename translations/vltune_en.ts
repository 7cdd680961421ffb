<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="en" sourcelanguage="en">
<context>
    <name>vltune::ChatController</name>
    <message>
        <source>%1 (%2) on %3</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>vltune::ChatPage</name>
    <message>
        <source>Error: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>not answered</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Model folder (config.json, safetensors, tokenizer)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Model…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Adapter folders, separated by &apos;;&apos; (optional)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>PEFT adapters (a run&apos;s output_dir or a checkpoint-N folder). Each answers in its own column.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Adapter…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Compare with base</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Also answer with the base model, the adapters switched off (one copy of the weights).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Load</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No model loaded</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Most new tokens per answer. Usual: 128–1024.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Sample</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Draw tokens at random (temperature, top-p) instead of always the most likely one.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Higher is more varied. Usual: 0.2–1.0.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Sample among the most likely tokens holding this much probability. Usual: 0.7–1.0.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Multiplies the adapters&apos; effect: 0 is the base model, 1 as trained.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>System prompt (empty: the template&apos;s default)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Max new tokens</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Temperature</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Top-p</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Adapter scale</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Attach image…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Attach images</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Images (*.png *.jpg *.jpeg *.webp *.bmp *.gif)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Ask about the images… (Ctrl+Enter sends; paste or drop images here)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Send</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Stop</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Regenerate</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Clear</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Copy</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No image attached</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Next message shows: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Model folder</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Adapter folder</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Choose a model folder first</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Loading %1…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 tokens · %2 · first token %3 ms · %4 tok/s</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>vltune::ChatTranscript</name>
    <message>
        <source>[%1] %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>User: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Model: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>You:</source>
        <translation type="unfinished"></translation>
    </message>
</context>
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
    <name>vltune::LossChart</name>
    <message>
        <source>step</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Follow</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Keep the newest step in view (double-click the chart to turn it back on)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Fit</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Show all the data</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Weight of the exponential moving average drawn over the train loss</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Smoothing</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Invalid image size %1×%2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Could not write the image %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Could not write %1: %2</source>
        <translation type="unfinished"></translation>
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
    <message>
        <source>Start</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Chat</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Monitor</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>vltune::MonitorPage</name>
    <message>
        <source>No run open</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Open run…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>A training run&apos;s output_dir: its trainer_log.jsonl is drawn and followed while it grows.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>loss</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>learning rate</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Training run (output_dir)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No trainer_log.jsonl in this folder yet: waiting for the run to log its first step.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>step %1 of %2 (%3%) · elapsed %4 · remaining %5</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source> · %1 tokens/s</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>skipped: %1</source>
        <translation type="unfinished"></translation>
    </message>
</context>
</TS>
