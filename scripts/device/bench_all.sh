#!/usr/bin/env bash
# Every GPU figure the open issues ask for, in one run on one card, most wanted first, each step
# given what is left of a deadline (a GPU session is short and can't be resumed):
#   1. build vltune-bench-{quant,decode,train} and vltune-cli against the machine's CUDA LibTorch
#      (with the NF4 kernel; if nvcc can't build it, without, and the report says so), while
#      bench_hf.py --save writes the same-weights model for step 3;
# then the sections named in SECTIONS, in that order (default: all, as listed):
#   memory7b  a 7B-shaped Qwen2.5-VL (bench/configs) at 2k tokens (issues 11, 12): NF4 QLoRA capped
#             at 10 GB (decimal: 10^9 bytes each) at r=64 and at LLaMA-Factory's
#             default r=8, and bf16 LoRA capped at 24 GiB; r=64 under 10 GB and bf16 under 24 GiB
#             again with the checkpoints offloaded (--offload, use_unsloth_gc); a capped run that
#             fails is rerun uncapped for one step, to show what it needed;
#   train     training (issue 11): ours (profiled) and bench_hf.py's train_bench, checkpointing on/off;
#   loss      the same-weights loss check (bench_hf.py --save, ours --load);
#   decode    ours for the three configs of ../shared/bench (CUDA-graph steps), and the 2B's
#             growing-shape steps too (what the graph saves, on the same card);
#   memory3b  LoRA vs QLoRA at 2k tokens on Qwen2.5-VL-3B;
#   quant     vltune-bench-quant: the NF4 kernel bit-identical to the CPU dequantisation, its speed;
#   kernels   vltune-bench-kernels: the fused decoder kernels (RMSNorm, add + RMSNorm, silu * up,
#             rotary, decode attention, the decode GEMV) against the operations they replace, and
#             the attention rows again with VLTUNE_ATTENTION_BATCHED_VALUES=1; then the 2B's and
#             3B's decode with the defaults and without each (KERNEL_DECODE picks which runs);
#   hfdecode  HF's eager decode on the same card;
#   graphs    (only when named) training without checkpointing with the decoder's layers as
#             replayed CUDA graphs (the default) and without (VLTUNE_TRAIN_GRAPHS=0), alternating;
#             GRAPHS_CKPT=on: with checkpointing, VLTUNE_CHECKPOINT_GRAPHS=1 against 0.
# Run from the repository root with .device/ carried (deps.tar.xz, bench/ from ../shared/bench;
# scripts/device/make_device_dir.sh makes it).
# Reports in $OUT: summary.txt (the tables and the profiles' summaries), quant/decode/train/
# loss_check .jsonl, logs.tar.gz, traces.tar.gz (Chrome traces of the profiled steps, for
# chrome://tracing or Perfetto).
#   BUDGET_S=555 (seconds until the last step must end)  SKIP_HF=1  TRAIN_MODELS="smolvlm_256m ..."
#   KERNEL_DECODE="qwen2_vl_2b:VLTUNE_DEFAULTS=1 qwen2_vl_2b:VLTUNE_DECODE_GEMV=1,VLTUNE_FUSED_ATTENTION=0 ..."
#     (model:settings, several comma-separated)
#   SECTIONS="memory7b train loss decode kernels memory3b quant hfdecode graphs"
set -uo pipefail
R="${OUT:-/tmp/vltune-all}"
W=/tmp/vltune-all-work
mkdir -p "$R" "$W"
ROOT="$(pwd)"
BENCH="${BENCH:-$ROOT/.device/bench}"
DEADLINE=$(( $(date +%s) + ${BUDGET_S:-555} ))
left() { echo $(( DEADLINE - $(date +%s) )); }
log() { echo "== [$(left) s left] $*" | tee -a "$R/summary.txt"; }
# step NEED CAP CMD...: runs CMD under a timeout of CAP seconds or what is left (less a margin),
# or skips it when fewer than NEED seconds are left.
step() {
  local need=$1 cap=$2 l t
  shift 2
  l=$(left)
  if [ "$l" -lt "$need" ]; then log "skipped, $l s left: $*"; return 99; fi
  t=$(( l - 10 < cap ? l - 10 : cap ))
  timeout "$t" "$@"
}
pack_logs() {
  tar czf "$R/traces.tar.gz" -C "$W" profile 2>/dev/null
  tar czf "$R/logs.tar.gz" -C "$W" --exclude=./profile . 2>/dev/null
}
trap pack_logs EXIT

nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader | tee -a "$R/summary.txt"
GPU_NAME="$(nvidia-smi --query-gpu=name --format=csv,noheader | head -1)"
GPU_MIB="$(nvidia-smi --query-gpu=memory.total --format=csv,noheader,nounits | head -1)"
case "$GPU_NAME" in *H200*) BW=4300 ;; *) BW=3000 ;; esac  # measured device-to-device GB/s (KINDS.md)
# nvcc for the NF4 kernel: CMake looks on the PATH (CUDACXX wins).
[ -x /usr/local/cuda/bin/nvcc ] && export PATH="/usr/local/cuda/bin:$PATH"
command -v nvcc >/dev/null && export CUDACXX="${CUDACXX:-$(command -v nvcc)}"
OUT="$W" source "$ROOT/scripts/device/setup_deps.sh"
log "torch $(python3 -c 'import torch; print(torch.__version__, torch.version.cuda)'), $(nvcc --version 2>/dev/null | tail -1)"

# --- 1. build (HF's same-weights model is saved meanwhile: that needs the GPU, not its timing) ---
SAVED="$W/saved_smolvlm_256m"
SECTIONS="${SECTIONS:-memory7b train loss decode kernels memory3b quant hfdecode}"
if [ -z "${SKIP_HF:-}" ] && [[ " $SECTIONS " == *" loss "* ]]; then
  (cd "$BENCH" && OUT="$W/hf" timeout 200 python3 bench_hf.py --save "$SAVED" smolvlm_256m) >"$W/save.log" 2>&1 &
  SAVE_PID=$!
fi
OUT="$W" vltune_configure build-cuda -DVLTUNE_BUILD_BENCHMARKS=ON || { log "configure FAILED"; tail -40 "$W/configure.log"; exit 1; }
KERNELS=off
if grep -q "^VLTUNE_CUDA_KERNELS:BOOL=ON" build-cuda/CMakeCache.txt; then
  # Built already on a warm machine (a second run): then it takes a second, whatever is left.
  step 30 150 cmake --build build-cuda --target vltune_cuda_kernels -j"$(nproc)" >"$W/build_kernels.log" 2>&1
  krc=$?
  if [ $krc -eq 0 ]; then
    KERNELS=on
  else
    if [ $krc -eq 99 ] || [ $krc -eq 124 ]; then
      log "no time left to build the NF4 CUDA kernel (rc=$krc); building without it: no fused kernels either"
    else
      log "the NF4 CUDA kernel did not build; building without it"
      grep -E "error|warning" "$W/build_kernels.log" | head -20 | tee -a "$R/summary.txt"
    fi
    OUT="$W" vltune_configure build-cuda -DVLTUNE_BUILD_BENCHMARKS=ON -DVLTUNE_CUDA_KERNELS=OFF
  fi
fi
# vltune-cli too: gpu_check.sh, run next on the same machine, then finds it built.
TARGETS=(vltune-bench-quant vltune-bench-decode vltune-bench-train vltune-bench-kernels vltune-cli)
t0=$(date +%s)
step 120 380 cmake --build build-cuda --target "${TARGETS[@]}" -j"$(nproc)" -- -k 0 >"$W/build.log" 2>&1
rc=$?
if [ $rc -ne 0 ] && grep -q "step_profile" "$W/build.log"; then
  log "the profiler did not build against this LibTorch; building the benchmarks without --profile"
  grep -E "error:" "$W/build.log" | head -10 | tee -a "$R/summary.txt"
  OUT="$W" vltune_configure build-cuda -DVLTUNE_BUILD_BENCHMARKS=ON -DVLTUNE_BENCH_PROFILER=OFF
  step 120 300 cmake --build build-cuda --target "${TARGETS[@]}" -j"$(nproc)" -- -k 0 >>"$W/build.log" 2>&1
  rc=$?
fi
log "build rc=$rc in $(( $(date +%s) - t0 )) s, NF4 kernel $KERNELS"
grep -E "error:|FAILED|undefined reference" "$W/build.log" | head -30 | tee -a "$R/summary.txt"
B="$ROOT/build-cuda/bin"

