#!/usr/bin/python3
"""Expected values for tests/core/test_eval_metrics.cpp, from the reference implementations.

Run with Debian's Python (not a virtualenv), from anywhere:
    apt-get install python3-nltk python3-jieba python3-numpy
    /usr/bin/python3 tests/data/eval/make_metric_reference.py
It rewrites metric_reference.json beside itself.

What each number is, as LLaMA-Factory's ComputeSimilarity (src/llamafactory/train/sft/metric.py)
computes it per sample:
  - segmentation: list(jieba.cut(text)), jieba's default (accurate mode, HMM on);
  - bleu-4: nltk sentence_bleu([list(label)], list(pred), SmoothingFunction().method3) over
    characters, times 100, round(..., 4);
  - rouge-1/2/l: rouge_chinese Rouge().get_scores(" ".join(hyp), " ".join(ref))[0][k]["f"]
    over the jieba words, times 100, round(..., 4); 0.0 for all three when either side has no
    word after " ".join(...).split();
  - the mean over samples: float(np.mean(values)) of those rounded values.
rouge-chinese is not packaged by Debian. When `import rouge_chinese` fails, the script uses the
transcription below of its scoring (rouge_chinese 1.0.3: Rouge.cut_sent, Rouge._get_scores,
rouge_score.rouge_n with set-based n-grams, rouge_score.rouge_l_summary_level); the JSON records
which one produced the numbers ("rouge_implementation").
"""

import json
import math
import os
import random
import re
import sys
import logging

import jieba
import nltk
import numpy as np
from nltk.translate.bleu_score import SmoothingFunction, sentence_bleu

jieba.setLogLevel(logging.CRITICAL)
jieba.initialize()

try:
    from rouge_chinese import Rouge  # type: ignore

    ROUGE_IMPL = "rouge_chinese (installed package)"
except ImportError:
    ROUGE_IMPL = "transcription of rouge_chinese 1.0.3 in make_metric_reference.py"

    class Rouge:  # noqa: D101  (only what get_scores(str, str) with the defaults runs)
        @staticmethod
        def cut_sent(para):
            para = re.sub("([。！？\\?])([^”’])", r"\1\n\2", para)
            para = re.sub("(\\.{6})([^”’])", r"\1\n\2", para)
            para = re.sub("(\\…{2})([^”’])", r"\1\n\2", para)
            para = re.sub("([。！？\\?][”’])([^，。！？\\?])", r"\1\n\2", para)
            para = para.rstrip()
            return para.split("\n")

        @staticmethod
        def _words(sentences):
            out = []
            for s in sentences:
                out.extend(s.split(" "))
            return out

        @classmethod
        def _rouge_n(cls, hyp, ref, n):
            if len(hyp) <= 0 or len(ref) <= 0:
                raise ValueError("empty")

            def grams(words):
                return {tuple(words[i:i + n]) for i in range(len(words) - n + 1)}

            h, r = grams(cls._words(hyp)), grams(cls._words(ref))
            overlap = len(h & r)
            p = 0.0 if len(h) == 0 else overlap / len(h)
            rc = 0.0 if len(r) == 0 else overlap / len(r)
            return {"f": 2.0 * ((p * rc) / (p + rc + 1e-8)), "p": p, "r": rc}

        @classmethod
        def _rouge_l(cls, hyp, ref):
            if len(hyp) <= 0 or len(ref) <= 0:
                raise ValueError("empty")
            x, y = cls._words(ref), cls._words(hyp)
            m, n = len(x), len(y)
            table = [[0] * (n + 1) for _ in range(m + 1)]
            for i in range(1, m + 1):
                for j in range(1, n + 1):
                    if x[i - 1] == y[j - 1]:
                        table[i][j] = table[i - 1][j - 1] + 1
                    else:
                        table[i][j] = max(table[i - 1][j], table[i][j - 1])
            llcs = table[m][n]
            r_lcs, p_lcs = llcs / m, llcs / n
            return {"f": 2.0 * ((p_lcs * r_lcs) / (p_lcs + r_lcs + 1e-8)), "p": p_lcs, "r": r_lcs}

        def get_scores(self, hyp, ref):
            hyp = [" ".join(_.split()) for _ in self.cut_sent(hyp) if len(_) > 0]
            ref = [" ".join(_.split()) for _ in self.cut_sent(ref) if len(_) > 0]
            return [{
                "rouge-1": self._rouge_n(hyp, ref, 1),
                "rouge-2": self._rouge_n(hyp, ref, 2),
                "rouge-l": self._rouge_l(hyp, ref),
            }]


def rouge_f(hypothesis, reference):
    """LLaMA-Factory's ROUGE block for token lists: f-scores times 100, rounded."""
    if len(" ".join(hypothesis).split()) == 0 or len(" ".join(reference).split()) == 0:
        result = {"rouge-1": {"f": 0.0}, "rouge-2": {"f": 0.0}, "rouge-l": {"f": 0.0}}
    else:
        result = Rouge().get_scores(" ".join(hypothesis), " ".join(reference))[0]
    return {k: round(v["f"] * 100, 4) for k, v in result.items()}


