#!/usr/bin/env python3
"""The training benchmark's table from vltune-bench-train's and bench_hf.py's JSON lines: ours / HF
for tokens/s and peak memory per model, sequence length and gradient-checkpointing setting; our
QLoRA rows (quant nf4/int8, which HF has no peer for here) beside them; then the same-weights loss
check of `bench_hf.py --save`.
    [CARD_MIB=N] train_table.py TRAIN_JSONL [LOSS_CHECK_JSONL]"""
import json
import os
import sys

CARD_MIB = float(os.environ.get("CARD_MIB", "0"))  # the card's memory (nvidia-smi), for the caps


def rows_of(path):
    try:
        return [json.loads(l) for l in open(path) if l.startswith("{")]
    except FileNotFoundError:
        return []


def ratio(a, b):
    return "%.2f" % (a / b) if isinstance(a, (int, float)) and isinstance(b, (int, float)) and b else "-"


def num(r, k, fmt="%.1f"):
    v = r.get(k) if r else None
    return "-" if v is None else fmt % v


rows = rows_of(sys.argv[1])
# The base column: bf16 or the quantisation, plus the LoRA rank where it isn't the bench's 64, and
# the cap on the card's memory (GiB) the run was held to.
def base(r):
    b = "bf16" if r.get("quant", "none") == "none" else r["quant"]
    if r.get("lora_rank", 64) != 64:
        b += " r%d" % r["lora_rank"]
    if r.get("checkpoint_offload"):
        b += " offloaded"
    if r.get("memory_fraction") and CARD_MIB:
        b += " (cap %.2f GiB)" % (r["memory_fraction"] * CARD_MIB / 1024)
    return b


key = lambda r: (r["model"], r.get("seq_len"), r["grad_ckpt"], base(r))
ours = {key(r): r for r in rows if r.get("system") == "vltune"}
hf = {key(r): r for r in rows if r.get("system", "").startswith("hf_")}
# How often one of our steps made the host wait for the card (vltune-bench-train's "syncs", CUDA
# only; the loss read at the end is one).
def syncs(r):
    v = (r or {}).get("syncs", {}).get("per_step")
    return "-" if v is None else str(v)


print("| model | seq | grad ckpt | base | ours tok/s | HF tok/s | tok/s ours/HF | ours peak GiB | HF peak GiB | peak ours/HF | ours loss (step 1) | HF loss (step 1) | our syncs/step |")
print("| --- | ---: | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
for k in sorted(set(ours) | set(hf), key=lambda k: (k[0], k[1] or 0, not k[2], k[3])):
    o, h = ours.get(k), hf.get(k)
    print("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
        k[0], k[1], "on" if k[2] else "off", k[3], num(o, "tokens_per_s"), num(h, "tokens_per_s"),
        ratio(o and o.get("tokens_per_s"), h and h.get("tokens_per_s")),
        num(o, "peak_mem_gib", "%.2f"), num(h, "peak_mem_gib", "%.2f"), ratio(o and o.get("peak_mem_gib"), h and h.get("peak_mem_gib")),
        "%.4f" % o["first_step_loss"] if o else "-", "%.4f" % h["first_step_loss"] if h and "first_step_loss" in h else "-",
        syncs(o)))
print("(step-1 losses above are on different random weights: each side draws its own)")
# Where the waits beyond the loss read came from: the first call stack of each model's first row.
shown = set()
for k in sorted(ours):
    sites = ours[k].get("syncs", {}).get("first_sites") or []
    if k[0] in shown or ours[k].get("syncs", {}).get("per_step", 0) <= 1 or not sites:
        continue
    shown.add(k[0])
    print("first synchronisation of %s:\n%s" % (k[0], "\n".join(sites[0].splitlines()[:14])))
for r in rows_of(sys.argv[2]) if len(sys.argv) > 2 else []:
    hf0 = r.get("hf_step0_loss")
    print("same weights and batch (%s, bench_hf.py --save): ours first step %.5f, HF step 0 %s, diff %s" % (
        r["model"], r["first_step_loss"], "-" if hf0 is None else "%.5f" % hf0,
        "-" if hf0 is None else "%+.5f (%.2f%%)" % (r["first_step_loss"] - hf0, 100 * abs(r["first_step_loss"] - hf0) / abs(hf0))))