# --- the sections ---------------------------------------------------------------------------------
: >"$R/train.jsonl"
: >"$R/decode.jsonl"
export CARD_MIB="$GPU_MIB"  # train_table.py shows each run's cap in GiB
# 2k tokens, batch 1: one 448x448 image (256 tokens) + 1792 text tokens, checkpointing on.
LONG=(--precision bf16 --device cuda --batch 1 --text-tokens 1792 --grad-ckpt on --steps 2 --warmup 1)
frac_gib() { python3 -c "print(min(1.0, $1 * 1024 / $GPU_MIB))" 2>/dev/null || echo 0; }
frac_gb() { python3 -c "print(min(1.0, $1 * 1e9 / ($GPU_MIB * 2**20)))" 2>/dev/null || echo 0; }
memory_table() {
  python3 "$ROOT/scripts/device/train_table.py" "$R/train.jsonl" | grep -E "\| qwen2_5_vl_(3b|7b) \| 2[0-9]{3} " | tee -a "$R/summary.txt"
}

# memory7b: issue 12's 10 GB QLoRA (r=64 as the bench, r=8 as LLaMA-Factory's default) and issue
# 11's 24 GiB LoRA, on the 7B-shaped config. A capped run that fails is rerun uncapped, one step.
section_memory7b() {
  local run rc rows
  for run in "nf4 64 $(frac_gb 10)" "nf4 8 $(frac_gb 10)" "none 64 $(frac_gib 24)" "nf4 64 $(frac_gb 10) --offload" \
    "none 64 $(frac_gib 24) --offload"; do
    set -- $run
    [ -x "$B/vltune-bench-train" ] || break
    rows=$(wc -l <"$R/train.jsonl")
    step 60 120 "$B/vltune-bench-train" "${LONG[@]}" --config-dir "$ROOT/bench/configs" --model qwen2_5_vl_7b \
      --quant "$1" --rank "$2" --memory-fraction "$3" ${4:-} 2>>"$W/qlora_stderr.log" | grep '^{' >>"$R/train.jsonl"
    rc=${PIPESTATUS[0]}
    log "memory qwen2_5_vl_7b $1 r=$2 ${4:-} (cap $3 of the card) rc=$rc"
    # No row: it failed (out of memory under the cap, most likely). The exit status can't say: the
    # random-weights bench may still end in SIGSEGV after writing its row (RESULTS.md).
    if [ "$rc" -ne 99 ] && [ "$(wc -l <"$R/train.jsonl")" -eq "$rows" ]; then
      tail -3 "$W/qlora_stderr.log" | tee -a "$R/summary.txt"
      step 60 100 "$B/vltune-bench-train" "${LONG[@]}" --steps 1 --warmup 0 --config-dir "$ROOT/bench/configs" \
        --model qwen2_5_vl_7b --quant "$1" --rank "$2" ${4:-} 2>>"$W/qlora_stderr.log" | grep '^{' >>"$R/train.jsonl"
      log "memory qwen2_5_vl_7b $1 r=$2 ${4:-} uncapped rc=${PIPESTATUS[0]}"
    fi
  done
  memory_table
}

