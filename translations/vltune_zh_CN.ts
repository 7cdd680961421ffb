<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN" sourcelanguage="en">
<context>
    <name>GpuStats</name>
    <message>
        <source>NVML not found</source>
        <translation>找不到 NVML</translation>
    </message>
    <message>
        <source>NVML too old: no nvmlInit_v2</source>
        <translation>NVML 版本过旧：缺少 nvmlInit_v2</translation>
    </message>
    <message>
        <source>nvmlInit_v2 failed with code %1</source>
        <translation>nvmlInit_v2 失败，错误码 %1</translation>
    </message>
</context>
<context>
    <name>HubClient</name>
    <message>
        <source>The Hub&apos;s answer for %1 is not JSON: %2</source>
        <translation>Hub 对 %1 的响应不是 JSON：%2</translation>
    </message>
    <message>
        <source>The Hub&apos;s answer for %1 has no &quot;sha&quot; or &quot;siblings&quot;.</source>
        <translation>Hub 对 %1 的响应中没有 &quot;sha&quot; 或 &quot;siblings&quot;。</translation>
    </message>
</context>
<context>
    <name>HubToken</name>
    <message>
        <source>Cannot create the folder of %1.</source>
        <translation>无法创建 %1 所在的文件夹。</translation>
    </message>
    <message>
        <source>Cannot write %1: %2</source>
        <translation>无法写入 %1：%2</translation>
    </message>
    <message>
        <source>Cannot make %1 private: %2</source>
        <translation>无法将 %1 设为仅本人可读：%2</translation>
    </message>
</context>
<context>
    <name>vltune::CaptionProposalBox</name>
    <message>
        <source>Adapter folder (optional: the base model without)</source>
        <translation>适配器文件夹（可选：留空则只用基础模型）</translation>
    </message>
    <message>
        <source>Adapter…</source>
        <translation>适配器…</translation>
    </message>
    <message>
        <source>Adapter folder</source>
        <translation>适配器文件夹</translation>
    </message>
    <message>
        <source>Describe the image.</source>
        <translation>Describe the image.</translation>
    </message>
    <message>
        <source>What the model is asked with the image</source>
        <translation>随图片向模型提出的问题</translation>
    </message>
    <message>
        <source>Caption with Model…</source>
        <translation>用模型生成描述…</translation>
    </message>
    <message>
        <source>Let the preview model (with the adapter) propose a caption for this image; nothing is written until you save.</source>
        <translation>让预览用模型（连同适配器）为此图片提议一条描述；保存之前不会写入任何内容。</translation>
    </message>
    <message>
        <source>The model&apos;s proposal appears here</source>
        <translation>模型提议的描述显示在这里</translation>
    </message>
    <message>
        <source>Use Proposal</source>
        <translation>采用提议</translation>
    </message>
    <message>
        <source>Put the proposal in the caption editor (Save Caption writes it).</source>
        <translation>将提议放入描述编辑器（点击“保存描述”才会写入）。</translation>
    </message>
    <message>
        <source>Discard</source>
        <translation>丢弃</translation>
    </message>
    <message>
        <source>Could not caption: %1</source>
        <translation>无法生成描述：%1</translation>
    </message>
    <message>
        <source>Captioning %1…</source>
        <translation>正在为 %1 生成描述…</translation>
    </message>
    <message>
        <source>The model proposed an empty caption.</source>
        <translation>模型提议的描述为空。</translation>
    </message>
    <message>
        <source>Proposed by the model: use it or discard it.</source>
        <translation>模型的提议：可采用或丢弃。</translation>
    </message>
    <message>
        <source>Choose a model for the preview first (Model… above).</source>
        <translation>请先选择预览用模型（上方的“预览用模型”）。</translation>
    </message>
</context>
<context>
    <name>vltune::ChatController</name>
    <message>
        <source>%1 (%2) on %3</source>
        <translation>%1（%2），运行于 %3</translation>
    </message>
    <message>
        <source>%1 (CLIP retrieval) on %2</source>
        <translation>%1（CLIP 检索）运行于 %2</translation>
    </message>
    <message>
        <source> · compares with %1 only</source>
        <translation> · 仅与 %1 比较</translation>
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
    <message>
        <source> · CUDA graph</source>
        <translation> · CUDA 图</translation>
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
    <name>vltune::ClipRetrievalView</name>
    <message>
        <source>Captions for an image</source>
        <translation>为图片找描述</translation>
    </message>
    <message>
        <source>Images for a caption</source>
        <translation>为描述找图片</translation>
    </message>
    <message>
        <source>Base</source>
        <translation>基础</translation>
    </message>
    <message>
        <source>Adapted</source>
        <translation>适配后</translation>
    </message>
    <message>
        <source>Difference</source>
        <translation>差值</translation>
    </message>
    <message>
        <source>Probability with the adapter switched off (softmax over the candidates)</source>
        <translation>关闭适配器时的概率（对候选项做 softmax）</translation>
    </message>
    <message>
        <source>Probability with the adapter (softmax over the candidates)</source>
        <translation>启用适配器时的概率（对候选项做 softmax）</translation>
    </message>
    <message>
        <source>Adapted minus base, in percentage points</source>
        <translation>适配后减去基础，单位为百分点</translation>
    </message>
    <message>
        <source>Rank</source>
        <translation>排名</translation>
    </message>
    <message>
        <source>Image…</source>
        <translation>图片…</translation>
    </message>
    <message>
        <source>Image to caption</source>
        <translation>要匹配描述的图片</translation>
    </message>
    <message>
        <source>Images (*.png *.jpg *.jpeg *.webp *.bmp *.gif)</source>
        <translation>图片 (*.png *.jpg *.jpeg *.webp *.bmp *.gif)</translation>
    </message>
    <message>
        <source>Candidate captions, one per line</source>
        <translation>候选描述，每行一条</translation>
    </message>
    <message>
        <source>Score captions</source>
        <translation>为描述打分</translation>
    </message>
    <message>
        <source>Which caption fits the image, by the base model and with the adapter</source>
        <translation>哪条描述与图片相符：分别由基础模型和启用适配器后判断</translation>
    </message>
    <message>
        <source>Captions (one per line; paste or drop an image on the page)</source>
        <translation>描述（每行一条；可将图片粘贴或拖放到页面上）</translation>
    </message>
    <message>
        <source>Caption</source>
        <translation>描述</translation>
    </message>
    <message>
        <source>A caption to find images for</source>
        <translation>要为其查找图片的描述</translation>
    </message>
    <message>
        <source>Folder of images</source>
        <translation>图片文件夹</translation>
    </message>
    <message>
        <source>Folder…</source>
        <translation>文件夹…</translation>
    </message>
    <message>
        <source>Rank images</source>
        <translation>为图片排序</translation>
    </message>
    <message>
        <source>Which image of the folder fits the caption, by the base model and with the adapter</source>
        <translation>文件夹中哪张图片与描述相符：分别由基础模型和启用适配器后判断</translation>
    </message>
    <message>
        <source>Image</source>
        <translation>图片</translation>
    </message>
    <message>
        <source>Attach, drop or paste an image</source>
        <translation>添加、拖放或粘贴图片</translation>
    </message>
    <message>
        <source>No image</source>
        <translation>无图片</translation>
    </message>
    <message>
        <source>Cannot show %1</source>
        <translation>无法显示 %1</translation>
    </message>
    <message>
        <source>No adapter loaded: the base model&apos;s probabilities only.</source>
        <translation>未加载适配器：仅显示基础模型的概率。</translation>
    </message>
    <message>
        <source>Base against %1 on one loaded model; sorted by the adapted score.</source>
        <translation>在同一个已加载的模型上比较基础与 %1；按适配后的分数排序。</translation>
    </message>
    <message>
        <source>images</source>
        <translation>图片</translation>
    </message>
    <message>
        <source>captions</source>
        <translation>描述</translation>
    </message>
    <message>
        <source>Probabilities: softmax over the %1 %2 (CLIP&apos;s logits_per_image). </source>
        <translation>概率：对 %1 个候选%2做 softmax（CLIP 的 logits_per_image）。 </translation>
    </message>
    <message>
        <source>Base model only; best first.</source>
        <translation>仅基础模型；最佳者在前。</translation>
    </message>
    <message>
        <source>Base against %1, sorted by the adapted score; the best of each column is bold.</source>
        <translation>基础与 %1 对比，按适配后的分数排序；每列最佳者以粗体显示。</translation>
    </message>
    <message>
        <source>logit %1</source>
        <translation>logit %1</translation>
    </message>
    <message>
        <source> · best in this column</source>
        <translation> · 本列最佳</translation>
    </message>
