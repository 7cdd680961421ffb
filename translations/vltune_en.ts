<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="en" sourcelanguage="en">
<context>
    <name>GpuStats</name>
    <message>
        <source>NVML not found</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>NVML too old: no nvmlInit_v2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>nvmlInit_v2 failed with code %1</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>HubClient</name>
    <message>
        <source>The Hub&apos;s answer for %1 is not JSON: %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The Hub&apos;s answer for %1 has no &quot;sha&quot; or &quot;siblings&quot;.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>HubToken</name>
    <message>
        <source>Cannot create the folder of %1.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cannot write %1: %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cannot make %1 private: %2</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>vltune::CaptionProposalBox</name>
    <message>
        <source>Adapter folder (optional: the base model without)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Adapter…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Adapter folder</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Describe the image.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>What the model is asked with the image</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Caption with Model…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Let the preview model (with the adapter) propose a caption for this image; nothing is written until you save.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The model&apos;s proposal appears here</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Use Proposal</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Put the proposal in the caption editor (Save Caption writes it).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Discard</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Could not caption: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Captioning %1…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The model proposed an empty caption.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Proposed by the model: use it or discard it.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Choose a model for the preview first (Model… above).</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>vltune::ChatController</name>
    <message>
        <source>%1 (%2) on %3</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 (CLIP retrieval) on %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source> · compares with %1 only</source>
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
    <message>
        <source> · CUDA graph</source>
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
    <name>vltune::ClipRetrievalView</name>
    <message>
        <source>Captions for an image</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Images for a caption</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Base</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Adapted</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Difference</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Probability with the adapter switched off (softmax over the candidates)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Probability with the adapter (softmax over the candidates)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Adapted minus base, in percentage points</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Rank</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Image…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Image to caption</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Images (*.png *.jpg *.jpeg *.webp *.bmp *.gif)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Candidate captions, one per line</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Score captions</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Which caption fits the image, by the base model and with the adapter</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Captions (one per line; paste or drop an image on the page)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Caption</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>A caption to find images for</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Folder of images</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Folder…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Rank images</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Which image of the folder fits the caption, by the base model and with the adapter</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Image</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Attach, drop or paste an image</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No image</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cannot show %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No adapter loaded: the base model&apos;s probabilities only.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Base against %1 on one loaded model; sorted by the adapted score.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>images</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>captions</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Probabilities: softmax over the %1 %2 (CLIP&apos;s logits_per_image). </source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Base model only; best first.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Base against %1, sorted by the adapted score; the best of each column is bold.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>logit %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source> · best in this column</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>vltune::DatasetPage</name>
    <message>
        <source>Edit caption of %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Could not write the caption: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Open Folder…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>A LLaMA-Factory data folder (dataset_info.json), a COCO folder or a folder of images with .txt captions.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Open File…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>A ShareGPT, Alpaca or OpenAI-messages .json / .jsonl file, or a dataset_info.json.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>none: no token counts, no prompt preview</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The model whose tokenizer and chat template count tokens, find too-long samples and render the training prompt.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Choose…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Clear</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Preview without a model</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Reading and validating…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Model for preview:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No dataset open</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Search captions and conversations</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>All samples</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&lt;p style=&apos;font-size:large&apos;&gt;Drop a dataset folder or file here&lt;/p&gt;&lt;p&gt;or use &lt;b&gt;Open Folder…&lt;/b&gt; / &lt;b&gt;Open File…&lt;/b&gt;&lt;/p&gt;&lt;p style=&apos;color:gray&apos;&gt;LLaMA-Factory folders (dataset_info.json), ShareGPT, Alpaca and OpenAI-messages files, COCO captions, and folders of images with .txt captions.&lt;/p&gt;</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Problem</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Where</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Message</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&lt;b&gt;Problems&lt;/b&gt; (click one to show its sample)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Samples</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Statistics</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No sample selected</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Fit</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Fit the image to the view</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Zoom out (Ctrl+wheel)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Zoom in (Ctrl+wheel)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>100%</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Actual pixels</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 %</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The caption this image is trained with</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Save Caption</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Write the caption to its .txt file (atomically; Undo restores the previous text).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Revert</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Discard the edit: show the caption as saved.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Undo</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Redo</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Conversation</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Training Prompt</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Caption</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 does not exist.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Reading %1…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Validating without a model…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Counting tokens with %1…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Open Dataset Folder</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Open Dataset File</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Datasets (*.json *.jsonl);;All files (*)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Model for Preview</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&lt;b&gt;%1&lt;/b&gt; — %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Samples: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Images: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No problems</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Problems: %1 (samples affected: %2)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Images without a caption (left out): %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The model could not be used for the preview: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 row %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>(dataset)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>With problems (%1)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1: %2, samples: %3</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>All %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 of %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>This problem is about a whole file, not one sample.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&lt;b&gt;#%1&lt;/b&gt; %2 row %3</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No image</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cannot show %1: %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&lt;p style=&apos;color:gray&apos;&gt;Rendering…&lt;/p&gt;</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&lt;p&gt;&lt;b&gt;system&lt;/b&gt;&lt;br&gt;%1&lt;/p&gt;</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>(not found)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&lt;p style=&apos;color:gray&apos;&gt;Images: %1&lt;/p&gt;</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&lt;p style=&apos;color:#c62828&apos;&gt;Problems: %1&lt;/p&gt;</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&lt;p style=&apos;color:gray&apos;&gt;Choose a &lt;b&gt;Model for preview&lt;/b&gt; to see this sample exactly as training encodes it, with the tokens that carry loss highlighted.&lt;/p&gt;</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&lt;p style=&apos;color:#c62828&apos;&gt;Not encodable: %1&lt;/p&gt;</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&lt;p&gt;&lt;b&gt;%1 tokens&lt;/b&gt;, &lt;span style=&apos;background:#c8ecd0&apos;&gt;%2 learned&lt;/span&gt; (highlighted); the rest is context without loss.&lt;/p&gt;</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cannot read %1: %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 changed on disk since it was read; open the dataset again to edit it.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Saved %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Tokens per sample: min %1 · mean %2 · p95 %3 · max %4</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Image width %1–%2 px (mean %3), height %4–%5 px (mean %6)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Token length per sample</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>tokens</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Token lengths: choose a Model for preview to measure them.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Image width</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>pixels</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No readable images.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Pin</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Pinned: answered before training and every N steps. Click to unpin (its question is on the Train page).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Four samples are pinned already; unpin one on the Train page first.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Pin this sample: the run answers it before training and every N steps, and the Monitor shows the answers change. Best taken from the validation split.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Pinned #%1 for training; ask it your own question on the Train page.</source>
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
    <name>vltune::EvaluateController</name>
    <message>
        <source>Reading the dataset…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Loading the model…</source>
        <translation type="unfinished"></translation>
    </message>
    <message numerus="yes">
        <source>%n sample(s) to predict, %1 skipped for problems · model on %2</source>
        <translation>
            <numerusform>%n sample to predict, %1 skipped for problems · model on %2</numerusform>
            <numerusform>%n samples to predict, %1 skipped for problems · model on %2</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n weights file(s), %1</source>
        <translation>
            <numerusform>%n weights file, %1</numerusform>
            <numerusform>%n weights files, %1</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>vltune::EvaluatePage</name>
    <message>
        <source>Browse…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Datasets (*.json *.jsonl *.csv *.parquet);;All files (*)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Evaluate &amp;&amp; Predict</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Model</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Base model folder (config.json, safetensors, tokenizer)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Adapter</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>LoRA adapter folder (optional: empty evaluates the base model)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Dataset</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Dataset folder (dataset_info.json) or file</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Dataset names from dataset_info.json, comma-separated (empty: all)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>LLaMA-Factory&apos;s eval_dataset: which entries of dataset_info.json to predict.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Output</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Folder for generated_predictions.jsonl and predict_results.json</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Created if missing. Files of an earlier prediction there are replaced.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>All</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>At most this many samples of each dataset (LLaMA-Factory&apos;s max_samples). Usual: 100–1000.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Most new tokens per answer. Usual: 128–1024.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Greedy</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Always the most likely token: repeatable scores. Off: sampling with LLaMA-Factory&apos;s defaults (temperature 0.95, top-p 0.7, top-k 50, seed 42).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Also compute eval loss</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The supervised loss and perplexity over the same samples (LLaMA-Factory&apos;s do_eval).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Skip rows with problems</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Leave out rows the template cannot take (missing images, bad roles). Off: refuse to run and list them.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Run</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Stop</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Stop after the current answer; the samples done are scored and written.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Max samples</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Max new tokens</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Choose a model, a dataset and an output folder.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Metric</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Value</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>BLEU-4</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>ROUGE-1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>ROUGE-2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>ROUGE-L</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Eval loss</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Perplexity</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>predict_bleu-4: NLTK sentence BLEU over characters, mean over samples</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>predict_rouge-1: unigram F-score</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>predict_rouge-2: bigram F-score</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>predict_rouge-l: longest common subsequence F-score</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>eval_loss: mean token cross-entropy of the answers</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>perplexity: exp(eval loss)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>ROUGE over characters: no jieba dictionary — not comparable to LLaMA-Factory</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Install python3-jieba (or set VLTUNE_JIEBA_DIR) to score ROUGE over jieba&apos;s words as LLaMA-Factory does.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Row</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Prompt</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Label</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Predict</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Merge &amp;&amp; Export</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Base mo&amp;del</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Base model folder</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Ada&amp;pter</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>LoRA adapter merged into the weights (empty: convert the base model)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>E&amp;xport to</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>New, empty folder for the merged checkpoint</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>As the model (config.json)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The weights&apos; dtype in the exported files. bfloat16 halves the size of a float32 model.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source> GB</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Largest weights file (transformers&apos; max_shard_size, default 5 GB); a bigger model is split into shards with an index.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Export</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Dtype</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Max shard size</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>A job is running</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Choose the model folder</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Model folder not found: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 has no config.json: not a model folder</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Adapter folder not found: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 has no adapter_config.json: not a LoRA adapter</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Choose the dataset folder or file</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Dataset not found: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Choose the output folder</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 is a file, not a folder</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Choose the folder to export to</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 is not empty: export into a new or empty folder (files there would be replaced)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Answer every sample and score the answers (BLEU-4, ROUGE)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Merge the adapter into the weights and write a full checkpoint</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Starting…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 / %2 samples · %3 elapsed</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Computing the eval loss…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Dataset row %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>∞</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Stopped after %1 of %2 samples; their predictions and scores are in %3</source>
        <translation type="unfinished"></translation>
    </message>
    <message numerus="yes">
        <source>Done: %n sample(s) in %1; predictions and scores are in %2</source>
        <translation>
            <numerusform>Done: %n sample in %1; predictions and scores are in %2</numerusform>
            <numerusform>Done: %n samples in %1; predictions and scores are in %2</numerusform>
        </translation>
    </message>
    <message>
        <source>Error: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Loading the model…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Merging the adapter…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Writing weights: %1 of %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Copying the tokenizer and configs…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Done</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Exported to &lt;a href=&quot;%1&quot;&gt;%2&lt;/a&gt; (%3)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Export failed: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Ready: Run answers the dataset&apos;s samples and scores the answers.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>vltune::GetModelDialog</name>
    <message>
        <source>Download</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Stop</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Use Model</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Get Model</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>organisation/name</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>A model repository on the Hugging Face Hub, as organisation/name.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>hf_… — only for gated or private models</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Repository:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Access &amp;token:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Endpoint:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>File</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Size</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Progress</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Status</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Only the files vltune needs are fetched (configs, tokenizer, processor, safetensors), into the Hugging Face cache that transformers uses too. An interrupted download resumes.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Download from the Hugging Face Hub</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Models on this machine</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Enter the repository as organisation/name, e.g. HuggingFaceTB/SmolVLM-256M-Instruct.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Asking %1 for the files of %2…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>waiting</source>
        <translation type="unfinished"></translation>
    </message>
    <message numerus="yes">
        <source>Downloading %n file(s) of %1 at commit %2…</source>
        <translation>
            <numerusform>Downloading %n file of %1 at commit %2…</numerusform>
            <numerusform>Downloading %n files of %1 at commit %2…</numerusform>
        </translation>
    </message>
    <message>
        <source>%1%</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>already cached</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>done ✓</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 of %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Downloaded and checked. The model is in %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>stopped</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Remember token</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Save the token in %1, readable only by you, where huggingface-cli login keeps it; transformers and other Hugging Face tools use it too. Without this the token is used for this download only.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The Hub or a mirror of it (the HF_ENDPOINT environment variable sets the default). Remembered for the next time.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>checking</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Checking the %1 of %2 kept from the last try before resuming…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>From the HF_TOKEN environment variable.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>From %1, where huggingface-cli login saved it.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The token was not saved: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Saved in %1 (readable only by you).</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>vltune::HistogramChart</name>
    <message>
        <source>count</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>vltune::HubClient</name>
    <message>
        <source>The Hub refused access to %1 (HTTP %2). A gated or private model needs an access token from an account that accepted its license.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 was not found on %2. Check the repository id (organisation/name).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Could not reach %1: %2</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>vltune::HubDownload</name>
    <message>
        <source>Download cancelled.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 has no config.json at the top level: it is not a model vltune can load.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Not enough disk space: %1 needs %2 more, but %3 has %4 free (keeping %5 spare). Free some space or set HF_HUB_CACHE to a bigger disk; what is already downloaded is kept.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cannot write %1: %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Could not write %1: %2. Is the disk full? The part already downloaded is kept; free some space and press Download again to resume.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Too many redirects while downloading %1.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The %1 already downloaded are kept; press Download again to resume.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Download cancelled. %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The server refused to resume %1 (HTTP 416); the partial file was removed. Press Download again to fetch it from the start.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The Hub refused %1 (HTTP %2). A gated model needs an access token from an account that accepted its license.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>HTTP %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Downloading %1 stopped: %2. %3</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The connection ended after %1 of %2 of %3. %4</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 is corrupt: %2 bytes received, the Hub lists %3. It was removed; press Download again.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 is corrupt: its sha256 is %2 but the Hub lists %3. It was removed and not put in the model folder; press Download again.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cannot move %1 to %2.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>it is shorter than expected</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cannot read the partly downloaded %1 (%2) to check it: %3</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>vltune::ImageCacheDialog</name>
    <message>
        <source>Empty.</source>
        <translation type="unfinished"></translation>
    </message>
    <message numerus="yes">
        <source>Holds %n prepared image(s), %1.</source>
        <translation>
            <numerusform>Holds %n prepared image, %1.</numerusform>
            <numerusform>Holds %n prepared images, %1.</numerusform>
        </translation>
    </message>
    <message>
        <source>Image Cache</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Keep prepared training images</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>C&amp;hoose…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Open</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Show the folder in the file manager</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source> GiB</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>no limit</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>When a run starts, the images used longest ago are removed until the folder holds at most this much.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>C&amp;lear…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Folder:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Size cap:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Now:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Changes apply from the next training run.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Name a folder.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Give the folder&apos;s full path.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 is a file, not a folder.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The folder does not exist yet; the next run makes it.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Image Cache Folder</source>
        <translation type="unfinished"></translation>
    </message>
    <message numerus="yes">
        <source>Remove the %n prepared image(s) in %1?

