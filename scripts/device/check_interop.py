#!/usr/bin/env python3
"""Interoperability check on a machine with transformers + PEFT (the GPU box): what vltune trained
and exported loads in the reference stack.

For each (base model, adapter, merged export) triple given as BASE:ADAPTER:MERGED:
  1. PeftModel.from_pretrained loads the adapter, and every tensor of adapter_model.safetensors
     lands, unchanged, in a LoRA parameter of the model (no key dropped by a layout mismatch);
  2. the merged checkpoint loads with AutoModelForImageTextToText without missing or unexpected
     keys, and its logits on a text prompt equal the PEFT model's (max |diff| <= 1e-4 * max |ref|).
     For a DoRA adapter this sets PEFT's own DoRA forward against vltune's merge.
Prints one line per triple; exits 1 when any check fails.
"""
import sys

import torch
from peft import PeftModel
from safetensors.torch import load_file
from transformers import AutoModelForImageTextToText


def check(base_dir, adapter_dir, merged_dir):
    torch.manual_seed(0)
    base = AutoModelForImageTextToText.from_pretrained(base_dir, dtype=torch.float32)
    model = PeftModel.from_pretrained(base, adapter_dir).eval()
    saved = load_file(adapter_dir + "/adapter_model.safetensors")
    inside = model.state_dict()
    landed, nonzero_b = 0, 0
    for key, value in saved.items():
        name = key.replace(".lora_A.weight", ".lora_A.default.weight").replace(".lora_B.weight", ".lora_B.default.weight")
        if name.endswith(".lora_magnitude_vector"):  # DoRA: PEFT saves it without ".default.weight"
            name += ".default.weight"
        if name in inside and torch.equal(inside[name].cpu(), value):
            landed += 1
        if ".lora_B." in key and value.abs().max() > 0:
            nonzero_b += 1
    ok = landed == len(saved) and nonzero_b > 0
    vocab = base.config.get_text_config().vocab_size
    ids = (torch.arange(12) * 7 + 3).remainder(vocab).unsqueeze(0)
    with torch.no_grad():
        ref = model(input_ids=ids).logits
    merged, info = AutoModelForImageTextToText.from_pretrained(merged_dir, dtype=torch.float32, output_loading_info=True)
    bad_keys = [k for k in ("missing_keys", "unexpected_keys", "mismatched_keys") if info.get(k)]
    with torch.no_grad():
        got = merged.eval()(input_ids=ids).logits
    diff = (got - ref).abs().max().item()
    scale = ref.abs().max().item()
    ok = ok and not bad_keys and diff <= 1e-4 * scale
    print(f"{'OK ' if ok else 'BAD'} {adapter_dir}: {landed}/{len(saved)} adapter tensors landed in PEFT, "
          f"{nonzero_b} trained lora_B; merged export {'loads cleanly' if not bad_keys else info}; "
          f"logits max|diff| {diff:.2e} (max|ref| {scale:.2f})")
    return ok


def main(argv):
    results = []
    for triple in argv[1:]:
        try:
            results.append(check(*triple.split(":")))
        except Exception as e:  # report and go on with the next family
            print(f"BAD {triple}: {type(e).__name__}: {e}")
            results.append(False)
    return 0 if results and all(results) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