</context>
<context>
    <name>vltune::DatasetPage</name>
    <message>
        <source>Edit caption of %1</source>
        <translation>编辑 %1 的描述</translation>
    </message>
    <message>
        <source>Could not write the caption: %1</source>
        <translation>无法写入描述：%1</translation>
    </message>
    <message>
        <source>Open Folder…</source>
        <translation>打开文件夹…</translation>
    </message>
    <message>
        <source>A LLaMA-Factory data folder (dataset_info.json), a COCO folder or a folder of images with .txt captions.</source>
        <translation>LLaMA-Factory 数据文件夹（dataset_info.json）、COCO 文件夹，或附带 .txt 描述的图片文件夹。</translation>
    </message>
    <message>
        <source>Open File…</source>
        <translation>打开文件…</translation>
    </message>
    <message>
        <source>A ShareGPT, Alpaca or OpenAI-messages .json / .jsonl file, or a dataset_info.json.</source>
        <translation>ShareGPT、Alpaca 或 OpenAI-messages 格式的 .json / .jsonl 文件，或 dataset_info.json。</translation>
    </message>
    <message>
        <source>none: no token counts, no prompt preview</source>
        <translation>无：不统计词元，不预览提示词</translation>
    </message>
    <message>
        <source>The model whose tokenizer and chat template count tokens, find too-long samples and render the training prompt.</source>
        <translation>用其分词器和对话模板统计词元数、找出过长样本并渲染训练提示词的模型。</translation>
    </message>
    <message>
        <source>Choose…</source>
        <translation>选择…</translation>
    </message>
    <message>
        <source>Clear</source>
        <translation>清除</translation>
    </message>
    <message>
        <source>Preview without a model</source>
        <translation>不使用模型预览</translation>
    </message>
    <message>
        <source>Reading and validating…</source>
        <translation>正在读取并校验…</translation>
    </message>
    <message>
        <source>Model for preview:</source>
        <translation>预览用模型：</translation>
    </message>
    <message>
        <source>No dataset open</source>
        <translation>未打开数据集</translation>
    </message>
    <message>
        <source>Search captions and conversations</source>
        <translation>搜索描述和对话</translation>
    </message>
    <message>
        <source>All samples</source>
        <translation>全部样本</translation>
    </message>
    <message>
        <source>&lt;p style=&apos;font-size:large&apos;&gt;Drop a dataset folder or file here&lt;/p&gt;&lt;p&gt;or use &lt;b&gt;Open Folder…&lt;/b&gt; / &lt;b&gt;Open File…&lt;/b&gt;&lt;/p&gt;&lt;p style=&apos;color:gray&apos;&gt;LLaMA-Factory folders (dataset_info.json), ShareGPT, Alpaca and OpenAI-messages files, COCO captions, and folders of images with .txt captions.&lt;/p&gt;</source>
        <translation>&lt;p style=&apos;font-size:large&apos;&gt;将数据集文件夹或文件拖放到此处&lt;/p&gt;&lt;p&gt;或使用 &lt;b&gt;打开文件夹…&lt;/b&gt; / &lt;b&gt;打开文件…&lt;/b&gt;&lt;/p&gt;&lt;p style=&apos;color:gray&apos;&gt;支持 LLaMA-Factory 文件夹（dataset_info.json）、ShareGPT、Alpaca 和 OpenAI-messages 文件、COCO 描述，以及附带 .txt 描述的图片文件夹。&lt;/p&gt;</translation>
    </message>
    <message>
        <source>Problem</source>
        <translation>问题</translation>
    </message>
    <message>
        <source>Where</source>
        <translation>位置</translation>
    </message>
    <message>
        <source>Message</source>
        <translation>信息</translation>
    </message>
    <message>
        <source>&lt;b&gt;Problems&lt;/b&gt; (click one to show its sample)</source>
        <translation>&lt;b&gt;问题&lt;/b&gt;（点击某项以显示其样本）</translation>
    </message>
    <message>
        <source>Samples</source>
        <translation>样本</translation>
    </message>
    <message>
        <source>Statistics</source>
        <translation>统计</translation>
    </message>
    <message>
        <source>No sample selected</source>
        <translation>未选择样本</translation>
    </message>
    <message>
        <source>Fit</source>
        <translation>适应</translation>
    </message>
    <message>
        <source>Fit the image to the view</source>
        <translation>缩放图片以适应视图</translation>
    </message>
    <message>
        <source>Zoom out (Ctrl+wheel)</source>
        <translation>缩小（Ctrl+滚轮）</translation>
    </message>
    <message>
        <source>Zoom in (Ctrl+wheel)</source>
        <translation>放大（Ctrl+滚轮）</translation>
    </message>
    <message>
        <source>100%</source>
        <translation>100%</translation>
    </message>
    <message>
        <source>Actual pixels</source>
        <translation>实际像素</translation>
    </message>
    <message>
        <source>%1 %</source>
        <translation>%1 %</translation>
    </message>
    <message>
        <source>The caption this image is trained with</source>
        <translation>训练此图片时使用的描述</translation>
    </message>
    <message>
        <source>Save Caption</source>
        <translation>保存描述</translation>
    </message>
    <message>
        <source>Write the caption to its .txt file (atomically; Undo restores the previous text).</source>
        <translation>将描述写入对应的 .txt 文件（原子写入；撤销可恢复之前的文本）。</translation>
    </message>
    <message>
        <source>Revert</source>
        <translation>还原</translation>
    </message>
    <message>
        <source>Discard the edit: show the caption as saved.</source>
        <translation>放弃编辑：显示已保存的描述。</translation>
    </message>
    <message>
        <source>Undo</source>
        <translation>撤销</translation>
    </message>
    <message>
        <source>Redo</source>
        <translation>重做</translation>
    </message>
    <message>
        <source>Conversation</source>
        <translation>对话</translation>
    </message>
    <message>
        <source>Training Prompt</source>
        <translation>训练提示词</translation>
    </message>
    <message>
        <source>Caption</source>
        <translation>描述</translation>
    </message>
    <message>
        <source>%1 does not exist.</source>
        <translation>%1 不存在。</translation>
    </message>
    <message>
        <source>Reading %1…</source>
        <translation>正在读取 %1…</translation>
    </message>
    <message>
        <source>Validating without a model…</source>
        <translation>正在校验（不使用模型）…</translation>
    </message>
    <message>
        <source>Counting tokens with %1…</source>
        <translation>正在用 %1 统计词元…</translation>
    </message>
    <message>
        <source>Open Dataset Folder</source>
        <translation>打开数据集文件夹</translation>
    </message>
    <message>
        <source>Open Dataset File</source>
        <translation>打开数据集文件</translation>
    </message>
    <message>
        <source>Datasets (*.json *.jsonl);;All files (*)</source>
        <translation>数据集 (*.json *.jsonl);;所有文件 (*)</translation>
    </message>
    <message>
        <source>Model for Preview</source>
        <translation>预览用模型</translation>
    </message>
    <message>
        <source>&lt;b&gt;%1&lt;/b&gt; — %2</source>
        <translation>&lt;b&gt;%1&lt;/b&gt; — %2</translation>
    </message>
    <message>
        <source>Samples: %1</source>
        <translation>样本：%1</translation>
    </message>
    <message>
        <source>Images: %1</source>
        <translation>图片：%1</translation>
    </message>
    <message>
        <source>No problems</source>
        <translation>没有问题</translation>
    </message>
    <message>
        <source>Problems: %1 (samples affected: %2)</source>
        <translation>问题：%1（受影响样本：%2）</translation>
    </message>
    <message>
        <source>Images without a caption (left out): %1</source>
        <translation>无描述的图片（已排除）：%1</translation>
    </message>
    <message>
        <source>The model could not be used for the preview: %1</source>
        <translation>无法使用该模型预览：%1</translation>
    </message>
    <message>
        <source>%1 row %2</source>
        <translation>%1 第 %2 行</translation>
    </message>
    <message>
        <source>(dataset)</source>
        <translation>（数据集）</translation>
    </message>
    <message>
        <source>With problems (%1)</source>
        <translation>有问题（%1）</translation>
    </message>
    <message>
        <source>%1: %2, samples: %3</source>
        <translation>%1：%2，样本：%3</translation>
    </message>
    <message>
        <source>All %1</source>
        <translation>全部 %1</translation>
    </message>
    <message>
        <source>%1 of %2</source>
        <translation>%1 / %2</translation>
    </message>
    <message>
        <source>This problem is about a whole file, not one sample.</source>
        <translation>此问题涉及整个文件，而非单个样本。</translation>
    </message>
    <message>
        <source>&lt;b&gt;#%1&lt;/b&gt; %2 row %3</source>
        <translation>&lt;b&gt;#%1&lt;/b&gt; %2 第 %3 行</translation>
    </message>
    <message>
        <source>No image</source>
        <translation>无图片</translation>
    </message>
    <message>
        <source>Cannot show %1: %2</source>
        <translation>无法显示 %1：%2</translation>
    </message>
    <message>
        <source>&lt;p style=&apos;color:gray&apos;&gt;Rendering…&lt;/p&gt;</source>
        <translation>&lt;p style=&apos;color:gray&apos;&gt;正在渲染…&lt;/p&gt;</translation>
    </message>
    <message>
        <source>&lt;p&gt;&lt;b&gt;system&lt;/b&gt;&lt;br&gt;%1&lt;/p&gt;</source>
        <translation>&lt;p&gt;&lt;b&gt;system&lt;/b&gt;&lt;br&gt;%1&lt;/p&gt;</translation>
    </message>
    <message>
        <source>(not found)</source>
        <translation>（未找到）</translation>
    </message>
    <message>
        <source>&lt;p style=&apos;color:gray&apos;&gt;Images: %1&lt;/p&gt;</source>
        <translation>&lt;p style=&apos;color:gray&apos;&gt;图片：%1&lt;/p&gt;</translation>
    </message>
    <message>
        <source>&lt;p style=&apos;color:#c62828&apos;&gt;Problems: %1&lt;/p&gt;</source>
        <translation>&lt;p style=&apos;color:#c62828&apos;&gt;问题：%1&lt;/p&gt;</translation>
    </message>
    <message>
        <source>&lt;p style=&apos;color:gray&apos;&gt;Choose a &lt;b&gt;Model for preview&lt;/b&gt; to see this sample exactly as training encodes it, with the tokens that carry loss highlighted.&lt;/p&gt;</source>
        <translation>&lt;p style=&apos;color:gray&apos;&gt;选择&lt;b&gt;预览用模型&lt;/b&gt;，即可查看此样本在训练中的实际编码结果，计入损失的词元会高亮显示。&lt;/p&gt;</translation>
    </message>
    <message>
        <source>&lt;p style=&apos;color:#c62828&apos;&gt;Not encodable: %1&lt;/p&gt;</source>
        <translation>&lt;p style=&apos;color:#c62828&apos;&gt;无法编码：%1&lt;/p&gt;</translation>
    </message>
    <message>
        <source>&lt;p&gt;&lt;b&gt;%1 tokens&lt;/b&gt;, &lt;span style=&apos;background:#c8ecd0&apos;&gt;%2 learned&lt;/span&gt; (highlighted); the rest is context without loss.&lt;/p&gt;</source>
        <translation>&lt;p&gt;&lt;b&gt;%1 个词元&lt;/b&gt;，其中 &lt;span style=&apos;background:#c8ecd0&apos;&gt;%2 个参与学习&lt;/span&gt;（高亮）；其余为不计损失的上下文。&lt;/p&gt;</translation>
    </message>
    <message>
        <source>Cannot read %1: %2</source>
        <translation>无法读取 %1：%2</translation>
    </message>
    <message>
        <source>%1 changed on disk since it was read; open the dataset again to edit it.</source>
        <translation>%1 在读取后已在磁盘上被修改；请重新打开数据集后再编辑。</translation>
    </message>
    <message>
        <source>Saved %1</source>
        <translation>已保存 %1</translation>
    </message>
    <message>
        <source>Tokens per sample: min %1 · mean %2 · p95 %3 · max %4</source>
        <translation>每样本词元数：最小 %1 · 平均 %2 · p95 %3 · 最大 %4</translation>
    </message>
    <message>
        <source>Image width %1–%2 px (mean %3), height %4–%5 px (mean %6)</source>
        <translation>图片宽度 %1–%2 像素（平均 %3），高度 %4–%5 像素（平均 %6）</translation>
    </message>
    <message>
        <source>Token length per sample</source>
        <translation>每样本词元长度</translation>
    </message>
    <message>
        <source>tokens</source>
        <translation>词元</translation>
    </message>
    <message>
        <source>Token lengths: choose a Model for preview to measure them.</source>
        <translation>词元长度：请选择预览用模型以进行测量。</translation>
    </message>
    <message>
        <source>Image width</source>
        <translation>图片宽度</translation>
    </message>
    <message>
        <source>pixels</source>
        <translation>像素</translation>
    </message>
    <message>
        <source>No readable images.</source>
        <translation>没有可读取的图片。</translation>
    </message>
    <message>
        <source>Pin</source>
        <translation>固定</translation>
    </message>
    <message>
        <source>Pinned: answered before training and every N steps. Click to unpin (its question is on the Train page).</source>
        <translation>已固定：训练前及每 N 步回答一次。点击取消固定（提问在“训练”页设置）。</translation>
    </message>
    <message>
        <source>Four samples are pinned already; unpin one on the Train page first.</source>
        <translation>已固定四个样本；请先在“训练”页取消固定一个。</translation>
    </message>
    <message>
        <source>Pin this sample: the run answers it before training and every N steps, and the Monitor shows the answers change. Best taken from the validation split.</source>
        <translation>固定此样本：训练前及每 N 步回答一次，“监控”页显示回答的变化。最好从验证集中选取。</translation>
    </message>
    <message>
        <source>Pinned #%1 for training; ask it your own question on the Train page.</source>
        <translation>已为训练固定 #%1；可在“训练”页为它设置自己的提问。</translation>
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
    <name>vltune::EvaluateController</name>
    <message>
        <source>Reading the dataset…</source>
        <translation>正在读取数据集…</translation>
    </message>
    <message>
        <source>Loading the model…</source>
        <translation>正在加载模型…</translation>
    </message>
    <message numerus="yes">
        <source>%n sample(s) to predict, %1 skipped for problems · model on %2</source>
        <translation>
            <numerusform>待预测 %n 个样本，因问题跳过 %1 个 · 模型运行于 %2</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n weights file(s), %1</source>
        <translation>
            <numerusform>%n 个权重文件，%1</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>vltune::EvaluatePage</name>
    <message>
        <source>Browse…</source>
        <translation>浏览…</translation>
    </message>
    <message>
        <source>Datasets (*.json *.jsonl *.csv *.parquet);;All files (*)</source>
        <translation>数据集 (*.json *.jsonl *.csv *.parquet);;所有文件 (*)</translation>
    </message>
    <message>
        <source>Evaluate &amp;&amp; Predict</source>
        <translation>评估 &amp;&amp; 预测</translation>
    </message>
    <message>
        <source>&amp;Model</source>
        <translation>模型(&amp;M)</translation>
    </message>
    <message>
        <source>Base model folder (config.json, safetensors, tokenizer)</source>
        <translation>基础模型文件夹（config.json、safetensors、分词器）</translation>
    </message>
    <message>
        <source>&amp;Adapter</source>
        <translation>适配器(&amp;A)</translation>
    </message>
    <message>
        <source>LoRA adapter folder (optional: empty evaluates the base model)</source>
        <translation>LoRA 适配器文件夹（可选：留空则评估基础模型）</translation>
    </message>
    <message>
        <source>&amp;Dataset</source>
        <translation>数据集(&amp;D)</translation>
    </message>
    <message>
        <source>Dataset folder (dataset_info.json) or file</source>
        <translation>数据集文件夹（dataset_info.json）或文件</translation>
    </message>
    <message>
        <source>Dataset names from dataset_info.json, comma-separated (empty: all)</source>
        <translation>dataset_info.json 中的数据集名称，用逗号分隔（留空：全部）</translation>
    </message>
    <message>
        <source>LLaMA-Factory&apos;s eval_dataset: which entries of dataset_info.json to predict.</source>
        <translation>LLaMA-Factory 的 eval_dataset：要预测 dataset_info.json 中的哪些条目。</translation>
    </message>
    <message>
        <source>&amp;Output</source>
        <translation>输出(&amp;O)</translation>
    </message>
    <message>
        <source>Folder for generated_predictions.jsonl and predict_results.json</source>
        <translation>存放 generated_predictions.jsonl 和 predict_results.json 的文件夹</translation>
    </message>
    <message>
        <source>Created if missing. Files of an earlier prediction there are replaced.</source>
        <translation>不存在时会自动创建。其中先前预测的文件将被替换。</translation>
    </message>
    <message>
        <source>All</source>
        <translation>全部</translation>
    </message>
    <message>
        <source>At most this many samples of each dataset (LLaMA-Factory&apos;s max_samples). Usual: 100–1000.</source>
        <translation>每个数据集最多使用的样本数（LLaMA-Factory 的 max_samples）。常用：100–1000。</translation>
    </message>
    <message>
        <source>Most new tokens per answer. Usual: 128–1024.</source>
        <translation>每个回答最多生成的新词元数。常用：128–1024。</translation>
    </message>
    <message>
        <source>Greedy</source>
        <translation>贪心解码</translation>
    </message>
    <message>
        <source>Always the most likely token: repeatable scores. Off: sampling with LLaMA-Factory&apos;s defaults (temperature 0.95, top-p 0.7, top-k 50, seed 42).</source>
        <translation>总是选择最可能的词元：分数可复现。关闭：使用 LLaMA-Factory 的默认值采样（温度 0.95、top-p 0.7、top-k 50、随机种子 42）。</translation>
    </message>
    <message>
        <source>Also compute eval loss</source>
        <translation>同时计算评估损失</translation>
    </message>
    <message>
        <source>The supervised loss and perplexity over the same samples (LLaMA-Factory&apos;s do_eval).</source>
        <translation>在相同样本上计算监督损失和困惑度（LLaMA-Factory 的 do_eval）。</translation>
    </message>
    <message>
        <source>Skip rows with problems</source>
        <translation>跳过有问题的行</translation>
    </message>
    <message>
        <source>Leave out rows the template cannot take (missing images, bad roles). Off: refuse to run and list them.</source>
        <translation>排除模板无法处理的行（缺少图片、角色错误）。关闭：拒绝运行并列出这些行。</translation>
    </message>
    <message>
        <source>Run</source>
        <translation>运行</translation>
    </message>
    <message>
        <source>Stop</source>
        <translation>停止</translation>
    </message>
    <message>
        <source>Stop after the current answer; the samples done are scored and written.</source>
        <translation>在当前回答完成后停止；已完成的样本会被评分并写入。</translation>
    </message>
    <message>
        <source>Max samples</source>
        <translation>最大样本数</translation>
    </message>
    <message>
        <source>Max new tokens</source>
        <translation>最大新词元数</translation>
    </message>
    <message>
        <source>Choose a model, a dataset and an output folder.</source>
        <translation>请选择模型、数据集和输出文件夹。</translation>
    </message>
    <message>
        <source>Metric</source>
        <translation>指标</translation>
    </message>
    <message>
        <source>Value</source>
        <translation>值</translation>
    </message>
    <message>
        <source>BLEU-4</source>
        <translation>BLEU-4</translation>
    </message>
    <message>
        <source>ROUGE-1</source>
        <translation>ROUGE-1</translation>
    </message>
    <message>
        <source>ROUGE-2</source>
        <translation>ROUGE-2</translation>
    </message>
    <message>
        <source>ROUGE-L</source>
        <translation>ROUGE-L</translation>
    </message>
    <message>
        <source>Eval loss</source>
        <translation>评估损失</translation>
    </message>
    <message>
        <source>Perplexity</source>
        <translation>困惑度</translation>
    </message>
    <message>
        <source>predict_bleu-4: NLTK sentence BLEU over characters, mean over samples</source>
        <translation>predict_bleu-4：按字符计算的 NLTK 句子级 BLEU，对样本取平均</translation>
    </message>
    <message>
        <source>predict_rouge-1: unigram F-score</source>
        <translation>predict_rouge-1：一元组 F 值</translation>
    </message>
    <message>
        <source>predict_rouge-2: bigram F-score</source>
        <translation>predict_rouge-2：二元组 F 值</translation>
    </message>
    <message>
        <source>predict_rouge-l: longest common subsequence F-score</source>
        <translation>predict_rouge-l：最长公共子序列 F 值</translation>
    </message>
    <message>
        <source>eval_loss: mean token cross-entropy of the answers</source>
        <translation>eval_loss：回答的平均词元交叉熵</translation>
    </message>
    <message>
        <source>perplexity: exp(eval loss)</source>
        <translation>perplexity：exp(评估损失)</translation>
    </message>
    <message>
        <source>ROUGE over characters: no jieba dictionary — not comparable to LLaMA-Factory</source>
        <translation>ROUGE 按字符计算：没有 jieba 词典——与 LLaMA-Factory 的结果不可比</translation>
    </message>
    <message>
        <source>Install python3-jieba (or set VLTUNE_JIEBA_DIR) to score ROUGE over jieba&apos;s words as LLaMA-Factory does.</source>
        <translation>安装 python3-jieba（或设置 VLTUNE_JIEBA_DIR），即可像 LLaMA-Factory 一样按 jieba 分词计算 ROUGE。</translation>
    </message>
    <message>
        <source>Row</source>
        <translation>行</translation>
    </message>
    <message>
        <source>Prompt</source>
        <translation>提示词</translation>
    </message>
    <message>
        <source>Label</source>
        <translation>标签</translation>
    </message>
    <message>
        <source>Predict</source>
        <translation>预测</translation>
    </message>
    <message>
        <source>Merge &amp;&amp; Export</source>
        <translation>合并 &amp;&amp; 导出</translation>
    </message>
    <message>
        <source>Base mo&amp;del</source>
        <translation>基础模型(&amp;D)</translation>
    </message>
    <message>
        <source>Base model folder</source>
        <translation>基础模型文件夹</translation>
    </message>
    <message>
        <source>Ada&amp;pter</source>
        <translation>适配器(&amp;P)</translation>
    </message>
    <message>
        <source>LoRA adapter merged into the weights (empty: convert the base model)</source>
        <translation>要合并进权重的 LoRA 适配器（留空：仅转换基础模型）</translation>
    </message>
    <message>
        <source>E&amp;xport to</source>
        <translation>导出到(&amp;X)</translation>
    </message>
    <message>
        <source>New, empty folder for the merged checkpoint</source>
        <translation>用于存放合并后检查点的新空文件夹</translation>
    </message>
    <message>
        <source>As the model (config.json)</source>
        <translation>与模型相同（config.json）</translation>
    </message>
    <message>
        <source>The weights&apos; dtype in the exported files. bfloat16 halves the size of a float32 model.</source>
        <translation>导出文件中权重的数据类型。bfloat16 可将 float32 模型的体积减半。</translation>
    </message>
    <message>
        <source> GB</source>
        <translation> GB</translation>
    </message>
    <message>
        <source>Largest weights file (transformers&apos; max_shard_size, default 5 GB); a bigger model is split into shards with an index.</source>
        <translation>单个权重文件的最大大小（transformers 的 max_shard_size，默认 5 GB）；更大的模型会被拆分为多个分片并附带索引。</translation>
    </message>
    <message>
        <source>Export</source>
        <translation>导出</translation>
    </message>
    <message>
        <source>Dtype</source>
        <translation>数据类型</translation>
    </message>
    <message>
        <source>Max shard size</source>
        <translation>最大分片大小</translation>
    </message>
    <message>
        <source>A job is running</source>
        <translation>有任务正在运行</translation>
    </message>
    <message>
        <source>Choose the model folder</source>
        <translation>选择模型文件夹</translation>
    </message>
    <message>
        <source>Model folder not found: %1</source>
        <translation>找不到模型文件夹：%1</translation>
    </message>
    <message>
        <source>%1 has no config.json: not a model folder</source>
        <translation>%1 中没有 config.json：不是模型文件夹</translation>
    </message>
    <message>
        <source>Adapter folder not found: %1</source>
        <translation>找不到适配器文件夹：%1</translation>
    </message>
    <message>
        <source>%1 has no adapter_config.json: not a LoRA adapter</source>
        <translation>%1 中没有 adapter_config.json：不是 LoRA 适配器</translation>
    </message>
    <message>
        <source>Choose the dataset folder or file</source>
        <translation>选择数据集文件夹或文件</translation>
    </message>
    <message>
        <source>Dataset not found: %1</source>
        <translation>找不到数据集：%1</translation>
    </message>
    <message>
        <source>Choose the output folder</source>
        <translation>选择输出文件夹</translation>
    </message>
    <message>
        <source>%1 is a file, not a folder</source>
        <translation>%1 是文件，不是文件夹</translation>
    </message>
    <message>
        <source>Choose the folder to export to</source>
        <translation>选择导出目标文件夹</translation>
    </message>
    <message>
        <source>%1 is not empty: export into a new or empty folder (files there would be replaced)</source>
        <translation>%1 不是空文件夹：请导出到新的或空的文件夹（否则其中的文件会被替换）</translation>
    </message>
    <message>
        <source>Answer every sample and score the answers (BLEU-4, ROUGE)</source>
        <translation>对每个样本生成回答并评分（BLEU-4、ROUGE）</translation>
    </message>
    <message>
        <source>Merge the adapter into the weights and write a full checkpoint</source>
        <translation>将适配器合并进权重，并写出完整检查点</translation>
    </message>
    <message>
        <source>Starting…</source>
        <translation>正在启动…</translation>
    </message>
    <message>
        <source>%1 / %2 samples · %3 elapsed</source>
        <translation>%1 / %2 个样本 · 已用时 %3</translation>
    </message>
    <message>
        <source>Computing the eval loss…</source>
        <translation>正在计算评估损失…</translation>
    </message>
    <message>
        <source>Dataset row %1</source>
        <translation>数据集第 %1 行</translation>
    </message>
    <message>
        <source>∞</source>
        <translation>∞</translation>
    </message>
    <message>
        <source>Stopped after %1 of %2 samples; their predictions and scores are in %3</source>
        <translation>已在完成 %1 / %2 个样本后停止；这些样本的预测结果和分数位于 %3</translation>
    </message>
    <message numerus="yes">
        <source>Done: %n sample(s) in %1; predictions and scores are in %2</source>
        <translation>
            <numerusform>完成：%n 个样本，用时 %1；预测结果和分数位于 %2</numerusform>
        </translation>
    </message>
    <message>
        <source>Error: %1</source>
        <translation>错误：%1</translation>
    </message>
    <message>
        <source>Loading the model…</source>
        <translation>正在加载模型…</translation>
    </message>
    <message>
        <source>Merging the adapter…</source>
        <translation>正在合并适配器…</translation>
    </message>
    <message>
        <source>Writing weights: %1 of %2</source>
        <translation>正在写入权重：%1 / %2</translation>
    </message>
    <message>
        <source>Copying the tokenizer and configs…</source>
        <translation>正在复制分词器和配置文件…</translation>
    </message>
    <message>
        <source>Done</source>
        <translation>完成</translation>
    </message>
    <message>
        <source>Exported to &lt;a href=&quot;%1&quot;&gt;%2&lt;/a&gt; (%3)</source>
        <translation>已导出到 &lt;a href=&quot;%1&quot;&gt;%2&lt;/a&gt;（%3）</translation>
    </message>
    <message>
        <source>Export failed: %1</source>
        <translation>导出失败：%1</translation>
    </message>
    <message>
        <source>Ready: Run answers the dataset&apos;s samples and scores the answers.</source>
        <translation>就绪：点击“运行”将回答数据集中的样本并为回答打分。</translation>
    </message>
