#!/usr/bin/env bash
# Decode benchmark on the GPU box, ours and the peer's in the same run on the same card:
#   vltune-bench-decode (built here against the machine's CUDA LibTorch) and bench_hf.py's
#   decode_bench (HF transformers generate, eager) for the three configs of ../shared/bench.
# Run from the repository root with .device/ carried (deps.tar.xz as for gpu_check.sh, and
# bench/ holding bench_hf.py and configs/ copied from ../shared/bench). Writes $OUT/decode.jsonl.
set -uo pipefail
OUT="${OUT:-/tmp/vltune-bench}"
mkdir -p "$OUT"
ROOT="$(pwd)"
BENCH="${BENCH:-$ROOT/.device/bench}"
MODELS="${MODELS:-smolvlm_256m qwen2_vl_2b qwen2_5_vl_3b}"
DEVICE="${DEVICE:-cuda}"
log() { echo "== $*" | tee -a "$OUT/summary.txt"; }

nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader | tee -a "$OUT/summary.txt"
source "$ROOT/scripts/device/setup_deps.sh"
start=$(date +%s)
vltune_build_benchmark vltune-bench-decode "${BUILD_TIMEOUT:-300}"

for m in $MODELS; do
  timeout 200 build-cuda/bin/vltune-bench-decode --config "$BENCH/configs/$m.config.json" --device "$DEVICE" --precision bf16 \
    2>>"$OUT/ours_stderr.log" | tee -a "$OUT/decode.jsonl"
done
if [ -z "${SKIP_HF:-}" ]; then
  for m in $MODELS; do
    (cd "$BENCH" && OUT="$OUT/hf" timeout 200 python3 -c "import bench_hf as B; B.decode_bench('$m')") 2>>"$OUT/hf_stderr.log" \
      | grep '^{' | tee -a "$OUT/decode.jsonl"
  done
fi
log "done in $(( $(date +%s) - start )) s"