# train: issue 11's table.
section_train() {
  TRAIN=(--config-dir "$BENCH/configs" --device cuda --precision bf16 --steps 6 --warmup 2)
  TRAIN_MODELS="${TRAIN_MODELS:-smolvlm_256m qwen2_vl_2b qwen2_5_vl_3b}"
  for m in $TRAIN_MODELS; do
    [ -x "$B/vltune-bench-train" ] || break
    trace=(); [ "$m" = smolvlm_256m ] || trace=(--no-trace)  # a 2B step's trace is ~100 MB
    step 40 100 "$B/vltune-bench-train" "${TRAIN[@]}" --model "$m" --grad-ckpt both --profile "$W/profile" "${trace[@]}" \
      2>>"$W/train_stderr.log" | grep '^{' >>"$R/train.jsonl"
    log "train ours $m rc=${PIPESTATUS[0]}"
  done
  if [ -z "${SKIP_HF:-}" ]; then
    # One process for all of HF's runs: its imports take a while; each run frees its model.
    (cd "$BENCH" && OUT="$W/hf" step 60 240 python3 -c "
import bench_hf as B, traceback
for m in '$TRAIN_MODELS'.split():
    for gc in (True, False):
        try:
            B.train_bench(m, gc=gc, steps=6, warm=2)
        except Exception:
            print('FAILED train', m, gc, traceback.format_exc()[-1500:], flush=True)
") 2>>"$W/hf_stderr.log" | tee -a "$W/hf_train.log" | grep '^{' >>"$R/train.jsonl"
    log "train HF rc=${PIPESTATUS[0]}"
  fi
  python3 "$ROOT/scripts/device/train_table.py" "$R/train.jsonl" | tee -a "$R/summary.txt"
}

# loss: the same weights and batch, HF's step-0 loss and our first step's.
section_loss() {
  : >"$R/loss_check.jsonl"
  if [ -n "${SAVE_PID:-}" ]; then
    wait "$SAVE_PID"
    log "HF save rc=$?"
    SAVE_PID=""
    if [ -f "$SAVED/hf_step0.json" ]; then
      step 30 60 "$B/vltune-bench-train" --load "$SAVED" --device cuda --precision bf16 --grad-ckpt off --steps 1 --warmup 0 \
        2>>"$W/train_stderr.log" | grep '^{' >>"$R/loss_check.jsonl"
      python3 "$ROOT/scripts/device/train_table.py" /dev/null "$R/loss_check.jsonl" | tail -n +3 | tee -a "$R/summary.txt"
    else
      tail -5 "$W/save.log" | tee -a "$R/summary.txt"
    fi
  fi
  rm -rf "$SAVED"
}

# decode: ours.
section_decode() {
  for run in "smolvlm_256m auto" "qwen2_vl_2b auto" "qwen2_5_vl_3b auto" "qwen2_vl_2b growing"; do
    set -- $run
    [ -x "$B/vltune-bench-decode" ] || break
    step 40 90 "$B/vltune-bench-decode" --config "$BENCH/configs/$1.config.json" --device cuda --precision bf16 \
      --steps "$2" --bandwidth-gbs "$BW" --profile "$W/profile" --no-trace 2>>"$W/decode_stderr.log" | grep '^{' >>"$R/decode.jsonl"
    log "decode ours $1 steps=$2 rc=${PIPESTATUS[0]}"
  done
}

# memory3b: LoRA vs QLoRA at 2k tokens on the 3B.
section_memory3b() {
  local q
  for q in nf4 none; do
    [ -x "$B/vltune-bench-train" ] || break
    step 60 120 "$B/vltune-bench-train" "${LONG[@]}" --config-dir "$BENCH/configs" --model qwen2_5_vl_3b --quant "$q" \
      2>>"$W/qlora_stderr.log" | grep '^{' >>"$R/train.jsonl"
    log "memory qwen2_5_vl_3b $q rc=${PIPESTATUS[0]}"
  done
  memory_table
}

# kernels: the fused decoder kernels against the operations (vltune-bench-kernels), then the 2B's
# and 3B's decode without the attention kernel (VLTUNE_FUSED_ATTENTION=0), without any of them
# (VLTUNE_FUSED_KERNELS=0) and without merged products (VLTUNE_MERGED_PRODUCTS=0), each after one
# with the defaults (all on for bf16), so each comparison is on one warm card.
section_kernels() {
  [ -x "$B/vltune-bench-kernels" ] || return 0
  step 30 90 "$B/vltune-bench-kernels" --reps 100 2>>"$W/kernels_stderr.log" >"$R/kernels.jsonl"
  log "kernels rc=$? (1: a case differs; 2: no kernels in this build) $(tail -1 "$W/kernels_stderr.log")"
  kernels_table "$R/kernels.jsonl"
  # The attention kernel's candidate value pass (rows loaded together): its attention rows.
  step 30 90 env VLTUNE_ATTENTION_BATCHED_VALUES=1 "$B/vltune-bench-kernels" --reps 100 2>>"$W/kernels_stderr.log" |
    grep '"decode_attention"' >"$R/kernels_batched_values.jsonl"
  log "kernels VLTUNE_ATTENTION_BATCHED_VALUES=1 rc=${PIPESTATUS[0]} $(tail -1 "$W/kernels_stderr.log")"
  kernels_table "$R/kernels_batched_values.jsonl"
  local run m setting runs="${KERNEL_DECODE:-}"
  if [ -z "$runs" ]; then
    for m in qwen2_vl_2b qwen2_5_vl_3b; do
      for setting in VLTUNE_DEFAULTS=1 VLTUNE_FUSED_ATTENTION=0 VLTUNE_FUSED_KERNELS=0 VLTUNE_MERGED_PRODUCTS=0; do
        runs="$runs $m:$setting"
      done
    done
  fi
  for run in $runs; do
    m="${run%%:*}" setting="${run#*:}"
    [ -x "$B/vltune-bench-decode" ] || break
    local -a settings
    IFS=, read -ra settings <<<"$setting"  # several, comma-separated: A=1,B=0
    step 40 90 env "${settings[@]}" "$B/vltune-bench-decode" --config "$BENCH/configs/$m.config.json" --device cuda \
      --precision bf16 --steps auto --bandwidth-gbs "$BW" --profile "$W/profile" --no-trace 2>>"$W/decode_stderr.log" |
      grep '^{' >>"$R/decode.jsonl"
    log "decode ours $m $setting rc=${PIPESTATUS[0]}"
  done
}

# kernels_table FILE: vltune-bench-kernels' rows, one line each (the decode GEMV's with the bytes a
# second each way reads its weight at, and its time by warps an output feature).
kernels_table() {
  python3 - "$1" <<'PY' | tee -a "$R/summary.txt"
import json, sys
for r in (json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")):
    errors = " error vs exact: ops %.3g, fused %.3g" % (r["ops_error"], r["fused_error"]) if "ops_error" in r else ""
    line = "%-9s %-44s %-9s ok=%-5s differing %d of %d (max |diff| %.3g of %.3g)%s  ops %.1f us, fused %.1f us" % (
        r["op"], r["shape"], r["dtype"], r["ok"], r["differing"], r["elements"], r["max_abs_diff"], r["max_abs_ref"], errors,
        r["ops_us"], r["fused_us"])
    if "fused_GBps" in r:
        line += " (%.0f / %.0f GB/s; by warps %s)" % (r["ops_GBps"], r["fused_GBps"],
                                                      " ".join("%s:%.1f" % kv for kv in r["fused_us_by_warps"].items()))
    print(line)
PY
}

# quant: the NF4 kernel check.
section_quant() {
  if [ -x "$B/vltune-bench-quant" ]; then
    step 30 30 "$B/vltune-bench-quant" --device cuda --reps 30 2>>"$W/quant_stderr.log" | tee "$R/quant.jsonl" >/dev/null
    log "quant rc=${PIPESTATUS[0]} (1: a case differs)"
    python3 - "$R/quant.jsonl" <<'PY' | tee -a "$R/summary.txt"
import json, sys
for r in (json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")):
    print("nf4 %-18s %-12s dq=%-5s kernel=%s equal=%s ops_equal=%s  direct %.1f us (%.0f GB/s)  ops %.1f us (%.0f GB/s)" % (
        r["weight"], "x".join(map(str, r["shape"])), r["double_quant"], r["cuda_kernel_built"], r["equal_to_cpu"],
        r["ops_equal_to_cpu"], r["direct_us"], r["direct_gb_per_s"], r["ops_us"], r["ops_gb_per_s"]))
PY
  fi
}

# graphs: the decoder's layers as replayed CUDA graphs (VLTUNE_TRAIN_GRAPHS=1, the default;
# core/models/graphed_stack.h) against plain, without checkpointing, alternating on one card. The
# graphs replay the plain kernels: the last step's loss must be within the plain runs' own spread
# (their backward's atomics add in varying order). GRAPHS_CKPT=on: with checkpointing instead, the
# checkpointed stack graphed (VLTUNE_CHECKPOINT_GRAPHS=1, the default since run G) against plain;
# its peak memory must stay near a checkpointed stack's (run G: 3-8% more, the graphs' pools).
section_graphs() {
  : >"$R/train_graphs.jsonl"
  local m g ckpt="${GRAPHS_CKPT:-off}" switch=VLTUNE_TRAIN_GRAPHS
  [ "$ckpt" = on ] && switch=VLTUNE_CHECKPOINT_GRAPHS
  for m in ${TRAIN_MODELS:-smolvlm_256m qwen2_vl_2b qwen2_5_vl_3b}; do
    for g in 1 0; do
      [ -x "$B/vltune-bench-train" ] || break 2
      step 30 60 env "$switch=$g" "$B/vltune-bench-train" --config-dir "$BENCH/configs" --device cuda \
        --precision bf16 --steps 8 --warmup 2 --model "$m" --grad-ckpt "$ckpt" 2>>"$W/graphs_stderr.log" |
        grep '^{' >>"$R/train_graphs.jsonl"
      log "train ours $m grad ckpt $ckpt $switch=$g rc=${PIPESTATUS[0]}"
    done
  done
  grep -i "CUDA graphs" "$W/graphs_stderr.log" | head -3 | tee -a "$R/summary.txt"
  python3 - "$R/train_graphs.jsonl" <<'PY' | tee -a "$R/summary.txt"
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
print("| model | grad ckpt | switches | graphs replayed | tok/s | ms/step | peak GiB | last step loss |")
print("| --- | --- | --- | --- | ---: | ---: | ---: | ---: |")
for r in rows:
    switches = (r.get("torch") or "").partition("switches: ")[2] or "defaults"
    print("| %s | %s | %s | %s | %.1f | %.1f | %s | %.6f |" % (r["model"], r.get("grad_ckpt"), switches, r.get("train_graphs"),
          r["tokens_per_s"], 1000 * r["step_s"], r["peak_mem_gib"], r["last_step_loss"]))
PY
}

# hfdecode: HF's eager decode on this card (last: its figure is known from ../shared/bench).
section_hfdecode() {
  if [ -z "${SKIP_HF:-}" ]; then
    (cd "$BENCH" && OUT="$W/hf" step 40 80 python3 -c "import bench_hf as B
for m in ('smolvlm_256m', 'qwen2_vl_2b'): B.decode_bench(m)") 2>>"$W/hf_stderr.log" | grep '^{' >>"$R/decode.jsonl"
  fi
}

for section in $SECTIONS; do
  "section_$section"
done
[ -n "${SAVE_PID:-}" ] && kill "$SAVE_PID" 2>/dev/null  # the loss section wasn't run
python3 - "$R/decode.jsonl" <<'PY' | tee -a "$R/summary.txt"
import json, sys
# The switches a row of ours ran with away from their defaults (its "torch" record ends with them).
switches = lambda r: (r.get("torch") or "").partition("switches: ")[2] or ("defaults" if r.get("system") == "vltune" else "-")
print("| model | system | switches | steps | CUDA graph | fused kernels | merged products | decode tok/s | first token s | weights GiB | read per token GiB | bound tok/s | of bound |")
print("| --- | --- | --- | --- | --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |")
for r in (json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")):
    g = lambda k, f="%s": "-" if r.get(k) is None else f % r[k]
    print("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (r["model"], r["system"], switches(r), g("steps"),
          g("cuda_graph"), g("fused_kernels"), g("merged_products"), g("decode_tokens_per_s"), g("prefill_s"), g("weight_gib"),
          g("decode_read_gib"), g("bandwidth_limit_tokens_per_s"), g("fraction_of_limit")))
PY
# --- the profiles: where our steps' time goes (LibTorch's profiler, after the timed steps) --------
python3 - "$R/train.jsonl" "$R/decode.jsonl" <<'PY' | tee -a "$R/summary.txt"
import json, sys
print("| work | model | setting | wall ms/step | GPU busy ms | GPU busy | launches | host ops | item() | to host | syncs | top GPU (ms/step) |")
print("| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
for f in sys.argv[1:]:
    for r in (json.loads(l) for l in open(f) if l.startswith("{")):
        p = r.get("profile")
        if not p or r.get("system") != "vltune":
            continue
        work = r["bench"]
        setting = ("ckpt " + ("on" if r.get("grad_ckpt") else "off")) if work == "train_lora" else "steps " + str(r.get("steps"))
        setting += " " + ((r.get("torch") or "").partition("switches: ")[2] or "defaults")
        if "error" in p:
            print("| %s | %s | profile failed: %s |" % (r["bench"], r["model"], p["error"].splitlines()[0][:200]))
            continue
        top = "; ".join("%s %.2f" % (k["name"][:40], k["ms_per_step"]) for k in p.get("top_gpu", [])[:3])
        print("| %s | %s | %s | %.2f | %.2f | %.0f%% | %.0f | %.0f | %.1f | %.1f | %.1f | %s |" % (work, r["model"], setting,
              p["wall_ms_per_step"], p["gpu_busy_ms_per_step"], 100 * p["gpu_busy_share"], p["kernel_launches_per_step"],
              p["host_ops_per_step"], p["item_calls_per_step"], p["device_to_host_copies_per_step"], p["sync_calls_per_step"], top))
PY
log "done"