</context>
<context>
    <name>vltune::GetModelDialog</name>
    <message>
        <source>Download</source>
        <translation>下载</translation>
    </message>
    <message>
        <source>Stop</source>
        <translation>停止</translation>
    </message>
    <message>
        <source>Use Model</source>
        <translation>使用模型</translation>
    </message>
    <message>
        <source>Get Model</source>
        <translation>获取模型</translation>
    </message>
    <message>
        <source>organisation/name</source>
        <translation>组织/名称</translation>
    </message>
    <message>
        <source>A model repository on the Hugging Face Hub, as organisation/name.</source>
        <translation>Hugging Face Hub 上的模型仓库，格式为“组织/名称”。</translation>
    </message>
    <message>
        <source>hf_… — only for gated or private models</source>
        <translation>hf_…——仅受限或私有模型需要</translation>
    </message>
    <message>
        <source>&amp;Repository:</source>
        <translation>仓库(&amp;R)：</translation>
    </message>
    <message>
        <source>Access &amp;token:</source>
        <translation>访问令牌(&amp;T)：</translation>
    </message>
    <message>
        <source>&amp;Endpoint:</source>
        <translation>端点(&amp;E)：</translation>
    </message>
    <message>
        <source>File</source>
        <translation>文件</translation>
    </message>
    <message>
        <source>Size</source>
        <translation>大小</translation>
    </message>
    <message>
        <source>Progress</source>
        <translation>进度</translation>
    </message>
    <message>
        <source>Status</source>
        <translation>状态</translation>
    </message>
    <message>
        <source>Only the files vltune needs are fetched (configs, tokenizer, processor, safetensors), into the Hugging Face cache that transformers uses too. An interrupted download resumes.</source>
        <translation>只下载 vltune 需要的文件（配置文件、分词器、处理器、safetensors），保存到 transformers 也使用的 Hugging Face 缓存中。中断的下载可以续传。</translation>
    </message>
    <message>
        <source>Download from the Hugging Face Hub</source>
        <translation>从 Hugging Face Hub 下载</translation>
    </message>
    <message>
        <source>Models on this machine</source>
        <translation>本机上的模型</translation>
    </message>
    <message>
        <source>Enter the repository as organisation/name, e.g. HuggingFaceTB/SmolVLM-256M-Instruct.</source>
        <translation>请按“组织/名称”的格式输入仓库，例如 HuggingFaceTB/SmolVLM-256M-Instruct。</translation>
    </message>
    <message>
        <source>Asking %1 for the files of %2…</source>
        <translation>正在向 %1 查询 %2 的文件…</translation>
    </message>
    <message>
        <source>waiting</source>
        <translation>等待中</translation>
    </message>
    <message numerus="yes">
        <source>Downloading %n file(s) of %1 at commit %2…</source>
        <translation>
            <numerusform>正在下载 %1 的 %n 个文件（提交 %2）…</numerusform>
        </translation>
    </message>
    <message>
        <source>%1%</source>
        <translation>%1%</translation>
    </message>
    <message>
        <source>already cached</source>
        <translation>已缓存</translation>
    </message>
    <message>
        <source>done ✓</source>
        <translation>完成 ✓</translation>
    </message>
    <message>
        <source>%1 of %2</source>
        <translation>%1 / %2</translation>
    </message>
    <message>
        <source>Downloaded and checked. The model is in %1</source>
        <translation>已下载并校验。模型位于 %1</translation>
    </message>
    <message>
        <source>stopped</source>
        <translation>已停止</translation>
    </message>
    <message>
        <source>&amp;Remember token</source>
        <translation>记住令牌(&amp;R)</translation>
    </message>
    <message>
        <source>Save the token in %1, readable only by you, where huggingface-cli login keeps it; transformers and other Hugging Face tools use it too. Without this the token is used for this download only.</source>
        <translation>将令牌保存到 %1（仅本人可读），即 huggingface-cli login 保存的位置；transformers 等 Hugging Face 工具也会使用它。不勾选则令牌仅用于本次下载。</translation>
    </message>
    <message>
        <source>The Hub or a mirror of it (the HF_ENDPOINT environment variable sets the default). Remembered for the next time.</source>
        <translation>Hub 或其镜像（默认值由环境变量 HF_ENDPOINT 设置）。下次会记住。</translation>
    </message>
    <message>
        <source>checking</source>
        <translation>校验中</translation>
    </message>
    <message>
        <source>Checking the %1 of %2 kept from the last try before resuming…</source>
        <translation>续传前正在校验上次保留的 %1（共 %2）…</translation>
    </message>
    <message>
        <source>From the HF_TOKEN environment variable.</source>
        <translation>来自环境变量 HF_TOKEN。</translation>
    </message>
    <message>
        <source>From %1, where huggingface-cli login saved it.</source>
        <translation>来自 %1（huggingface-cli login 保存的位置）。</translation>
    </message>
    <message>
        <source>The token was not saved: %1</source>
        <translation>令牌未保存：%1</translation>
    </message>
    <message>
        <source>Saved in %1 (readable only by you).</source>
        <translation>已保存到 %1（仅本人可读）。</translation>
    </message>