def bleu4(pred, label):
    score = sentence_bleu([list(label)], list(pred), smoothing_function=SmoothingFunction().method3)
    return score, round(score * 100, 4)


# (prediction, label): English, Chinese, mixed, digits and punctuation, empty and whitespace-only
# sides, identical texts, texts shorter than 4 characters (where smoothing method 3 matters),
# HMM-recognised names, sentence splits on 。！？ … ...... and closing quotes, newlines after
# sentence ends (rouge_chinese then counts an empty word), emoji and Han outside jieba's range.
PAIRS = [
    ("The quick brown fox jumps over the lazy dog.", "The quick brown fox jumps over the lazy dog."),
    ("the cat sat on the mat", "the cat is on the mat"),
    ("我来到北京清华大学", "我来到了北京的清华大学"),
    ("今天天气很好。我们去公园散步吧！", "今天天气不错，我们去公园走走吧。"),
    ("你好！\n我很好。", "你好！我也很好。\n"),
    ("Qwen2-VL是一个视觉语言模型，支持3.14%的图片。", "Qwen2-VL 是视觉-语言模型，支持图片和视频。"),
    ("价格是1,299.00元（含税）", "价格为1299元，含税。"),
    ("", "这是标签"),
    ("预测", ""),
    ("   \n", "abc"),
    ("好", "好的"),
    ("ab", "ab"),
    ("abc", "abcd"),
    ("哈哈哈哈哈", "哈哈"),
    ("王小明在北京大学读书，欧阳娜娜去了三里屯。", "王晓明在北大读书，欧阳娜娜去三里屯了。"),
    ("他说……然后走了", "他说......然后离开了......好吧"),
    ("他问：“你来吗？”我说：“来。”", "他问：“你来不来？”我回答：“来！”好的"),
    ("A picture of two dogs playing in the snow, 2 dogs and 1 ball.",
     "Two dogs are playing with a ball in the snow; there are 2 dogs."),
    ("Ｈｅｌｌｏ　世界\t测试", "Hello 世界 测试"),
    ("今天很开心😀👍", "今天很开心😀"),
    ("臺灣的鐵路很方便", "台湾的铁路很方便"),
    ("C++和AT&T的c#代码", "c++与AT&T的C#代码"),
    ("第一行\r\n第二行", "第一行\n第二行"),
    ("好吗？？真的！！是的。", "好吗？真的！是的。。"),
    ("e-mail_address 100% ok", "email address 100 % ok"),
    ("苹果", "香蕉"),
    ("㐀㐁是扩展A区的字，\u9fd6也不在范围里", "㐀㐁是扩展区的汉字"),
    ("等待........好的", "等待......好的"),
    ("图中有一只猫坐在沙发上，旁边放着一本书。", "图中有一只猫坐在沙发上，旁边放着一本书。"),
    ("x", "y"),
]

# Extra texts for the segmentation check only.
SEGMENT_ONLY = [
    "我来到北京清华大学，今天天气不错！Hello world 3.14%  和C++、AT&T……\r\n新冠肺炎患者2020年",
    "他来到了网易杭研大厦",
    "小明硕士毕业于中国科学院计算所，后在日本京都大学深造",
    "工信处女干事每月经过下属科室都要亲口交代24口交换机等技术性器件的安装工作",
    "结过婚的和尚未结过婚的",
    "李小福是创新办主任也是云计算方面的专家",
    "永和服装饰品有限公司",
    "我爱北京天安门。。。",
    "retina屏幕和iPhone 15 Pro Max的A17芯片",
    "1+1=2，1.5倍速，50%的概率，-3.5度",
    "#hashtag &amp; under_score.dot-dash",
    "“引号”‘单引号’《书名号》【方括号】",
    "\u3000全角空格\u00a0不换行空格\u2028行分隔",
    "龘靐齉爩𠀀𠀁",
    "ABCＤＥＦ１２３",
    "他说：\"Python3.11很快\"",
    "   ",
    "",
    "\n\n\r\n\t",
    "a",
    "中",
    "的的的的的的",
    "南京市长江大桥",
    "乒乓球拍卖完了",
    "研究生命起源",
    "大连美容美发学校中君意是你值得信赖的选择",
    "吴国忠臣伍子胥",
    "欧阳建国是创新办主任也是欢聚时代公司云计算方面的专家",
]


def speed_metrics(split, runtime, num_samples, num_steps):
    """transformers.trainer_utils.speed_metrics with the runtime given instead of measured
    (transformers is not packaged by Debian bookworm; this is its code minus the clock)."""
    result = {f"{split}_runtime": round(runtime, 4)}
    if runtime == 0:
        return result
    result[f"{split}_samples_per_second"] = round(num_samples / runtime, 3)
    result[f"{split}_steps_per_second"] = round(num_steps / runtime, 3)
    return result


