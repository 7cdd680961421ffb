#!/usr/bin/env bash
# Training benchmark on the GPU box, ours and the peer's in the same run on the same card:
#   vltune-bench-train (built here against the machine's CUDA LibTorch) and bench_hf.py's
#   train_bench (HF transformers + PEFT) for each model, gradient checkpointing on and off; then
#   `bench_hf.py --save` for one model and vltune-bench-train --load on that folder, so the two
#   first-step losses are on the same weights and batch. Prints one table of ratios (ours / HF).
# Run from the repository root with .device/ carried (deps.tar.xz as for gpu_check.sh, and
# bench/ holding bench_hf.py and configs/ copied from ../shared/bench). Writes $OUT/train.jsonl,
# $OUT/loss_check.jsonl and $OUT/summary.txt.
#   MODELS="smolvlm_256m qwen2_vl_2b"  SAVE_MODEL=qwen2_vl_2b  SKIP_HF=1  STEPS=8  WARMUP=3
set -uo pipefail
OUT="${OUT:-/tmp/vltune-bench}"
mkdir -p "$OUT"
ROOT="$(pwd)"
BENCH="${BENCH:-$ROOT/.device/bench}"
MODELS="${MODELS:-smolvlm_256m qwen2_vl_2b qwen2_5_vl_3b}"
SAVE_MODEL="${SAVE_MODEL:-smolvlm_256m}"
STEPS="${STEPS:-8}"
WARMUP="${WARMUP:-3}"
log() { echo "== $*" | tee -a "$OUT/summary.txt"; }

nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader | tee -a "$OUT/summary.txt"
source "$ROOT/scripts/device/setup_deps.sh"
start=$(date +%s)
vltune_build_benchmark vltune-bench-train "${BUILD_TIMEOUT:-360}"
BIN="$ROOT/build-cuda/bin/vltune-bench-train"

# --- speed and memory: ours, then HF's, one process per model so peaks don't mix ---------------
: >"$OUT/train.jsonl"
for m in $MODELS; do
  timeout "${OURS_TIMEOUT:-240}" "$BIN" --config-dir "$BENCH/configs" --model "$m" --device cuda --precision bf16 \
    --grad-ckpt both --steps "$STEPS" --warmup "$WARMUP" 2>>"$OUT/ours_stderr.log" | grep '^{' | tee -a "$OUT/train.jsonl"
  log "ours $m rc=${PIPESTATUS[0]}"
done
if [ -z "${SKIP_HF:-}" ]; then
  for m in $MODELS; do
    for gc in True False; do
      (cd "$BENCH" && OUT="$OUT/hf" timeout "${HF_TIMEOUT:-240}" python3 -c \
        "import bench_hf as B; B.train_bench('$m', gc=$gc, steps=$STEPS, warm=$WARMUP)") 2>>"$OUT/hf_stderr.log" \
        | grep '^{' | tee -a "$OUT/train.jsonl"
    done
  done
fi

# --- the same weights and batch: HF's step-0 loss against our first step's -----------------------
: >"$OUT/loss_check.jsonl"
SAVED="$OUT/saved_$SAVE_MODEL"
if (cd "$BENCH" && OUT="$OUT/hf" timeout "${HF_TIMEOUT:-240}" python3 bench_hf.py --save "$SAVED" "$SAVE_MODEL") \
    >>"$OUT/save.log" 2>&1; then
  timeout "${OURS_TIMEOUT:-240}" "$BIN" --load "$SAVED" --device cuda --precision bf16 --grad-ckpt off --steps 1 --warmup 0 \
    2>>"$OUT/ours_stderr.log" | grep '^{' | tee -a "$OUT/loss_check.jsonl"
else
  log "bench_hf.py --save $SAVE_MODEL FAILED"; tail -20 "$OUT/save.log"
fi
rm -rf "$SAVED"  # the random model is large; its numbers are in the logs

# --- one table: ours / HF --------------------------------------------------------------------------
python3 "$ROOT/scripts/device/train_table.py" "$OUT/train.jsonl" "$OUT/loss_check.jsonl" | tee -a "$OUT/summary.txt"
log "done in $(( $(date +%s) - start )) s"