</context>
<context>
    <name>vltune::HistogramChart</name>
    <message>
        <source>count</source>
        <translation>数量</translation>
    </message>
</context>
<context>
    <name>vltune::HubClient</name>
    <message>
        <source>The Hub refused access to %1 (HTTP %2). A gated or private model needs an access token from an account that accepted its license.</source>
        <translation>Hub 拒绝访问 %1（HTTP %2）。受限或私有模型需要使用已接受其许可协议的账号的访问令牌。</translation>
    </message>
    <message>
        <source>%1 was not found on %2. Check the repository id (organisation/name).</source>
        <translation>在 %2 上找不到 %1。请检查仓库 ID（组织/名称）。</translation>
    </message>
    <message>
        <source>Could not reach %1: %2</source>
        <translation>无法连接 %1：%2</translation>
    </message>
</context>
<context>
    <name>vltune::HubDownload</name>
    <message>
        <source>Download cancelled.</source>
        <translation>下载已取消。</translation>
    </message>
    <message>
        <source>%1 has no config.json at the top level: it is not a model vltune can load.</source>
        <translation>%1 的顶层没有 config.json：不是 vltune 可以加载的模型。</translation>
    </message>
    <message>
        <source>Not enough disk space: %1 needs %2 more, but %3 has %4 free (keeping %5 spare). Free some space or set HF_HUB_CACHE to a bigger disk; what is already downloaded is kept.</source>
        <translation>磁盘空间不足：%1 还需要 %2，但 %3 只有 %4 可用（需预留 %5）。请释放一些空间，或将 HF_HUB_CACHE 设到更大的磁盘上；已下载的部分会保留。</translation>
    </message>
    <message>
        <source>Cannot write %1: %2</source>
        <translation>无法写入 %1：%2</translation>
    </message>
    <message>
        <source>Could not write %1: %2. Is the disk full? The part already downloaded is kept; free some space and press Download again to resume.</source>
        <translation>无法写入 %1：%2。磁盘是否已满？已下载的部分会保留；请释放一些空间，然后再次点击“下载”以继续。</translation>
    </message>
    <message>
        <source>Too many redirects while downloading %1.</source>
        <translation>下载 %1 时重定向次数过多。</translation>
    </message>
    <message>
        <source>The %1 already downloaded are kept; press Download again to resume.</source>
        <translation>已下载的 %1 会保留；再次点击“下载”即可继续。</translation>
    </message>
    <message>
        <source>Download cancelled. %1</source>
        <translation>下载已取消。%1</translation>
    </message>
    <message>
        <source>The server refused to resume %1 (HTTP 416); the partial file was removed. Press Download again to fetch it from the start.</source>
        <translation>服务器拒绝续传 %1（HTTP 416）；已删除不完整的文件。请再次点击“下载”从头下载。</translation>
    </message>
    <message>
        <source>The Hub refused %1 (HTTP %2). A gated model needs an access token from an account that accepted its license.</source>
        <translation>Hub 拒绝了 %1（HTTP %2）。受限模型需要使用已接受其许可协议的账号的访问令牌。</translation>
    </message>
    <message>
        <source>HTTP %1</source>
        <translation>HTTP %1</translation>
    </message>
    <message>
        <source>Downloading %1 stopped: %2. %3</source>
        <translation>下载 %1 中止：%2。%3</translation>
    </message>
    <message>
        <source>The connection ended after %1 of %2 of %3. %4</source>
        <translation>%3 下载到 %1 / %2 时连接中断。%4</translation>
    </message>
    <message>
        <source>%1 is corrupt: %2 bytes received, the Hub lists %3. It was removed; press Download again.</source>
        <translation>%1 已损坏：收到 %2 字节，而 Hub 列出的是 %3。该文件已删除；请再次点击“下载”。</translation>
    </message>
    <message>
        <source>%1 is corrupt: its sha256 is %2 but the Hub lists %3. It was removed and not put in the model folder; press Download again.</source>
        <translation>%1 已损坏：其 sha256 为 %2，而 Hub 列出的是 %3。该文件已删除，未放入模型文件夹；请再次点击“下载”。</translation>
    </message>
    <message>
        <source>Cannot move %1 to %2.</source>
        <translation>无法将 %1 移动到 %2。</translation>
    </message>
    <message>
        <source>it is shorter than expected</source>
        <translation>它比预期的短</translation>
    </message>
    <message>
        <source>Cannot read the partly downloaded %1 (%2) to check it: %3</source>
        <translation>无法读取部分下载的 %1（%2）进行校验：%3</translation>
    </message>
</context>
<context>
    <name>vltune::ImageCacheDialog</name>
    <message>
        <source>Empty.</source>
        <translation>空。</translation>
    </message>
    <message numerus="yes">
        <source>Holds %n prepared image(s), %1.</source>
        <translation>
            <numerusform>存有 %n 张预处理好的图片，共 %1。</numerusform>
        </translation>
    </message>
    <message>
        <source>Image Cache</source>
        <translation>图片缓存</translation>
    </message>
    <message>
        <source>&amp;Keep prepared training images</source>
        <translation>保存预处理好的训练图片(&amp;K)</translation>
    </message>
    <message>
        <source>C&amp;hoose…</source>
        <translation>选择(&amp;H)…</translation>
    </message>
    <message>
        <source>&amp;Open</source>
        <translation>打开(&amp;O)</translation>
    </message>
    <message>
        <source>Show the folder in the file manager</source>
        <translation>在文件管理器中显示此文件夹</translation>
    </message>
    <message>
        <source> GiB</source>
        <translation> GiB</translation>
    </message>
    <message>
        <source>no limit</source>
        <translation>不限</translation>
    </message>
    <message>
        <source>When a run starts, the images used longest ago are removed until the folder holds at most this much.</source>
        <translation>每次训练开始时，删除最久未用的图片，直到文件夹不超过此大小。</translation>
    </message>
    <message>
        <source>C&amp;lear…</source>
        <translation>清空(&amp;L)…</translation>
    </message>
    <message>
        <source>Folder:</source>
        <translation>文件夹：</translation>
    </message>
    <message>
        <source>Size cap:</source>
        <translation>大小上限：</translation>
    </message>
    <message>
        <source>Now:</source>
        <translation>当前：</translation>
    </message>
    <message>
        <source>Changes apply from the next training run.</source>
        <translation>更改从下一次训练起生效。</translation>
    </message>
    <message>
        <source>Name a folder.</source>
        <translation>请指定一个文件夹。</translation>
    </message>
    <message>
        <source>Give the folder&apos;s full path.</source>
        <translation>请填写文件夹的完整路径。</translation>
    </message>
    <message>
        <source>%1 is a file, not a folder.</source>
        <translation>%1 是文件，不是文件夹。</translation>
    </message>
    <message>
        <source>The folder does not exist yet; the next run makes it.</source>
        <translation>文件夹尚不存在；下一次训练时会创建。</translation>
    </message>
    <message>
        <source>Image Cache Folder</source>
        <translation>图片缓存文件夹</translation>
    </message>
    <message numerus="yes">
        <source>Remove the %n prepared image(s) in %1?

Training prepares them again when it next needs them. Only the cache&apos;s own files are removed.</source>
        <translation>
            <numerusform>删除 %1 中的 %n 张预处理好的图片？

训练下次需要时会重新处理它们。只删除缓存自己的文件。</numerusform>
        </translation>
    </message>
    <message>
        <source>Remove</source>
        <translation>删除</translation>
    </message>
    <message>
        <source>Keep</source>
        <translation>保留</translation>
    </message>
    <message numerus="yes">
        <source>The old folder %1 still holds %n prepared image(s) (%2). Remove them?</source>
        <translation>
            <numerusform>旧文件夹 %1 中仍有 %n 张预处理好的图片（%2）。删除它们吗？</numerusform>
        </translation>
    </message>
    <message>
        <source>Training keeps each image it resizes a lot (a large photo shrunk to half its pixels or less, a small one enlarged into SmolVLM&apos;s tiles) at the model&apos;s resolution, so later epochs and runs skip decoding and resizing it. When the folder is full, the images a run hasn&apos;t used make room, those used longest ago first. vltune-cli uses the same default folder.</source>
        <translation>训练时会把缩放幅度大的图片（大照片缩小到一半像素或更少，小图片放大成 SmolVLM 的切块）按模型分辨率保存下来，之后的轮次和训练就不必再解码和缩放它。文件夹满时，先删除本次训练未用到的图片，最久未用的先删。vltune-cli 使用同一个默认文件夹。</translation>
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
    <message>
        <source>Dataset</source>
        <translation>数据集</translation>
    </message>
    <message>
        <source>Train</source>
        <translation>训练</translation>
    </message>
    <message>
        <source>Evaluate &amp;&amp; Export</source>
        <translation>评估 &amp;&amp; 导出</translation>
    </message>
    <message>
        <source>Train page</source>
        <translation>训练页</translation>
    </message>
    <message>
        <source>Training started: %1</source>
        <translation>训练已开始：%1</translation>
    </message>
    <message>
        <source>Training: step %1 of %2, loss %3</source>
        <extracomment>Status bar during training: step, total, loss.</extracomment>
        <translation>训练中：第 %1 / %2 步，损失 %3</translation>
    </message>
    <message>
        <source>Checkpoint saved: %1</source>
        <translation>检查点已保存：%1</translation>
    </message>
    <message>
        <source>Training stopped at step %1 of %2; a checkpoint is in %3. Start again to resume.</source>
        <translation>训练已在第 %1 / %2 步停止；检查点位于 %3。再次开始即可继续训练。</translation>
    </message>
    <message>
        <source>Training finished at step %1 of %2 (mean train loss %3); the adapter is in %4.</source>
        <translation>训练已在第 %1 / %2 步完成（平均训练损失 %3）；适配器位于 %4。</translation>
    </message>
    <message>
        <source>Training failed: %1</source>
        <translation>训练失败：%1</translation>
    </message>
    <message>
        <source>Training failed</source>
        <translation>训练失败</translation>
    </message>
    <message>
        <source>Open dataset folder</source>
        <translation>打开数据集文件夹</translation>
    </message>
    <message>
        <source>Training is running</source>
        <translation>训练正在进行</translation>
    </message>
    <message>
        <source>Stop training and quit? The run stops after the current step and writes a checkpoint, so it can be resumed later.</source>
        <translation>停止训练并退出？训练会在当前步完成后停止并写入检查点，之后可以继续训练。</translation>
    </message>
    <message>
        <source>&amp;Open Dataset…</source>
        <translation>打开数据集(&amp;O)…</translation>
    </message>
    <message>
        <source>Open a dataset folder on the Dataset page</source>
        <translation>在数据集页中打开数据集文件夹</translation>
    </message>
    <message>
        <source>&lt;b&gt;Demo project&lt;/b&gt;</source>
        <translation>&lt;b&gt;演示项目&lt;/b&gt;</translation>
    </message>
    <message>
        <source>No demo project open. Open your own dataset and model to begin.</source>
        <translation>未打开演示项目。打开你自己的数据集和模型即可开始。</translation>
    </message>
    <message>
        <source>Train the demo</source>
        <translation>训练演示</translation>
    </message>
    <message>
        <source>Start the demo&apos;s LoRA run; the Monitor shows it, then compare in Chat.</source>
        <translation>开始演示的 LoRA 训练；在监控页查看过程，然后在对话页对比。</translation>
    </message>
    <message>
        <source>Open my own dataset…</source>
        <translation>打开我的数据集…</translation>
    </message>
    <message>
        <source>Choose my own model…</source>
        <translation>选择我的模型…</translation>
    </message>
    <message>
        <source>Preparing the demo project in %1…</source>
        <translation>正在 %1 中准备演示项目…</translation>
    </message>
    <message>
        <source>The demo project could not be made: %1</source>
        <translation>无法创建演示项目：%1</translation>
    </message>
    <message>
        <source>This is a demo: coloured shapes and a tiny Qwen2-VL with random weights, made on this machine in %1. Train it (under a minute on a CPU), watch the loss on the Monitor, then ask Chat &quot;What is in the picture?&quot; about a shape: the adapted model names it, the base model cannot.</source>
        <translation>这是一个演示：彩色图形和一个随机权重的微型 Qwen2-VL，已在本机的 %1 中生成。训练它（CPU 上不到一分钟），在监控页观察损失，然后在对话页就某个图形提问 &quot;What is in the picture?&quot;：微调后的模型能说出它，基础模型不能。</translation>
    </message>
    <message>
        <source>vltune — demo project</source>
        <translation>vltune — 演示项目</translation>
    </message>
    <message>
        <source>Model folder (config.json, safetensors, tokenizer)</source>
        <translation>模型文件夹（config.json、safetensors、分词器）</translation>
    </message>
    <message>
        <source>&amp;View</source>
        <translation>视图(&amp;V)</translation>
    </message>
    <message>
        <source>&amp;Theme</source>
        <translation>主题(&amp;T)</translation>
    </message>
    <message>
        <source>&amp;System</source>
        <translation>跟随系统(&amp;S)</translation>
    </message>
    <message>
        <source>&amp;Light</source>
        <translation>浅色(&amp;L)</translation>
    </message>
    <message>
        <source>&amp;Dark</source>
        <translation>深色(&amp;D)</translation>
    </message>
    <message>
        <source>&amp;Language</source>
        <translation>语言(&amp;L)</translation>
    </message>
    <message>
        <source>System language</source>
        <translation>系统语言</translation>
    </message>
    <message>
        <source>The language changes when vltune starts again.</source>
        <translation>重新启动 vltune 后语言才会更改。</translation>
    </message>
    <message>
        <source>Reopened your last project (%1). Train the demo to try vltune on a tiny model first.</source>
        <translation>已重新打开上次的项目（%1）。可以先训练演示项目，在小模型上试用 vltune。</translation>
    </message>
    <message>
        <source>&amp;Get Model…</source>
        <translation>获取模型(&amp;G)…</translation>
    </message>
    <message>
        <source>Download a model from the Hugging Face Hub, or pick one already on this machine</source>
        <translation>从 Hugging Face Hub 下载模型，或选择本机上已有的模型</translation>
    </message>
    <message>
        <source>Recent &amp;Datasets</source>
        <translation>最近的数据集(&amp;D)</translation>
    </message>
    <message>
        <source>Restart now</source>
        <translation>立即重启</translation>
    </message>
    <message>
        <source>Quit and start vltune again in the chosen language; the last dataset and YAML reopen.</source>
        <translation>退出并以所选语言重新启动 vltune；上次的数据集和 YAML 会重新打开。</translation>
    </message>
    <message>
        <source>Image &amp;Cache…</source>
        <translation>图片缓存(&amp;C)…</translation>
    </message>
    <message>
        <source>Where training keeps prepared images, how much it may keep, and emptying it</source>
        <translation>训练保存预处理图片的位置、可占用的空间，以及清空缓存</translation>
    </message>