# Records for the writers: special tokens, quotes, backslashes, control characters, DEL, U+2028,
# emoji, Chinese.
RECORDS = [
    {"prompt": "<|im_start|>user\n<|vision_start|><|image_pad|><|vision_end|>描述这张图片。<|im_end|>\n"
               "<|im_start|>assistant\n",
     "predict": "一只猫坐在\"沙发\"上\\n\t😀\x01\x7f\u2028end",
     "label": "一只猫在沙发上。"},
    {"prompt": "", "predict": "", "label": "/path/to\\file \b\f\r"},
]


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    pairs = []
    for pred, label in PAIRS:
        hyp, ref = list(jieba.cut(pred)), list(jieba.cut(label))
        raw_bleu, bleu = bleu4(pred, label)
        pairs.append({
            "prediction": pred,
            "label": label,
            "prediction_tokens": hyp,
            "label_tokens": ref,
            "bleu_raw": raw_bleu,
            "bleu-4": bleu,
            "rouge_jieba": rouge_f(hyp, ref),
            "rouge_characters": rouge_f(list(pred), list(label)),
        })

    def mean_of(key, sub=None):
        values = [p[key] if sub is None else p[key][sub] for p in pairs]
        return float(np.mean(values))

    means = {
        "bleu-4": mean_of("bleu-4"),
        "rouge-1": mean_of("rouge_jieba", "rouge-1"),
        "rouge-2": mean_of("rouge_jieba", "rouge-2"),
        "rouge-l": mean_of("rouge_jieba", "rouge-l"),
    }
    means_characters = {k: mean_of("rouge_characters", k) for k in ("rouge-1", "rouge-2", "rouge-l")}

    # np.mean sums pairwise (blocks of 8, split above 128): long lists check that path too.
    rng = random.Random(8)
    mean_checks = []
    for n in (1, 7, 8, 9, 127, 128, 129, 300, 1000):
        values = [round(rng.random() * 100, 4) for _ in range(n)]
        mean_checks.append({"values": values, "mean": float(np.mean(values))})

    # Python's round(x, 4) on ties and near-ties of the binary value.
    round_checks = [[x, round(x, 4)] for x in
                    (0.03125, 1.03125, 2.00005, 45.67895, 99.99995, 0.00015, 33.333333333, 1 / 3 * 100,
                     2 / 3 * 100, 12.34565, 0.0, 100.0, 5e-05, 1e-05, 6.103515625e-05)]

    segmentation = [{"text": t, "tokens": list(jieba.cut(t))} for t in SEGMENT_ONLY]

    # What CustomSeq2SeqTrainer.save_predictions and Trainer.save_metrics write.
    jsonl = "".join(json.dumps({"prompt": r["prompt"], "predict": r["predict"], "label": r["label"]},
                               ensure_ascii=False) + "\n" for r in RECORDS)
    run = {"runtime": 12.3456789, "samples": len(PAIRS), "steps": 8}
    metrics = {f"predict_{k}": v for k, v in means.items()}
    metrics.update(speed_metrics("predict", run["runtime"], run["samples"], run["steps"]))
    fallback = dict(metrics)
    fallback.update({f"predict_{k}": v for k, v in means_characters.items()})
    fallback["predict_rouge_note"] = "rouge over characters (jieba dictionary not found)"
    earlier = {"epoch": 3.0, "total_flos": 1.2345678e+16, "train_loss": 1.25, "train_runtime": 100.5,
               "predict_runtime": 99.0, "note": "ünïcode"}
    merged = dict(earlier)
    merged.update(metrics)
    float_values = [0.0, -0.0, 1.0, 100.0, 0.0001, 5e-05, 1e-05, 0.1 + 0.2, 1e16, 1e15, 123456789012345.67,
                    9999999999999998.0, 1.5e300, 2.5e-300, 40.26837333333334, 1 / 3]
    writers = {
        "records": RECORDS,
        "jsonl": jsonl,
        "run": run,
        "predict_results": json.dumps(metrics, indent=4, sort_keys=True),
        "predict_results_rouge_characters": json.dumps(fallback, indent=4, sort_keys=True),
        "all_results_before": json.dumps(earlier, indent=4, sort_keys=True),
        "all_results_after": json.dumps(merged, indent=4, sort_keys=True),
        "float_values": float_values,
        "float_values_text": json.dumps(float_values, indent=4),
    }

    out = {
        "about": "expected values for tests/core/test_eval_metrics.cpp; regenerate with "
                 "make_metric_reference.py, never edit by hand",
        "python": sys.version.split()[0],
        "nltk": nltk.__version__,
        "jieba": jieba.__version__,
        "jieba_dictionary": os.path.join(os.path.dirname(jieba.__file__), "dict.txt"),
        "numpy": np.__version__,
        "rouge_implementation": ROUGE_IMPL,
        "pairs": pairs,
        "means": means,
        "means_rouge_characters": means_characters,
        "mean_checks": mean_checks,
        "round_checks": round_checks,
        "segmentation": segmentation,
        "writers": writers,
    }
    with open(os.path.join(here, "metric_reference.json"), "w", encoding="utf-8") as f:
        json.dump(out, f, ensure_ascii=False, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