Training prepares them again when it next needs them. Only the cache&apos;s own files are removed.</source>
        <translation>
            <numerusform>Remove the %n prepared image in %1?

Training prepares it again when it next needs it. Only the cache&apos;s own files are removed.</numerusform>
            <numerusform>Remove the %n prepared images in %1?

Training prepares them again when it next needs them. Only the cache&apos;s own files are removed.</numerusform>
        </translation>
    </message>
    <message>
        <source>Remove</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Keep</source>
        <translation type="unfinished"></translation>
    </message>
    <message numerus="yes">
        <source>The old folder %1 still holds %n prepared image(s) (%2). Remove them?</source>
        <translation>
            <numerusform>The old folder %1 still holds %n prepared image (%2). Remove it?</numerusform>
            <numerusform>The old folder %1 still holds %n prepared images (%2). Remove them?</numerusform>
        </translation>
    </message>
    <message>
        <source>Training keeps each image it resizes a lot (a large photo shrunk to half its pixels or less, a small one enlarged into SmolVLM&apos;s tiles) at the model&apos;s resolution, so later epochs and runs skip decoding and resizing it. When the folder is full, the images a run hasn&apos;t used make room, those used longest ago first. vltune-cli uses the same default folder.</source>
        <translation type="unfinished"></translation>
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
    <message>
        <source>Dataset</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Train</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Evaluate &amp;&amp; Export</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Train page</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Training started: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Training: step %1 of %2, loss %3</source>
        <extracomment>Status bar during training: step, total, loss.</extracomment>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Checkpoint saved: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Training stopped at step %1 of %2; a checkpoint is in %3. Start again to resume.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Training finished at step %1 of %2 (mean train loss %3); the adapter is in %4.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Training failed: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Training failed</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Open dataset folder</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Training is running</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Stop training and quit? The run stops after the current step and writes a checkpoint, so it can be resumed later.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Open Dataset…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Open a dataset folder on the Dataset page</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&lt;b&gt;Demo project&lt;/b&gt;</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No demo project open. Open your own dataset and model to begin.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Train the demo</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Start the demo&apos;s LoRA run; the Monitor shows it, then compare in Chat.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Open my own dataset…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Choose my own model…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Preparing the demo project in %1…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The demo project could not be made: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>This is a demo: coloured shapes and a tiny Qwen2-VL with random weights, made on this machine in %1. Train it (under a minute on a CPU), watch the loss on the Monitor, then ask Chat &quot;What is in the picture?&quot; about a shape: the adapted model names it, the base model cannot.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>vltune — demo project</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Model folder (config.json, safetensors, tokenizer)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;View</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Theme</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;System</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Light</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Dark</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Language</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>System language</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The language changes when vltune starts again.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Reopened your last project (%1). Train the demo to try vltune on a tiny model first.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Get Model…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Download a model from the Hugging Face Hub, or pick one already on this machine</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Recent &amp;Datasets</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Restart now</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Quit and start vltune again in the chosen language; the last dataset and YAML reopen.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Image &amp;Cache…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Where training keeps prepared images, how much it may keep, and emptying it</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>vltune::ModelLibrary</name>
    <message>
        <source>unreadable config</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 (not supported)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Open Folder…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Model</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Family</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Size</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Dtype</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Use a model folder that is not in the Hugging Face cache (it must hold config.json).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No models in the Hugging Face cache at %1 yet.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Hugging Face cache: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Open Model Folder</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 is not a model vltune can load:
%2</source>
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
        <source>skipped: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Export PNG…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Save the chart as an image</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Export CSV…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Save every series as a table: one row per step</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No steps logged yet</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Show:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Train loss</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Eval loss</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Grad norm</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Learning rate</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Tokens/s</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Checkpoint</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Step</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Saved</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Double-click a checkpoint to chat with it</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Pinned samples</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Checkpoints</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Log</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Export chart</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>PNG images (*.png)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Export data</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>CSV files (*.csv)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>trainer_log.jsonl was rewritten (the run resumed): reading it again</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cannot read %1: %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>step %1/%2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>loss %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>eval loss %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>lr %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>grad norm %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 tokens/s</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>step %1 / %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>epoch %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 elapsed</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>done</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>ETA %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Checkpoints (%1)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Open in Chat</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Show folder</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>tokens/s</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Skipped: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No NVIDIA GPU (%1)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No NVIDIA GPU (NVML reports none)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>GPU %1 %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1% busy</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 / %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 °C</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 W</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>this app %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>system %1 / %2 used</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>CPU memory: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Reward margin</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>DPO: how much more the adapted model prefers the chosen answers than the base model does, beta × (log-ratio chosen − log-ratio rejected), averaged; it should climb.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Reward accuracy</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>DPO: the share of pairs whose chosen answer gets the higher reward (0–1).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>reward margin %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>accuracy %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>eval reward margin %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>loss, reward</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>vltune::PathEdit</name>
    <message>
        <source>Browse…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Choose a folder</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Choose a file</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>vltune::PinnedSamplesEditor</name>
    <message>
        <source>No samples pinned: the run answers its first four validation samples. Pin up to four on the Dataset page (the pin button above the image) and ask them your own question.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Answer every</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source> steps</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>evaluation interval</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Steps between two rounds of answers (each round generates one answer per pinned sample). The evaluation interval, else the logging interval, when left at its lowest value.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>no image</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>#%1 %2 row %3</source>
        <extracomment>A pinned sample&apos;s title: record number, data file and row.</extracomment>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>its own question</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>its own: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The question asked about this image every round; leave empty to ask the sample&apos;s own.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Unpin this sample</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>vltune::PinnedSamplesView</name>
    <message>
        <source>Step through the rounds; the rightmost is the latest and follows new ones</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>step 000000 · round 000 of 000 (latest)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Round</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>pinned_samples.jsonl line %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1: not JSON (%2)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1: a round needs &quot;step&quot; and &quot;samples&quot;</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Reference</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Base model</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Over steps</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>base</source>
        <translation type="unfinished"></translation>
    </message>
    <message numerus="yes">
        <source>… %n earlier round(s)</source>
        <translation>
            <numerusform>… %n earlier round</numerusform>
            <numerusform>… %n earlier rounds</numerusform>
        </translation>
    </message>
    <message>
        <source>step %1 · round %2 of %3 (latest)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>step %1 · round %2 of %3</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Sample %1 · record %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>(not recorded)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cut at the answer length limit</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Step %1 (latest)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Step %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Sample %1 · %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>no image</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>image not found</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No pinned samples in this run. Pin up to four samples on the Dataset page (ask them your own question on the Train page): every few steps the model answers them, and their answers appear here.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>vltune::RunHistory</name>
    <message>
        <source>Recent runs</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Open</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Remove from list</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>folder missing</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>no steps logged</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>step %1 / %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>step %1 / %2 · loss %3</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Last opened %1</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>vltune::TrainForm</name>
    <message>
        <source>Model</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The Hugging Face model folder to fine-tune (config.json, *.safetensors, tokenizer); pick a recent one from the list or Browse….</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Model folder</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Start from adapter</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>LoRA adapter folders to continue training from, comma separated; usually empty.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>none</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Method</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>LoRA trains small adapters (least memory), freeze trains the last layers, full trains every weight; LoRA is the usual choice.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>LoRA</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Freeze (last layers)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Full fine-tuning</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>LoRA rank</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The adapters&apos; inner width r: larger learns more but costs memory; usual 8–64.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>LoRA alpha</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Scales the adapters&apos; output by alpha / rank; usually 2 × rank (leave at auto).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>auto (2 × rank)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>LoRA dropout</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Dropout on the adapters&apos; input, against overfitting small datasets; usual 0–0.1.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>LoRA targets</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Module names that get adapters, comma separated; &quot;all&quot; = every linear layer but lm_head and frozen parts (usual), or e.g. q_proj, v_proj for attention only.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Rank-stabilised LoRA</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Scales by alpha / √rank instead of alpha / rank, which helps at high ranks (≥ 64); off by default.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>DoRA</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Freeze vision tower</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Keep the image encoder&apos;s weights fixed (usual); untick only with a large, visually new dataset.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Data</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Dataset folder</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The folder holding dataset_info.json (LLaMA-Factory layout); relative paths are from the working folder.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Datasets</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Dataset names from dataset_info.json, comma separated; they are concatenated.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>e.g. pokemon_cap</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Images folder</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Where relative image paths are looked up; empty = the dataset folder.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>same as dataset folder</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cutoff length</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Longest sample in tokens, image tokens included; longer ones are truncated; usual 2048–4096 for VLMs.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Max samples</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Use at most this many samples of each dataset, for quick trials; usually all.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>all</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Validation split</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Held out to measure overfitting: a fraction below 1 (usual 0.05–0.1) or a sample count; 0 = none.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Pack samples</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Put several short samples in each row of cutoff length, each seeing only itself: the same loss with far less padding, so faster when sample lengths vary (LLaMA-Factory&apos;s neat_packing).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Training</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Learning rate</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Peak step size: LoRA usually 1e-4–3e-4 (2e-4 is a good start), full fine-tuning 1e-5–5e-5.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Epochs</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Passes over the data; usual 3–5 for under 10k samples, more tends to overfit.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Max steps</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Total optimizer steps; when set it overrides the epochs; usually by epochs.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>by epochs</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>LR schedule</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>How the learning rate falls after warm-up; cosine is the usual choice.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>cosine</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>linear</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>constant</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>constant with warm-up</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Warm-up ratio</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Fraction of all steps spent ramping the learning rate up from 0; usual 0.03–0.1.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Weight decay</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>AdamW&apos;s pull of the weights towards zero; usual 0–0.1.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Gradient clipping</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Gradients are scaled down to at most this norm, against loss spikes; usual 1.0 (0 = off).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Seed</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Seeds initialisation, dropout, the validation split and shuffling; change it to see run-to-run noise.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Precision &amp;&amp; memory</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Batch size</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Samples per forward pass; memory grows with it; usual 1–2 on 16 GB, 2–4 on 24 GB.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Gradient accumulation</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Batches summed before each optimizer step: effective batch = batch size × this; usual effective 16–32.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Gradient checkpointing</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Recompute each layer&apos;s activations during backward: much less memory for ~30% more time; usually on.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Max image pixels</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Larger images are scaled down to this area (width × height) first; image tokens grow with it; usual 262144 (512²) to 1003520.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Min image pixels</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Smaller images are scaled up to this area first; usual 1024 (32²).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Output</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Output folder</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Where the adapter, checkpoints, logs and the loss plot are written, e.g. saves/qwen2vl-lora.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>e.g. saves/my-run</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Log every</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Optimizer steps between loss log lines; usual 5–10.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Checkpoint every</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Optimizer steps between checkpoints; usual 100–500.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Keep checkpoints</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Keep at most this many checkpoints, the oldest removed; usual 2–5.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Evaluate</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>When to compute the validation loss (needs a validation split); usually every N steps.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>never</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>every N steps</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>every epoch</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Evaluate every</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Steps between evaluations; usually the same as the checkpoint interval.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>as logging</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Resume from</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>A checkpoint-N folder to continue from, or &quot;true&quot; for the latest in the output folder; empty = start fresh (or resume if the output folder has checkpoints).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>start fresh</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Plot loss</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Write training_loss.png to the output folder at the end.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Model folder (config.json, *.safetensors)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Browse…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Choose a model folder</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No model chosen</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>bf16 mixed (Ampere and newer)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>fp16 mixed (older GPUs)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>fp32 (no mixed precision)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>pure bf16 (no fp32 master weights)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Precision</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Number format of the forward and backward passes: bf16 is stable and halves memory on Ampere and newer GPUs, fp16 for older ones, fp32 on CPU.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>the model&apos;s default</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Chat template</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>How conversations are laid out as text; must match the model (qwen2_vl for Qwen2/2.5-VL); empty = the model&apos;s default.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Choose a model folder.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Name at least one dataset from dataset_info.json.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Choose an output folder.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>off (full-precision base)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>4-bit NF4 (QLoRA)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>8-bit (LLM.int8 rows)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Quantise base</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Store the frozen language-model weights in 4 or 8 bits (QLoRA): about ¼ or ½ of the bf16 weight memory, slightly slower; the adapters still train in float32. Usual: off, or 4-bit on 8–12 GB cards.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Weight-decomposed LoRA: a trained magnitude per output row beside the adapters; often a little better, slower and needs more memory; works on a quantised base too; off by default.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>LoRA A init</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>How the adapters&apos; A matrices start (B starts at zero, so training starts from the base model either way): Kaiming-uniform is PEFT&apos;s default; Gaussian draws from N(0, 1/rank).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Kaiming-uniform (default)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Gaussian</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Stage</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>SFT learns the answers of a conversation dataset; DPO learns to prefer the chosen over the rejected answer of a preference (ranking) dataset, usually after SFT.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Supervised fine-tuning (SFT)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Preference tuning (DPO)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Preference (DPO)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Beta</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>How far the adapted model may move from the base model (the reference): smaller lets it move further; usual 0.1.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Loss</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Sigmoid is DPO&apos;s own loss (the usual choice); IPO is a squared loss on per-token log-probabilities that overfits less on small datasets.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>sigmoid (DPO)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>IPO</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>SFT weight</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Adds this times the chosen answers&apos; supervised loss, to keep the model fluent; usual 0 (off).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Label smoothing</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The share of pairs assumed to be ranked the wrong way round (conservative DPO, sigmoid only); usual 0.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Choose Stage: Preference tuning (DPO) to use these.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Loader workers</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Threads decoding and resizing images ahead of training; raise it when the Monitor says training waited for batches (large photos, a fast GPU).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>auto (2)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Offload checkpoints</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>With gradient checkpointing: each layer&apos;s saved input waits in system RAM instead of on the GPU (use_unsloth_gc). Frees layers × tokens × hidden size × 2 bytes of VRAM (0.4 GB for a 7B model at 2k tokens) for a copy there and back each step; for long samples on a small card.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>vltune::TrainPage</name>
    <message>
        <source>GPU memory preset:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Choose…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 GB</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Sets batch size, accumulation, gradient checkpointing, bf16 and the image pixel budget for a GPU of this size (a ~2B model with LoRA, effective batch 16).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Load YAML…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Read a LLaMA-Factory training YAML into the form.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Save YAML…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Write the settings as a LLaMA-Factory training YAML.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Preview…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Show the YAML and the equivalent vltune-cli command.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Estimate</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Measured on up to 200 samples of the dataset, images counted from their file headers under the current image pixel limits; text is approximated at 4 bytes per token.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>weights = parameters × 2 bytes (bf16/fp16) or 4; optimizer = trainable parameters × 16 bytes (fp32 copy, gradient, AdamW moments); activations = batch × tokens × per-layer cost (much less with gradient checkpointing) + logits. CUDA&apos;s own overhead and the vision tower are not counted: expect 10–30% more.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Measure again</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Measure the dataset&apos;s images again (after adding images, say).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Run</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Start training</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Pause</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Pause after the current step (the GPU memory stays allocated).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Resume</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Stop</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Stop after the current step and save a checkpoint to resume from later.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Resume from checkpoint…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Pick a checkpoint-N folder of an earlier run; Start then continues from it.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Could not load %1: %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>line %1: unknown key %2 (kept out of training)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>line %1: unknown key %2: did you mean %3?</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Ignored (mean nothing here): %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Loaded %1.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Loaded %1 with notes:
</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Could not save %1: %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Saved %1.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cannot start: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Start training with these settings.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Measuring…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No model chosen</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 · %2 parameters · %3%4</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source> · %1 layers</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Tokens per sample: &lt;i&gt;choose a model and a dataset&lt;/i&gt;</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>VRAM: &lt;i&gt;needs a model&lt;/i&gt;</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Tokens per sample: &lt;i&gt;%1&lt;/i&gt;</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Tokens per sample: min &lt;b&gt;%1&lt;/b&gt; · median &lt;b&gt;%2&lt;/b&gt; · max &lt;b&gt;%3&lt;/b&gt;&lt;br&gt;&lt;small&gt;%4 of %5 samples, %6 images; largest image %7 tokens&lt;/small&gt;</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&lt;span style=&apos;color:#c0392b&apos;&gt;⚠ %1 of %2 measured samples exceed cutoff_len %3 and will be truncated: raise cutoff_len or lower image_max_pixels.&lt;/span&gt;</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&lt;span style=&apos;color:#2e7d32&apos;&gt;✓ every measured sample fits cutoff_len %1.&lt;/span&gt;</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&lt;br&gt;%1 images could not be read (left out).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Estimated from headers only.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Not running.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&lt;b&gt;Training…&lt;/b&gt; (see Monitor for the curves)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&lt;b&gt;Paused.&lt;/b&gt;</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Stopping after the current step…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Load training YAML</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>YAML files (*.yaml *.yml);;All files (*)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Save training YAML</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Choose a checkpoint folder</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Pinned samples</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Answered with the current adapter before training and every N steps; the Monitor shows the answers change next to the base model&apos;s.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>; %1 of offloaded checkpoints in system RAM</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>VRAM ≈ &lt;b&gt;%1&lt;/b&gt; (weights %2 + optimizer %3 + activations %4)&lt;br&gt;&lt;small&gt;%5 trainable parameters; batch %6%7&lt;/small&gt;</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>vltune::TrainPreviewDialog</name>
    <message>
        <source>Preview training settings</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Copy YAML</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Copy command</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&lt;b&gt;YAML&lt;/b&gt; (LLaMA-Factory keys; llamafactory-cli reads it too)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&lt;b&gt;Command line&lt;/b&gt; (the same training without the GUI)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&lt;b&gt;Command line&lt;/b&gt; (the same training without the GUI, once the YAML is saved under that name)</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>vltune::ValidationSizeSpinBox</name>
    <message>
        <source>none</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 = %2%</source>
        <translation type="unfinished"></translation>
    </message>
    <message numerus="yes">
        <source>%n sample(s)</source>
        <translation>
            <numerusform>%n sample</numerusform>
            <numerusform>%n samples</numerusform>
        </translation>
    </message>
</context>
</TS>