</context>
<context>
    <name>vltune::ModelLibrary</name>
    <message>
        <source>unreadable config</source>
        <translation>配置无法读取</translation>
    </message>
    <message>
        <source>%1 (not supported)</source>
        <translation>%1（不支持）</translation>
    </message>
    <message>
        <source>Open Folder…</source>
        <translation>打开文件夹…</translation>
    </message>
    <message>
        <source>Model</source>
        <translation>模型</translation>
    </message>
    <message>
        <source>Family</source>
        <translation>系列</translation>
    </message>
    <message>
        <source>Size</source>
        <translation>大小</translation>
    </message>
    <message>
        <source>Dtype</source>
        <translation>数据类型</translation>
    </message>
    <message>
        <source>Use a model folder that is not in the Hugging Face cache (it must hold config.json).</source>
        <translation>使用不在 Hugging Face 缓存中的模型文件夹（其中必须有 config.json）。</translation>
    </message>
    <message>
        <source>No models in the Hugging Face cache at %1 yet.</source>
        <translation>%1 处的 Hugging Face 缓存中还没有模型。</translation>
    </message>
    <message>
        <source>Hugging Face cache: %1</source>
        <translation>Hugging Face 缓存：%1</translation>
    </message>
    <message>
        <source>Open Model Folder</source>
        <translation>打开模型文件夹</translation>
    </message>
    <message>
        <source>%1 is not a model vltune can load:
%2</source>
        <translation>%1 不是 vltune 可以加载的模型：
%2</translation>
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
        <source>skipped: %1</source>
        <translation>已跳过：%1</translation>
    </message>
    <message>
        <source>Export PNG…</source>
        <translation>导出 PNG…</translation>
    </message>
    <message>
        <source>Save the chart as an image</source>
        <translation>将图表保存为图片</translation>
    </message>
    <message>
        <source>Export CSV…</source>
        <translation>导出 CSV…</translation>
    </message>
    <message>
        <source>Save every series as a table: one row per step</source>
        <translation>将所有数据序列保存为表格：每步一行</translation>
    </message>
    <message>
        <source>No steps logged yet</source>
        <translation>尚未记录任何步</translation>
    </message>
    <message>
        <source>Show:</source>
        <translation>显示：</translation>
    </message>
    <message>
        <source>Train loss</source>
        <translation>训练损失</translation>
    </message>
    <message>
        <source>Eval loss</source>
        <translation>评估损失</translation>
    </message>
    <message>
        <source>Grad norm</source>
        <translation>梯度范数</translation>
    </message>
    <message>
        <source>Learning rate</source>
        <translation>学习率</translation>
    </message>
    <message>
        <source>Tokens/s</source>
        <translation>词元/秒</translation>
    </message>
    <message>
        <source>Checkpoint</source>
        <translation>检查点</translation>
    </message>
    <message>
        <source>Step</source>
        <translation>步</translation>
    </message>
    <message>
        <source>Saved</source>
        <translation>保存时间</translation>
    </message>
    <message>
        <source>Double-click a checkpoint to chat with it</source>
        <translation>双击检查点即可与其对话</translation>
    </message>
    <message>
        <source>Pinned samples</source>
        <translation>固定样本</translation>
    </message>
    <message>
        <source>Checkpoints</source>
        <translation>检查点</translation>
    </message>
    <message>
        <source>Log</source>
        <translation>日志</translation>
    </message>
    <message>
        <source>Export chart</source>
        <translation>导出图表</translation>
    </message>
    <message>
        <source>PNG images (*.png)</source>
        <translation>PNG 图片 (*.png)</translation>
    </message>
    <message>
        <source>Export data</source>
        <translation>导出数据</translation>
    </message>
    <message>
        <source>CSV files (*.csv)</source>
        <translation>CSV 文件 (*.csv)</translation>
    </message>
    <message>
        <source>trainer_log.jsonl was rewritten (the run resumed): reading it again</source>
        <translation>trainer_log.jsonl 已被重写（训练已继续）：正在重新读取</translation>
    </message>
    <message>
        <source>Cannot read %1: %2</source>
        <translation>无法读取 %1：%2</translation>
    </message>
    <message>
        <source>step %1/%2</source>
        <translation>第 %1/%2 步</translation>
    </message>
    <message>
        <source>loss %1</source>
        <translation>损失 %1</translation>
    </message>
    <message>
        <source>eval loss %1</source>
        <translation>评估损失 %1</translation>
    </message>
    <message>
        <source>lr %1</source>
        <translation>学习率 %1</translation>
    </message>
    <message>
        <source>grad norm %1</source>
        <translation>梯度范数 %1</translation>
    </message>
    <message>
        <source>%1 tokens/s</source>
        <translation>%1 词元/秒</translation>
    </message>
    <message>
        <source>step %1 / %2</source>
        <translation>第 %1 / %2 步</translation>
    </message>
    <message>
        <source>epoch %1</source>
        <translation>轮次 %1</translation>
    </message>
    <message>
        <source>%1 elapsed</source>
        <translation>已用时 %1</translation>
    </message>
    <message>
        <source>done</source>
        <translation>已完成</translation>
    </message>
    <message>
        <source>ETA %1</source>
        <translation>预计剩余 %1</translation>
    </message>
    <message>
        <source>Checkpoints (%1)</source>
        <translation>检查点（%1）</translation>
    </message>
    <message>
        <source>Open in Chat</source>
        <translation>在对话中打开</translation>
    </message>
    <message>
        <source>Show folder</source>
        <translation>显示文件夹</translation>
    </message>
    <message>
        <source>tokens/s</source>
        <translation>词元/秒</translation>
    </message>
    <message>
        <source>Skipped: %1</source>
        <translation>已跳过：%1</translation>
    </message>
    <message>
        <source>No NVIDIA GPU (%1)</source>
        <translation>没有 NVIDIA GPU（%1）</translation>
    </message>
    <message>
        <source>No NVIDIA GPU (NVML reports none)</source>
        <translation>没有 NVIDIA GPU（NVML 未报告任何设备）</translation>
    </message>
    <message>
        <source>GPU %1 %2</source>
        <translation>GPU %1 %2</translation>
    </message>
    <message>
        <source>%1% busy</source>
        <translation>利用率 %1%</translation>
    </message>
    <message>
        <source>%1 / %2</source>
        <translation>%1 / %2</translation>
    </message>
    <message>
        <source>%1 °C</source>
        <translation>%1 °C</translation>
    </message>
    <message>
        <source>%1 W</source>
        <translation>%1 W</translation>
    </message>
    <message>
        <source>this app %1</source>
        <translation>本程序 %1</translation>
    </message>
    <message>
        <source>system %1 / %2 used</source>
        <translation>系统已用 %1 / %2</translation>
    </message>
    <message>
        <source>CPU memory: %1</source>
        <translation>CPU 内存：%1</translation>
    </message>
    <message>
        <source>Reward margin</source>
        <translation>奖励差值</translation>
    </message>
    <message>
        <source>DPO: how much more the adapted model prefers the chosen answers than the base model does, beta × (log-ratio chosen − log-ratio rejected), averaged; it should climb.</source>
        <translation>DPO：微调后的模型比基座模型更偏好被选回答的程度，即 beta ×（被选回答对数比 − 被拒回答对数比）的平均值；应当逐步上升。</translation>
    </message>
    <message>
        <source>Reward accuracy</source>
        <translation>奖励准确率</translation>
    </message>
    <message>
        <source>DPO: the share of pairs whose chosen answer gets the higher reward (0–1).</source>
        <translation>DPO：被选回答获得更高奖励的样本对所占比例（0–1）。</translation>
    </message>
    <message>
        <source>reward margin %1</source>
        <translation>奖励差值 %1</translation>
    </message>
    <message>
        <source>accuracy %1</source>
        <translation>准确率 %1</translation>
    </message>
    <message>
        <source>eval reward margin %1</source>
        <translation>验证奖励差值 %1</translation>
    </message>
    <message>
        <source>loss, reward</source>
        <translation>损失、奖励</translation>
    </message>
</context>
<context>
    <name>vltune::PathEdit</name>
    <message>
        <source>Browse…</source>
        <translation>浏览…</translation>
    </message>
    <message>
        <source>Choose a folder</source>
        <translation>选择文件夹</translation>
    </message>
    <message>
        <source>Choose a file</source>
        <translation>选择文件</translation>
    </message>
</context>
<context>
    <name>vltune::PinnedSamplesEditor</name>
    <message>
        <source>No samples pinned: the run answers its first four validation samples. Pin up to four on the Dataset page (the pin button above the image) and ask them your own question.</source>
        <translation>未固定样本：训练会回答验证集的前四个样本。可在“数据集”页（图像上方的固定按钮）固定最多四个样本，并为它们设置自己的提问。</translation>
    </message>
    <message>
        <source>Answer every</source>
        <translation>回答间隔</translation>
    </message>
    <message>
        <source> steps</source>
        <translation> 步</translation>
    </message>
    <message>
        <source>evaluation interval</source>
        <translation>评估间隔</translation>
    </message>
    <message>
        <source>Steps between two rounds of answers (each round generates one answer per pinned sample). The evaluation interval, else the logging interval, when left at its lowest value.</source>
        <translation>两轮回答之间的步数（每轮为每个固定样本生成一个回答）。设为最小值时使用评估间隔，否则使用日志间隔。</translation>
    </message>
    <message>
        <source>no image</source>
        <translation>无图像</translation>
    </message>
    <message>
        <source>#%1 %2 row %3</source>
        <extracomment>A pinned sample&apos;s title: record number, data file and row.</extracomment>
        <translation>#%1 %2 第 %3 行</translation>
    </message>
    <message>
        <source>its own question</source>
        <translation>样本自身的提问</translation>
    </message>
    <message>
        <source>its own: %1</source>
        <translation>自身提问：%1</translation>
    </message>
    <message>
        <source>The question asked about this image every round; leave empty to ask the sample&apos;s own.</source>
        <translation>每轮针对此图像提出的问题；留空则使用样本自身的提问。</translation>
    </message>
    <message>
        <source>Unpin this sample</source>
        <translation>取消固定此样本</translation>
    </message>
