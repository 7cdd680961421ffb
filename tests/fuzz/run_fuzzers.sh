#!/usr/bin/env bash
# Builds the fuzz harnesses with clang and runs each for $1 seconds (default 300), seeded with the
# fixture checkpoints. Not part of ctest: fuzzing is open-ended. Crashes land in build-fuzz/crashes.
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds="${1:-300}"
fixtures="${VLTUNE_HF_FIXTURES:-../shared/fixtures/hf}"
CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DVLTUNE_CORE_ONLY=ON -DVLTUNE_BUILD_TESTS=OFF \
  -DVLTUNE_BUILD_FUZZERS=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build-fuzz --target fuzz_safetensors_header fuzz_tokenizer
mkdir -p build-fuzz/corpus build-fuzz/crashes
# Seeds: the head of each real checkpoint (header plus a little data) keeps runs fast.
for f in "$fixtures"/*/model/model.safetensors "$fixtures"/*/adapter/adapter_model.safetensors; do
  [ -f "$f" ] && head -c 65536 "$f" > "build-fuzz/corpus/seed-$(echo "$f" | md5sum | cut -c1-12)"
done
printf '\x10\x00\x00\x00\x00\x00\x00\x00{"__metadata__":{}}' > build-fuzz/corpus/seed-min
build-fuzz/bin/fuzz_safetensors_header build-fuzz/corpus -max_total_time="$seconds" \
  -max_len=65536 -artifact_prefix=build-fuzz/crashes/ -print_final_stats=1

# The tokenizer: seeded with the reference texts (CJK, emoji, whitespace runs, special tokens).
mkdir -p build-fuzz/corpus-tokenizer
python3 - "$fixtures" build-fuzz/corpus-tokenizer <<'PY'
import json, sys, pathlib, hashlib
root, out = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
for f in root.glob("*/tokenizer_reference.json"):
    for case in json.loads(f.read_text()):
        t = case["text"].encode()
        (out / hashlib.md5(t).hexdigest()).write_bytes(t)
PY
build-fuzz/bin/fuzz_tokenizer build-fuzz/corpus-tokenizer -max_total_time="$seconds" \
  -max_len=4096 -artifact_prefix=build-fuzz/crashes/ -print_final_stats=1