</context>
<context>
    <name>vltune::PinnedSamplesView</name>
    <message>
        <source>Step through the rounds; the rightmost is the latest and follows new ones</source>
        <translation>逐轮查看；最右端为最新一轮，并会跟随新的轮次</translation>
    </message>
    <message>
        <source>step 000000 · round 000 of 000 (latest)</source>
        <translation>第 000000 步 · 第 000 / 000 轮（最新）</translation>
    </message>
    <message>
        <source>Round</source>
        <translation>轮次</translation>
    </message>
    <message>
        <source>pinned_samples.jsonl line %1</source>
        <translation>pinned_samples.jsonl 第 %1 行</translation>
    </message>
    <message>
        <source>%1: not JSON (%2)</source>
        <translation>%1：不是 JSON（%2）</translation>
    </message>
    <message>
        <source>%1: a round needs &quot;step&quot; and &quot;samples&quot;</source>
        <translation>%1：每轮都需要 &quot;step&quot; 和 &quot;samples&quot;</translation>
    </message>
    <message>
        <source>Reference</source>
        <translation>参考答案</translation>
    </message>
    <message>
        <source>Base model</source>
        <translation>基础模型</translation>
    </message>
    <message>
        <source>Over steps</source>
        <translation>随步数变化</translation>
    </message>
    <message>
        <source>base</source>
        <translation>基础</translation>
    </message>
    <message numerus="yes">
        <source>… %n earlier round(s)</source>
        <translation>
            <numerusform>… 更早的 %n 轮</numerusform>
        </translation>
    </message>
    <message>
        <source>step %1 · round %2 of %3 (latest)</source>
        <translation>第 %1 步 · 第 %2 / %3 轮（最新）</translation>
    </message>
    <message>
        <source>step %1 · round %2 of %3</source>
        <translation>第 %1 步 · 第 %2 / %3 轮</translation>
    </message>
    <message>
        <source>Sample %1 · record %2</source>
        <translation>样本 %1 · 记录 %2</translation>
    </message>
    <message>
        <source>(not recorded)</source>
        <translation>（未记录）</translation>
    </message>
    <message>
        <source>Cut at the answer length limit</source>
        <translation>已在回答长度上限处截断</translation>
    </message>
    <message>
        <source>Step %1 (latest)</source>
        <translation>第 %1 步（最新）</translation>
    </message>
    <message>
        <source>Step %1</source>
        <translation>第 %1 步</translation>
    </message>
    <message>
        <source>Sample %1 · %2</source>
        <translation>样本 %1 · %2</translation>
    </message>
    <message>
        <source>no image</source>
        <translation>无图像</translation>
    </message>
    <message>
        <source>image not found</source>
        <translation>找不到图像</translation>
    </message>
    <message>
        <source>No pinned samples in this run. Pin up to four samples on the Dataset page (ask them your own question on the Train page): every few steps the model answers them, and their answers appear here.</source>
        <translation>本次训练没有固定样本。可在“数据集”页固定最多四个样本（在“训练”页为它们设置提问）：每隔几步模型会回答它们，回答显示在这里。</translation>
    </message>
</context>
<context>
    <name>vltune::RunHistory</name>
    <message>
        <source>Recent runs</source>
        <translation>最近的训练</translation>
    </message>
    <message>
        <source>Open</source>
        <translation>打开</translation>
    </message>
    <message>
        <source>Remove from list</source>
        <translation>从列表中移除</translation>
    </message>
    <message>
        <source>folder missing</source>
        <translation>文件夹不存在</translation>
    </message>
    <message>
        <source>no steps logged</source>
        <translation>尚未记录任何步</translation>
    </message>
    <message>
        <source>step %1 / %2</source>
        <translation>第 %1 / %2 步</translation>
    </message>
    <message>
        <source>step %1 / %2 · loss %3</source>
        <translation>第 %1 / %2 步 · 损失 %3</translation>
    </message>
    <message>
        <source>Last opened %1</source>
        <translation>上次打开于 %1</translation>
    </message>
</context>
<context>
    <name>vltune::TrainForm</name>
    <message>
        <source>Model</source>
        <translation>模型</translation>
    </message>
    <message>
        <source>The Hugging Face model folder to fine-tune (config.json, *.safetensors, tokenizer); pick a recent one from the list or Browse….</source>
        <translation>要微调的 Hugging Face 模型文件夹（config.json、*.safetensors、分词器）；可从列表中选择最近使用的，或点击“浏览…”。</translation>
    </message>
    <message>
        <source>Model folder</source>
        <translation>模型文件夹</translation>
    </message>
    <message>
        <source>Start from adapter</source>
        <translation>从适配器开始</translation>
    </message>
    <message>
        <source>LoRA adapter folders to continue training from, comma separated; usually empty.</source>
        <translation>要在其基础上继续训练的 LoRA 适配器文件夹，用逗号分隔；通常留空。</translation>
    </message>
    <message>
        <source>none</source>
        <translation>无</translation>
    </message>
    <message>
        <source>Method</source>
        <translation>微调方法</translation>
    </message>
    <message>
        <source>LoRA trains small adapters (least memory), freeze trains the last layers, full trains every weight; LoRA is the usual choice.</source>
        <translation>LoRA 训练小型适配器（显存占用最少），冻结微调只训练最后几层，全参数微调训练所有权重；通常选择 LoRA。</translation>
    </message>
    <message>
        <source>LoRA</source>
        <translation>LoRA</translation>
    </message>
    <message>
        <source>Freeze (last layers)</source>
        <translation>冻结微调（最后几层）</translation>
    </message>
    <message>
        <source>Full fine-tuning</source>
        <translation>全参数微调</translation>
    </message>
    <message>
        <source>LoRA rank</source>
        <translation>LoRA 秩</translation>
    </message>
    <message>
        <source>The adapters&apos; inner width r: larger learns more but costs memory; usual 8–64.</source>
        <translation>适配器的内部维度 r：越大学习能力越强，但占用更多显存；常用 8–64。</translation>
    </message>
    <message>
        <source>LoRA alpha</source>
        <translation>LoRA 缩放系数</translation>
    </message>
    <message>
        <source>Scales the adapters&apos; output by alpha / rank; usually 2 × rank (leave at auto).</source>
        <translation>将适配器的输出按 alpha / rank 缩放；通常为 2 × 秩（保持自动即可）。</translation>
    </message>
    <message>
        <source>auto (2 × rank)</source>
        <translation>自动（2 × 秩）</translation>
    </message>
    <message>
        <source>LoRA dropout</source>
        <translation>LoRA 随机丢弃</translation>
    </message>
    <message>
        <source>Dropout on the adapters&apos; input, against overfitting small datasets; usual 0–0.1.</source>
        <translation>对适配器的输入做 dropout，防止在小数据集上过拟合；常用 0–0.1。</translation>
    </message>
    <message>
        <source>LoRA targets</source>
        <translation>LoRA 作用模块</translation>
    </message>
    <message>
        <source>Module names that get adapters, comma separated; &quot;all&quot; = every linear layer but lm_head and frozen parts (usual), or e.g. q_proj, v_proj for attention only.</source>
        <translation>要添加适配器的模块名称，用逗号分隔；&quot;all&quot; = 除 lm_head 和冻结部分外的所有线性层（常用），也可填如 q_proj, v_proj 仅作用于注意力层。</translation>
    </message>
    <message>
        <source>Rank-stabilised LoRA</source>
        <translation>秩稳定 LoRA</translation>
    </message>
    <message>
        <source>Scales by alpha / √rank instead of alpha / rank, which helps at high ranks (≥ 64); off by default.</source>
        <translation>按 alpha / √rank 而非 alpha / rank 缩放，在高秩（≥ 64）时有帮助；默认关闭。</translation>
    </message>
    <message>
        <source>DoRA</source>
        <translation>DoRA</translation>
    </message>
    <message>
        <source>Freeze vision tower</source>
        <translation>冻结视觉编码器</translation>
    </message>
    <message>
        <source>Keep the image encoder&apos;s weights fixed (usual); untick only with a large, visually new dataset.</source>
        <translation>保持图像编码器的权重不变（常用）；仅当数据集较大且视觉内容较新颖时才取消勾选。</translation>
    </message>
    <message>
        <source>Data</source>
        <translation>数据</translation>
    </message>
    <message>
        <source>Dataset folder</source>
        <translation>数据集文件夹</translation>
    </message>
    <message>
        <source>The folder holding dataset_info.json (LLaMA-Factory layout); relative paths are from the working folder.</source>
        <translation>包含 dataset_info.json 的文件夹（LLaMA-Factory 布局）；相对路径以工作文件夹为基准。</translation>
    </message>
    <message>
        <source>Datasets</source>
        <translation>数据集</translation>
    </message>
    <message>
        <source>Dataset names from dataset_info.json, comma separated; they are concatenated.</source>
        <translation>dataset_info.json 中的数据集名称，用逗号分隔；多个数据集将被拼接。</translation>
    </message>
    <message>
        <source>e.g. pokemon_cap</source>
        <translation>例如 pokemon_cap</translation>
    </message>
    <message>
        <source>Images folder</source>
        <translation>图片文件夹</translation>
    </message>
    <message>
        <source>Where relative image paths are looked up; empty = the dataset folder.</source>
        <translation>解析相对图片路径的位置；留空 = 数据集文件夹。</translation>
    </message>
    <message>
        <source>same as dataset folder</source>
        <translation>与数据集文件夹相同</translation>
    </message>
    <message>
        <source>Cutoff length</source>
        <translation>截断长度</translation>
    </message>
    <message>
        <source>Longest sample in tokens, image tokens included; longer ones are truncated; usual 2048–4096 for VLMs.</source>
        <translation>样本的最大词元数（含图像词元），超出部分会被截断；视觉语言模型常用 2048–4096。</translation>
    </message>
    <message>
        <source>Max samples</source>
        <translation>最大样本数</translation>
    </message>
    <message>
        <source>Use at most this many samples of each dataset, for quick trials; usually all.</source>
        <translation>每个数据集最多使用的样本数，用于快速试验；通常使用全部。</translation>
    </message>
    <message>
        <source>all</source>
        <translation>全部</translation>
    </message>
    <message>
        <source>Validation split</source>
        <translation>验证集比例</translation>
    </message>
    <message>
        <source>Held out to measure overfitting: a fraction below 1 (usual 0.05–0.1) or a sample count; 0 = none.</source>
        <translation>留出用于衡量过拟合：小于 1 的比例（常用 0.05–0.1）或样本数；0 = 不划分。</translation>
    </message>
    <message>
        <source>Pack samples</source>
        <translation>打包样本</translation>
    </message>
    <message>
        <source>Put several short samples in each row of cutoff length, each seeing only itself: the same loss with far less padding, so faster when sample lengths vary (LLaMA-Factory&apos;s neat_packing).</source>
        <translation>把多个短样本放进每一行（长度为截断长度），每个样本只看到自己：损失不变而填充大减，样本长短不一时更快（LLaMA-Factory 的 neat_packing）。</translation>
    </message>
    <message>
        <source>Training</source>
        <translation>训练</translation>
    </message>
    <message>
        <source>Learning rate</source>
        <translation>学习率</translation>
    </message>
    <message>
        <source>Peak step size: LoRA usually 1e-4–3e-4 (2e-4 is a good start), full fine-tuning 1e-5–5e-5.</source>
        <translation>峰值学习率：LoRA 通常为 1e-4–3e-4（2e-4 是不错的起点），全参数微调为 1e-5–5e-5。</translation>
    </message>
    <message>
        <source>Epochs</source>
        <translation>训练轮数</translation>
    </message>
    <message>
        <source>Passes over the data; usual 3–5 for under 10k samples, more tends to overfit.</source>
        <translation>遍历数据的次数；样本少于 1 万时常用 3–5，更多容易过拟合。</translation>
    </message>
    <message>
        <source>Max steps</source>
        <translation>最大步数</translation>
    </message>
    <message>
        <source>Total optimizer steps; when set it overrides the epochs; usually by epochs.</source>
        <translation>优化器总步数；设置后将覆盖训练轮数；通常按轮数训练。</translation>
    </message>
    <message>
        <source>by epochs</source>
        <translation>按轮数</translation>
    </message>
    <message>
        <source>LR schedule</source>
        <translation>学习率调节器</translation>
    </message>
    <message>
        <source>How the learning rate falls after warm-up; cosine is the usual choice.</source>
        <translation>预热后学习率的下降方式；通常选择余弦。</translation>
    </message>
    <message>
        <source>cosine</source>
        <translation>余弦</translation>
    </message>
    <message>
        <source>linear</source>
        <translation>线性</translation>
    </message>
    <message>
        <source>constant</source>
        <translation>常数</translation>
    </message>
    <message>
        <source>constant with warm-up</source>
        <translation>带预热的常数</translation>
    </message>
    <message>
        <source>Warm-up ratio</source>
        <translation>预热比例</translation>
    </message>
    <message>
        <source>Fraction of all steps spent ramping the learning rate up from 0; usual 0.03–0.1.</source>
        <translation>学习率从 0 逐步升高所占总步数的比例；常用 0.03–0.1。</translation>
    </message>
    <message>
        <source>Weight decay</source>
        <translation>权重衰减</translation>
    </message>
    <message>
        <source>AdamW&apos;s pull of the weights towards zero; usual 0–0.1.</source>
        <translation>AdamW 将权重拉向零的力度；常用 0–0.1。</translation>
    </message>
    <message>
        <source>Gradient clipping</source>
        <translation>梯度裁剪</translation>
    </message>
    <message>
        <source>Gradients are scaled down to at most this norm, against loss spikes; usual 1.0 (0 = off).</source>
        <translation>将梯度缩小到不超过此范数，防止损失突增；常用 1.0（0 = 关闭）。</translation>
    </message>
    <message>
        <source>Seed</source>
        <translation>随机种子</translation>
    </message>
    <message>
        <source>Seeds initialisation, dropout, the validation split and shuffling; change it to see run-to-run noise.</source>
        <translation>用于初始化、dropout、验证集划分和数据打乱；更改它可观察不同训练之间的随机波动。</translation>
    </message>
    <message>
        <source>Precision &amp;&amp; memory</source>
        <translation>精度 &amp;&amp; 显存</translation>
    </message>
    <message>
        <source>Batch size</source>
        <translation>批大小</translation>
    </message>
    <message>
        <source>Samples per forward pass; memory grows with it; usual 1–2 on 16 GB, 2–4 on 24 GB.</source>
        <translation>每次前向传播的样本数；显存占用随之增加；16 GB 常用 1–2，24 GB 常用 2–4。</translation>
    </message>
    <message>
        <source>Gradient accumulation</source>
        <translation>梯度累积</translation>
    </message>
    <message>
        <source>Batches summed before each optimizer step: effective batch = batch size × this; usual effective 16–32.</source>
        <translation>每次优化器更新前累加的批次数：有效批大小 = 批大小 × 此值；有效批大小常用 16–32。</translation>
    </message>
    <message>
        <source>Gradient checkpointing</source>
        <translation>梯度检查点</translation>
    </message>
    <message>
        <source>Recompute each layer&apos;s activations during backward: much less memory for ~30% more time; usually on.</source>
        <translation>在反向传播时重新计算各层激活值：显存大幅减少，耗时增加约 30%；通常开启。</translation>
    </message>
    <message>
        <source>Max image pixels</source>
        <translation>最大图像像素</translation>
    </message>
    <message>
        <source>Larger images are scaled down to this area (width × height) first; image tokens grow with it; usual 262144 (512²) to 1003520.</source>
        <translation>更大的图片会先缩小到此面积（宽 × 高）；图像词元数随之增加；常用 262144（512²）到 1003520。</translation>
    </message>
    <message>
        <source>Min image pixels</source>
        <translation>最小图像像素</translation>
    </message>
    <message>
        <source>Smaller images are scaled up to this area first; usual 1024 (32²).</source>
        <translation>更小的图片会先放大到此面积；常用 1024（32²）。</translation>
    </message>
    <message>
        <source>Output</source>
        <translation>输出</translation>
    </message>
    <message>
        <source>Output folder</source>
        <translation>输出文件夹</translation>
    </message>
    <message>
        <source>Where the adapter, checkpoints, logs and the loss plot are written, e.g. saves/qwen2vl-lora.</source>
        <translation>适配器、检查点、日志和损失曲线图的写入位置，例如 saves/qwen2vl-lora。</translation>
    </message>
    <message>
        <source>e.g. saves/my-run</source>
        <translation>例如 saves/my-run</translation>
    </message>
    <message>
        <source>Log every</source>
        <translation>日志间隔</translation>
    </message>
    <message>
        <source>Optimizer steps between loss log lines; usual 5–10.</source>
        <translation>两次记录损失之间的优化器步数；常用 5–10。</translation>
    </message>
    <message>
        <source>Checkpoint every</source>
        <translation>保存间隔</translation>
    </message>
    <message>
        <source>Optimizer steps between checkpoints; usual 100–500.</source>
        <translation>两次保存检查点之间的优化器步数；常用 100–500。</translation>
    </message>
    <message>
        <source>Keep checkpoints</source>
        <translation>保留检查点数</translation>
    </message>
    <message>
        <source>Keep at most this many checkpoints, the oldest removed; usual 2–5.</source>
        <translation>最多保留的检查点数量，超出时删除最旧的；常用 2–5。</translation>
    </message>
    <message>
        <source>Evaluate</source>
        <translation>评估</translation>
    </message>
    <message>
        <source>When to compute the validation loss (needs a validation split); usually every N steps.</source>
        <translation>何时计算验证损失（需要划分验证集）；通常每 N 步一次。</translation>
    </message>
    <message>
        <source>never</source>
        <translation>从不</translation>
    </message>
    <message>
        <source>every N steps</source>
        <translation>每 N 步</translation>
    </message>
    <message>
        <source>every epoch</source>
        <translation>每轮</translation>
    </message>
    <message>
        <source>Evaluate every</source>
        <translation>评估间隔</translation>
    </message>
    <message>
        <source>Steps between evaluations; usually the same as the checkpoint interval.</source>
        <translation>两次评估之间的步数；通常与保存间隔相同。</translation>
    </message>
    <message>
        <source>as logging</source>
        <translation>与日志间隔相同</translation>
    </message>
    <message>
        <source>Resume from</source>
        <translation>恢复自</translation>
    </message>
    <message>
        <source>A checkpoint-N folder to continue from, or &quot;true&quot; for the latest in the output folder; empty = start fresh (or resume if the output folder has checkpoints).</source>
        <translation>要从中继续训练的 checkpoint-N 文件夹，或填 &quot;true&quot; 使用输出文件夹中最新的检查点；留空 = 从头开始（若输出文件夹中已有检查点则继续训练）。</translation>
    </message>
    <message>
        <source>start fresh</source>
        <translation>从头开始</translation>
    </message>
    <message>
        <source>Plot loss</source>
        <translation>绘制损失曲线</translation>
    </message>
    <message>
        <source>Write training_loss.png to the output folder at the end.</source>
        <translation>训练结束时将 training_loss.png 写入输出文件夹。</translation>
    </message>
    <message>
        <source>Model folder (config.json, *.safetensors)</source>
        <translation>模型文件夹（config.json、*.safetensors）</translation>
    </message>
    <message>
        <source>Browse…</source>
        <translation>浏览…</translation>
    </message>
    <message>
        <source>Choose a model folder</source>
        <translation>选择模型文件夹</translation>
    </message>
    <message>
        <source>No model chosen</source>
        <translation>未选择模型</translation>
    </message>
    <message>
        <source>bf16 mixed (Ampere and newer)</source>
        <translation>bf16 混合精度（Ampere 及更新架构）</translation>
    </message>
    <message>
        <source>fp16 mixed (older GPUs)</source>
        <translation>fp16 混合精度（较旧的 GPU）</translation>
    </message>
    <message>
        <source>fp32 (no mixed precision)</source>
        <translation>fp32（不使用混合精度）</translation>
    </message>
    <message>
        <source>pure bf16 (no fp32 master weights)</source>
        <translation>纯 bf16（无 fp32 主权重）</translation>
    </message>
    <message>
        <source>Precision</source>
        <translation>计算精度</translation>
    </message>
    <message>
        <source>Number format of the forward and backward passes: bf16 is stable and halves memory on Ampere and newer GPUs, fp16 for older ones, fp32 on CPU.</source>
        <translation>前向和反向传播使用的数值格式：在 Ampere 及更新的 GPU 上，bf16 稳定且显存减半；较旧的 GPU 用 fp16，CPU 上用 fp32。</translation>
    </message>
    <message>
        <source>the model&apos;s default</source>
        <translation>模型默认</translation>
    </message>
    <message>
        <source>Chat template</source>
        <translation>对话模板</translation>
    </message>
    <message>
        <source>How conversations are laid out as text; must match the model (qwen2_vl for Qwen2/2.5-VL); empty = the model&apos;s default.</source>
        <translation>对话排布成文本的方式；必须与模型匹配（Qwen2/2.5-VL 用 qwen2_vl）；留空 = 模型默认。</translation>
    </message>
    <message>
        <source>Choose a model folder.</source>
        <translation>请选择模型文件夹。</translation>
    </message>
    <message>
        <source>Name at least one dataset from dataset_info.json.</source>
        <translation>请至少填写一个 dataset_info.json 中的数据集名称。</translation>
    </message>
    <message>
        <source>Choose an output folder.</source>
        <translation>请选择输出文件夹。</translation>
    </message>
    <message>
        <source>off (full-precision base)</source>
        <translation>关闭（全精度基座）</translation>
    </message>
    <message>
        <source>4-bit NF4 (QLoRA)</source>
        <translation>4 位 NF4（QLoRA）</translation>
    </message>
    <message>
        <source>8-bit (LLM.int8 rows)</source>
        <translation>8 位（LLM.int8 按行）</translation>
    </message>
    <message>
        <source>Quantise base</source>
        <translation>量化基座</translation>
    </message>
    <message>
        <source>Store the frozen language-model weights in 4 or 8 bits (QLoRA): about ¼ or ½ of the bf16 weight memory, slightly slower; the adapters still train in float32. Usual: off, or 4-bit on 8–12 GB cards.</source>
        <translation>以 4 位或 8 位存储冻结的语言模型权重（QLoRA）：约为 bf16 权重显存的 ¼ 或 ½，速度稍慢；适配器仍以 float32 训练。通常：关闭，8–12 GB 显卡用 4 位。</translation>
    </message>
    <message>
        <source>Weight-decomposed LoRA: a trained magnitude per output row beside the adapters; often a little better, slower and needs more memory; works on a quantised base too; off by default.</source>
        <translation>权重分解 LoRA：在适配器之外为每个输出行训练一个幅度；通常效果略好，但更慢、更占显存；也可用于量化的基座；默认关闭。</translation>
    </message>
    <message>
        <source>LoRA A init</source>
        <translation>LoRA A 初始化</translation>
    </message>
    <message>
        <source>How the adapters&apos; A matrices start (B starts at zero, so training starts from the base model either way): Kaiming-uniform is PEFT&apos;s default; Gaussian draws from N(0, 1/rank).</source>
        <translation>适配器 A 矩阵的初始值（B 从零开始，因此两种方式都从基座模型开始训练）：Kaiming 均匀分布是 PEFT 的默认值；高斯分布从 N(0, 1/秩) 中采样。</translation>
    </message>
    <message>
        <source>Kaiming-uniform (default)</source>
        <translation>Kaiming 均匀分布（默认）</translation>
    </message>
    <message>
        <source>Gaussian</source>
        <translation>高斯分布</translation>
    </message>
    <message>
        <source>Stage</source>
        <translation>阶段</translation>
    </message>
    <message>
        <source>SFT learns the answers of a conversation dataset; DPO learns to prefer the chosen over the rejected answer of a preference (ranking) dataset, usually after SFT.</source>
        <translation>SFT 学习对话数据集中的回答；DPO 在偏好（排序）数据集上学习更偏好被选回答而非被拒回答，通常在 SFT 之后进行。</translation>
    </message>
    <message>
        <source>Supervised fine-tuning (SFT)</source>
        <translation>监督微调（SFT）</translation>
    </message>
    <message>
        <source>Preference tuning (DPO)</source>
        <translation>偏好优化（DPO）</translation>
    </message>
    <message>
        <source>Preference (DPO)</source>
        <translation>偏好（DPO）</translation>
    </message>
    <message>
        <source>Beta</source>
        <translation>Beta</translation>
    </message>
    <message>
        <source>How far the adapted model may move from the base model (the reference): smaller lets it move further; usual 0.1.</source>
        <translation>微调后的模型可偏离基座模型（参考模型）多远：越小允许偏离越多；常用 0.1。</translation>
    </message>
    <message>
        <source>Loss</source>
        <translation>损失</translation>
    </message>
    <message>
        <source>Sigmoid is DPO&apos;s own loss (the usual choice); IPO is a squared loss on per-token log-probabilities that overfits less on small datasets.</source>
        <translation>Sigmoid 是 DPO 自身的损失（常用选择）；IPO 是基于逐词元对数概率的平方损失，在小数据集上更不易过拟合。</translation>
    </message>
    <message>
        <source>sigmoid (DPO)</source>
        <translation>sigmoid（DPO）</translation>
    </message>
    <message>
        <source>IPO</source>
        <translation>IPO</translation>
    </message>
    <message>
        <source>SFT weight</source>
        <translation>SFT 权重</translation>
    </message>
    <message>
        <source>Adds this times the chosen answers&apos; supervised loss, to keep the model fluent; usual 0 (off).</source>
        <translation>加上被选回答的监督损失乘以该系数，以保持模型表达流畅；常用 0（关闭）。</translation>
    </message>
    <message>
        <source>Label smoothing</source>
        <translation>标签平滑</translation>
    </message>
    <message>
        <source>The share of pairs assumed to be ranked the wrong way round (conservative DPO, sigmoid only); usual 0.</source>
        <translation>假定排序颠倒的样本对所占比例（保守 DPO，仅限 sigmoid）；常用 0。</translation>
    </message>
    <message>
        <source>Choose Stage: Preference tuning (DPO) to use these.</source>
        <translation>将“阶段”选为“偏好优化（DPO）”后才能使用这些设置。</translation>
    </message>
    <message>
        <source>Loader workers</source>
        <translation>加载线程</translation>
    </message>
    <message>
        <source>Threads decoding and resizing images ahead of training; raise it when the Monitor says training waited for batches (large photos, a fast GPU).</source>
        <translation>在训练之前解码并缩放图像的线程数；当“监控”页提示训练在等待批次时调高（大尺寸照片、较快的 GPU）。</translation>
    </message>
    <message>
        <source>auto (2)</source>
        <translation>自动 (2)</translation>
    </message>
    <message>
        <source>Offload checkpoints</source>
        <translation>卸载检查点到内存</translation>
    </message>
    <message>
        <source>With gradient checkpointing: each layer&apos;s saved input waits in system RAM instead of on the GPU (use_unsloth_gc). Frees layers × tokens × hidden size × 2 bytes of VRAM (0.4 GB for a 7B model at 2k tokens) for a copy there and back each step; for long samples on a small card.</source>
        <translation>开启梯度检查点时：每层保存的输入放在系统内存而不是显卡上（use_unsloth_gc）。可省下 层数 × token 数 × 隐藏维度 × 2 字节的显存（7B 模型、2k token 时约 0.4 GB），代价是每步来回复制一次；适合在小显存卡上训练长样本。</translation>
    </message>
</context>
<context>
    <name>vltune::TrainPage</name>
    <message>
        <source>GPU memory preset:</source>
        <translation>显存预设：</translation>
    </message>
    <message>
        <source>Choose…</source>
        <translation>选择…</translation>
    </message>
    <message>
        <source>%1 GB</source>
        <translation>%1 GB</translation>
    </message>
    <message>
        <source>Sets batch size, accumulation, gradient checkpointing, bf16 and the image pixel budget for a GPU of this size (a ~2B model with LoRA, effective batch 16).</source>
        <translation>按此显存大小的 GPU 设置批大小、梯度累积、梯度检查点、bf16 和图像像素预算（以约 2B 模型 + LoRA、有效批大小 16 为准）。</translation>
    </message>
    <message>
        <source>Load YAML…</source>
        <translation>加载 YAML…</translation>
    </message>
    <message>
        <source>Read a LLaMA-Factory training YAML into the form.</source>
        <translation>将 LLaMA-Factory 训练 YAML 读入表单。</translation>
    </message>
    <message>
        <source>Save YAML…</source>
        <translation>保存 YAML…</translation>
    </message>
    <message>
        <source>Write the settings as a LLaMA-Factory training YAML.</source>
        <translation>将设置保存为 LLaMA-Factory 训练 YAML。</translation>
    </message>
    <message>
        <source>Preview…</source>
        <translation>预览…</translation>
    </message>
    <message>
        <source>Show the YAML and the equivalent vltune-cli command.</source>
        <translation>显示 YAML 及等效的 vltune-cli 命令。</translation>
    </message>
    <message>
        <source>Estimate</source>
        <translation>估算</translation>
    </message>
    <message>
        <source>Measured on up to 200 samples of the dataset, images counted from their file headers under the current image pixel limits; text is approximated at 4 bytes per token.</source>
        <translation>基于数据集中最多 200 个样本测量：图片按文件头信息和当前像素限制计算，文本按每词元 4 字节近似。</translation>
    </message>
    <message>
        <source>weights = parameters × 2 bytes (bf16/fp16) or 4; optimizer = trainable parameters × 16 bytes (fp32 copy, gradient, AdamW moments); activations = batch × tokens × per-layer cost (much less with gradient checkpointing) + logits. CUDA&apos;s own overhead and the vision tower are not counted: expect 10–30% more.</source>
        <translation>权重 = 参数量 × 2 字节（bf16/fp16）或 4 字节；优化器 = 可训练参数量 × 16 字节（fp32 副本、梯度、AdamW 动量）；激活值 = 批大小 × 词元数 × 每层开销（开启梯度检查点时大幅减少）+ logits。未计入 CUDA 自身开销和视觉编码器：实际约多 10–30%。</translation>
    </message>
    <message>
        <source>Measure again</source>
        <translation>重新测量</translation>
    </message>
    <message>
        <source>Measure the dataset&apos;s images again (after adding images, say).</source>
        <translation>重新测量数据集中的图片（例如添加图片之后）。</translation>
    </message>
    <message>
        <source>Run</source>
        <translation>运行</translation>
    </message>
    <message>
        <source>Start training</source>
        <translation>开始训练</translation>
    </message>
    <message>
        <source>Pause</source>
        <translation>暂停</translation>
    </message>
    <message>
        <source>Pause after the current step (the GPU memory stays allocated).</source>
        <translation>在当前步完成后暂停（显存保持占用）。</translation>
    </message>
    <message>
        <source>Resume</source>
        <translation>继续</translation>
    </message>
    <message>
        <source>Stop</source>
        <translation>停止</translation>
    </message>
    <message>
        <source>Stop after the current step and save a checkpoint to resume from later.</source>
        <translation>在当前步完成后停止，并保存检查点以便之后继续。</translation>
    </message>
    <message>
        <source>Resume from checkpoint…</source>
        <translation>从检查点继续…</translation>
    </message>
    <message>
        <source>Pick a checkpoint-N folder of an earlier run; Start then continues from it.</source>
        <translation>选择先前训练的 checkpoint-N 文件夹；点击开始后将从该处继续。</translation>
    </message>
    <message>
        <source>Could not load %1: %2</source>
        <translation>无法加载 %1：%2</translation>
    </message>
    <message>
        <source>line %1: unknown key %2 (kept out of training)</source>
        <translation>第 %1 行：未知键 %2（不用于训练）</translation>
    </message>
    <message>
        <source>line %1: unknown key %2: did you mean %3?</source>
        <translation>第 %1 行：未知键 %2：你是否想输入 %3？</translation>
    </message>
    <message>
        <source>Ignored (mean nothing here): %1</source>
        <translation>已忽略（在此无意义）：%1</translation>
    </message>
    <message>
        <source>Loaded %1.</source>
        <translation>已加载 %1。</translation>
    </message>
    <message>
        <source>Loaded %1 with notes:
</source>
        <translation>已加载 %1，附注：
</translation>
    </message>
    <message>
        <source>Could not save %1: %2</source>
        <translation>无法保存 %1：%2</translation>
    </message>
    <message>
        <source>Saved %1.</source>
        <translation>已保存 %1。</translation>
    </message>
    <message>
        <source>Cannot start: %1</source>
        <translation>无法开始：%1</translation>
    </message>
    <message>
        <source>Start training with these settings.</source>
        <translation>使用这些设置开始训练。</translation>
    </message>
    <message>
        <source>Measuring…</source>
        <translation>正在测量…</translation>
    </message>
    <message>
        <source>No model chosen</source>
        <translation>未选择模型</translation>
    </message>
    <message>
        <source>%1 · %2 parameters · %3%4</source>
        <translation>%1 · %2 参数 · %3%4</translation>
    </message>
    <message>
        <source> · %1 layers</source>
        <translation> · %1 层</translation>
    </message>
    <message>
        <source>Tokens per sample: &lt;i&gt;choose a model and a dataset&lt;/i&gt;</source>
        <translation>每样本词元数：&lt;i&gt;请选择模型和数据集&lt;/i&gt;</translation>
    </message>
    <message>
        <source>VRAM: &lt;i&gt;needs a model&lt;/i&gt;</source>
        <translation>显存：&lt;i&gt;需要先选择模型&lt;/i&gt;</translation>
    </message>
    <message>
        <source>Tokens per sample: &lt;i&gt;%1&lt;/i&gt;</source>
        <translation>每样本词元数：&lt;i&gt;%1&lt;/i&gt;</translation>
    </message>
    <message>
        <source>Tokens per sample: min &lt;b&gt;%1&lt;/b&gt; · median &lt;b&gt;%2&lt;/b&gt; · max &lt;b&gt;%3&lt;/b&gt;&lt;br&gt;&lt;small&gt;%4 of %5 samples, %6 images; largest image %7 tokens&lt;/small&gt;</source>
        <translation>每样本词元数：最小 &lt;b&gt;%1&lt;/b&gt; · 中位数 &lt;b&gt;%2&lt;/b&gt; · 最大 &lt;b&gt;%3&lt;/b&gt;&lt;br&gt;&lt;small&gt;%4 / %5 个样本，%6 张图片；最大图片 %7 个词元&lt;/small&gt;</translation>
    </message>
    <message>
        <source>&lt;span style=&apos;color:#c0392b&apos;&gt;⚠ %1 of %2 measured samples exceed cutoff_len %3 and will be truncated: raise cutoff_len or lower image_max_pixels.&lt;/span&gt;</source>
        <translation>&lt;span style=&apos;color:#c0392b&apos;&gt;⚠ 已测量的 %2 个样本中有 %1 个超过 cutoff_len %3，将被截断：请提高 cutoff_len 或降低 image_max_pixels。&lt;/span&gt;</translation>
    </message>
    <message>
        <source>&lt;span style=&apos;color:#2e7d32&apos;&gt;✓ every measured sample fits cutoff_len %1.&lt;/span&gt;</source>
        <translation>&lt;span style=&apos;color:#2e7d32&apos;&gt;✓ 所有已测量样本均未超过 cutoff_len %1。&lt;/span&gt;</translation>
    </message>
    <message>
        <source>&lt;br&gt;%1 images could not be read (left out).</source>
        <translation>&lt;br&gt;%1 张图片无法读取（已排除）。</translation>
    </message>
    <message>
        <source>Estimated from headers only.</source>
        <translation>仅根据文件头估算。</translation>
    </message>
    <message>
        <source>Not running.</source>
        <translation>未运行。</translation>
    </message>
    <message>
        <source>&lt;b&gt;Training…&lt;/b&gt; (see Monitor for the curves)</source>
        <translation>&lt;b&gt;正在训练…&lt;/b&gt;（曲线见监控页）</translation>
    </message>
    <message>
        <source>&lt;b&gt;Paused.&lt;/b&gt;</source>
        <translation>&lt;b&gt;已暂停。&lt;/b&gt;</translation>
    </message>
    <message>
        <source>Stopping after the current step…</source>
        <translation>将在当前步完成后停止…</translation>
    </message>
    <message>
        <source>Load training YAML</source>
        <translation>加载训练 YAML</translation>
    </message>
    <message>
        <source>YAML files (*.yaml *.yml);;All files (*)</source>
        <translation>YAML 文件 (*.yaml *.yml);;所有文件 (*)</translation>
    </message>
    <message>
        <source>Save training YAML</source>
        <translation>保存训练 YAML</translation>
    </message>
    <message>
        <source>Choose a checkpoint folder</source>
        <translation>选择检查点文件夹</translation>
    </message>
    <message>
        <source>Pinned samples</source>
        <translation>固定样本</translation>
    </message>
    <message>
        <source>Answered with the current adapter before training and every N steps; the Monitor shows the answers change next to the base model&apos;s.</source>
        <translation>训练前及每 N 步用当前适配器回答；“监控”页将回答的变化与基座模型的回答并列显示。</translation>
    </message>
    <message>
        <source>; %1 of offloaded checkpoints in system RAM</source>
        <translation>；另有 %1 的卸载检查点位于系统内存</translation>
    </message>
    <message>
        <source>VRAM ≈ &lt;b&gt;%1&lt;/b&gt; (weights %2 + optimizer %3 + activations %4)&lt;br&gt;&lt;small&gt;%5 trainable parameters; batch %6%7&lt;/small&gt;</source>
        <translation>显存 ≈ &lt;b&gt;%1&lt;/b&gt;（权重 %2 + 优化器 %3 + 激活值 %4）&lt;br&gt;&lt;small&gt;可训练参数 %5；批大小 %6%7&lt;/small&gt;</translation>
    </message>
</context>
<context>
    <name>vltune::TrainPreviewDialog</name>
    <message>
        <source>Preview training settings</source>
        <translation>预览训练设置</translation>
    </message>
    <message>
        <source>Copy YAML</source>
        <translation>复制 YAML</translation>
    </message>
    <message>
        <source>Copy command</source>
        <translation>复制命令</translation>
    </message>
    <message>
        <source>&lt;b&gt;YAML&lt;/b&gt; (LLaMA-Factory keys; llamafactory-cli reads it too)</source>
        <translation>&lt;b&gt;YAML&lt;/b&gt;（LLaMA-Factory 键名；llamafactory-cli 也可读取）</translation>
    </message>
    <message>
        <source>&lt;b&gt;Command line&lt;/b&gt; (the same training without the GUI)</source>
        <translation>&lt;b&gt;命令行&lt;/b&gt;（无需图形界面即可运行相同的训练）</translation>
    </message>
    <message>
        <source>&lt;b&gt;Command line&lt;/b&gt; (the same training without the GUI, once the YAML is saved under that name)</source>
        <translation>&lt;b&gt;命令行&lt;/b&gt;（将 YAML 以该文件名保存后，无需图形界面即可运行相同的训练）</translation>
    </message>
</context>
<context>
    <name>vltune::ValidationSizeSpinBox</name>
    <message>
        <source>none</source>
        <translation>无</translation>
    </message>
    <message>
        <source>%1 = %2%</source>
        <translation>%1 = %2%</translation>
    </message>
    <message numerus="yes">
        <source>%n sample(s)</source>
        <translation>
            <numerusform>%n 个样本</numerusform>
        </translation>
    </message>
</context>
</TS>
