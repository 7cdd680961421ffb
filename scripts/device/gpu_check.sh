#!/usr/bin/env bash
# The device check: builds core/ and vltune-cli against the machine's CUDA LibTorch 2.x (the
# torch of its python3), then checks the engine on the GPU, most wanted first, each step skipped
# once the deadline (BUDGET_S seconds from the start) is near:
#   1. issue 12's runs: DoRA, QLoRA, QDoRA and DPO (bf16, NF4) training on CUDA, DoRA and DPO on
#      the CPU too, whose losses the CUDA runs should reproduce;
#   2. interoperability: each fp32 adapter loads in PEFT and its merged export (vltune-cli export)
#      loads in transformers with the same logits (check_interop.py); DoRA's first;
#   3. decoding: CUDA-graph steps against growing-shape ones (VLTUNE_CUDA_GRAPHS=0), base and
#      adapter in compare mode (two graphs on one model, adapters switched between their steps);
#   4. parity against transformers' fixtures on CUDA, float32 and bfloat16 (vltune-cli parity); the
#      same with the fused decoder kernels, and chat answers with them against the operations';
#   4b. (only when named: candidates) the same with the kernels not yet on by default, and
#       training with offloaded checkpoints against the same run without;
#   5. LoRA training runs per family on CUDA in fp32 and bf16 (and fp16 for one), plus the same fp32
#      run on this build's CPU, and their interoperability.
# Run from the repository root on the GPU box, with .device/ carried (scripts/device/make_device_dir.sh
# makes it here):
#   .device/deps.tar.xz  Debian bookworm's yaml-cpp, nlohmann-json, sentencepiece (+ protobuf-lite),
#                        PCRE2, ICU, stb and pkgconf, unpacked from their .debs (dpkg -x)
#   .device/fixtures/    <family>/model (+ reference.json/.safetensors for parity)
# Everything it reports goes to $OUT (default /tmp/vltune-gpu-check).
#   BUDGET_S=1500  CHECKS="issue12 interop decode parity fused families" (the parts to run, in this
#   order; "candidates" after fused when named)
set -uo pipefail
OUT="${OUT:-/tmp/vltune-gpu-check}"
mkdir -p "$OUT"
ROOT="$(pwd)"
FIX="${FIX:-$ROOT/.device/fixtures}"
JOBS="${JOBS:-$(nproc)}"
DEADLINE=$(( $(date +%s) + ${BUDGET_S:-1500} ))
left() { echo $(( DEADLINE - $(date +%s) )); }
log() { echo "== [$(left) s left] $*" | tee -a "$OUT/summary.txt"; }
# have N: at least N seconds before the deadline (BUDGET_S), else says what it skips.
have() { [ "$(left)" -ge "$1" ] && return 0; log "skipped, $(left) s left: ${2:-}"; return 1; }
# wants PART: whether CHECKS names it.
wants() { [[ " ${CHECKS:-issue12 interop decode parity fused families} " == *" $1 "* ]]; }

nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader | tee -a "$OUT/summary.txt"
source "$ROOT/scripts/device/setup_deps.sh"
log "torch $(python3 -c 'import torch; print(torch.__version__, torch.version.cuda)'), gcc $(gcc -dumpfullversion), $(cmake --version | head -1)"

# --- build ---------------------------------------------------------------------------------------
start=$(date +%s)
vltune_configure build-cuda -DVLTUNE_BUILD_BENCHMARKS=OFF || { log "configure FAILED"; tail -40 "$OUT/configure.log"; exit 1; }
timeout "${BUILD_TIMEOUT:-420}" cmake --build build-cuda --target vltune-cli -j"$JOBS" -- -k 0 >"$OUT/build.log" 2>&1
rc=$?
log "build rc=$rc in $(( $(date +%s) - start )) s"
if [ $rc -ne 0 ]; then
  grep -E "error|FAILED|undefined reference" "$OUT/build.log" | head -60
  exit 1
fi
BIN="$ROOT/build-cuda/bin/vltune-cli"

# --- training ------------------------------------------------------------------------------------
WORK=/tmp/vltune-train
mkdir -p "$WORK"
python3 scripts/device/make_colour_dataset.py "$WORK/data" --size 56 --repeats 8
template_of() { case "$1" in qwen2_vl|qwen2_5_vl) echo qwen2_vl;; idefics3) echo smolvlm;; llava) echo llava;; esac; }
train() {  # family precision device [variant: dora | qdora | qlora | gaussian | dpo | qdpo | packed | packed-plain | offload]
  local fam=$1 prec=$2 dev=$3 variant=${4:-} name="$1-$2-$3${4:+-$4}" extra="" stage=sft dataset=colours
  local envs=(env)
  [ "$prec" = bf16 ] && extra="bf16: true"
  [ "$prec" = fp16 ] && extra="fp16: true"
  case "$variant" in
    dora) extra+=$'\nuse_dora: true' ;;
    qdora) extra+=$'\nuse_dora: true\nquantization_bit: 4' ;;
    qlora) extra+=$'\nquantization_bit: 4' ;;
    gaussian) extra+=$'\ninit_lora_weights: gaussian' ;;
    dpo) stage=dpo dataset=colour_pairs extra+=$'\npref_beta: 0.1' ;;
    qdpo) stage=dpo dataset=colour_pairs extra+=$'\npref_beta: 0.1\nquantization_bit: 4' ;;
    # Packed rows of cutoff_len without checkpointing: fixed shapes, so the decoder's layers run as
    # replayed CUDA graphs (the default); packed-plain is the same without them.
    packed) extra+=$'\ndisable_gradient_checkpointing: true\npacking: true' ;;
    packed-plain) extra+=$'\ndisable_gradient_checkpointing: true\npacking: true' envs+=(VLTUNE_TRAIN_GRAPHS=0) ;;
    # Checkpointing offloaded to host memory (use_unsloth_gc): the same gradients as kept on the card.
    offload) extra+=$'\nuse_unsloth_gc: true' ;;
  esac
  cat >"$WORK/$name.yaml" <<YAML
model_name_or_path: $FIX/$fam/model
stage: $stage
finetuning_type: lora
lora_rank: 8
lora_target: all
dataset: $dataset
dataset_dir: data
template: $(template_of "$fam")
cutoff_len: 1024
output_dir: saves/$name
overwrite_output_dir: true
logging_steps: 1
save_strategy: "no"
per_device_train_batch_size: 4
gradient_accumulation_steps: 1
learning_rate: 1.0e-3
max_steps: 12
lr_scheduler_type: cosine
warmup_ratio: 0.1
val_size: 0.125
eval_strategy: steps
eval_steps: 6
seed: 42
$extra
YAML
  have 20 "train $name" || return 0
  local t=$(( $(left) - 5 < 120 ? $(left) - 5 : 120 ))
  (cd "$WORK" && timeout "$t" "${envs[@]}" "$BIN" train "$name.yaml" --device "$dev" --pinned-samples 2) >"$OUT/train_$name.log" 2>&1
  local rc=$?
  local losses
  losses=$(python3 - "$WORK/saves/$name/trainer_log.jsonl" <<'PY'
import json, sys
try:
    rows = [json.loads(l) for l in open(sys.argv[1])]
except OSError:
    print("no trainer_log.jsonl"); sys.exit()
print(" ".join("%.5f" % r["loss"] for r in rows if "loss" in r), "| eval", " ".join("%.4f" % r["eval_loss"] for r in rows if "eval_loss" in r),
      "| margins", " ".join("%.4f" % r["rewards/margins"] for r in rows if "rewards/margins" in r))
PY
)
  log "train $name: rc=$rc losses $losses"
  tail -c 400 "$OUT/train_$name.log" | tr '\r' '\n' | tail -2 >>"$OUT/summary.txt"
  grep -c "sample" "$WORK/saves/$name/pinned_samples.jsonl" 2>/dev/null | sed 's/^/pinned rounds: /' >>"$OUT/summary.txt"
}
# Issue 12 first: DoRA (its adapter goes through PEFT below: PEFT's DoRA forward against our
# merge), QLoRA and QDoRA on the NF4 kernel; DoRA on the CPU too, to compare losses; DPO (first
# loss ln 2 = 0.6931, margins rising), on the CPU too, on an NF4 base, and on SmolVLM in bf16.
if wants issue12; then
  train qwen2_vl fp32 cuda
  train qwen2_vl fp32 cuda dora
  train qwen2_vl fp32 cpu dora
  train qwen2_vl bf16 cuda qlora
  train qwen2_vl bf16 cuda qdora
  train qwen2_vl fp32 cuda dpo
  train qwen2_vl fp32 cpu dpo
  train qwen2_vl bf16 cuda qdpo
  train idefics3 bf16 cuda dpo
fi
# --- interoperability ----------------------------------------------------------------------------
# interop RUN...: exports each fp32 CUDA adapter of RUN (family[:variant]) merged, then PEFT loads
# the adapter and transformers the export (check_interop.py).
interop() {
  local TRIPLES=() run fam variant a
  for run in "$@"; do
    fam=${run%%:*}
    variant=${run#"$fam"}
    a="$WORK/saves/$fam-fp32-cuda${variant/:/-}"
    [ -f "$a/adapter_model.safetensors" ] || continue
    "$BIN" export --model "$FIX/$fam/model" --adapter "$a" --out "$a-merged" >>"$OUT/export.log" 2>&1 || log "export $a FAILED"
    TRIPLES+=("$FIX/$fam/model:$a:$a-merged")
  done
  [ ${#TRIPLES[@]} -gt 0 ] || return 0
  have 40 "interop $*" || return 0
  local t=$(( $(left) - 5 < 240 ? $(left) - 5 : 240 ))
  timeout "$t" python3 scripts/device/check_interop.py "${TRIPLES[@]}" 2>>"$OUT/interop_stderr.log" | tee -a "$OUT/summary.txt"
}
wants interop && interop qwen2_vl qwen2_vl:dora

# --- decoding: CUDA-graph steps give the growing steps' tokens --------------------------------------
IMG=$(ls "$FIX"/images/*.png 2>/dev/null | head -1)
for fam in qwen2_vl qwen2_5_vl idefics3 llava; do
  wants decode || break
  [ -d "$FIX/$fam/model" ] || continue
  for dt in fp32 bf16; do
    have 15 "decode $fam $dt" || break 2
    args=(chat --model "$FIX/$fam/model" --device cuda --precision "$dt" --greedy --max-new-tokens 48 ${IMG:+--image "$IMG"})
    [ -d "$FIX/$fam/adapter" ] && args+=(--adapter "$FIX/$fam/adapter" --compare --scale 40)
    args+=("What is in the picture?")
    VLTUNE_CUDA_GRAPHS=0 timeout 60 "$BIN" "${args[@]}" >"$OUT/chat_${fam}_${dt}_growing.txt" 2>"$OUT/chat_${fam}_${dt}_growing.err"
    rc1=$?
    timeout 60 "$BIN" "${args[@]}" >"$OUT/chat_${fam}_${dt}_graph.txt" 2>"$OUT/chat_${fam}_${dt}_graph.err"
    rc2=$?
    if cmp -s "$OUT/chat_${fam}_${dt}_growing.txt" "$OUT/chat_${fam}_${dt}_graph.txt"; then same=same; else same=DIFFERENT; fi
    log "decode $fam $dt: growing rc=$rc1, graph rc=$rc2, answers $same; $(grep -h -o '\[[^]]*tok/s[^]]*\]' "$OUT/chat_${fam}_${dt}_graph.err" | tr '\n' ' ')"
  done
done

# --- parity on CUDA ------------------------------------------------------------------------------
# parity_runs NAME WHAT [VAR=VALUE ...]: vltune-cli parity on CUDA for Qwen2-VL and Qwen2.5-VL in
# float32 and bfloat16 with that environment, each into parity${NAME}_<family>_<dtype>.txt; WHAT
# ends each log line's label.
parity_runs() {
  local name=$1 what=$2 fam dt file
  shift 2
  for fam in qwen2_vl qwen2_5_vl; do
    [ -f "$FIX/$fam/reference.json" ] || continue
    for dt in float32 bfloat16; do
      have 10 "parity $fam $dt$what" || return
      file="$OUT/parity${name}_${fam}_${dt}.txt"
      env "$@" "$BIN" parity "$FIX/$fam" --device cuda --dtype "$dt" >"$file" 2>&1
      log "parity $fam cuda $dt$what: rc=$? $(tail -1 "$file")"
    done
  done
}
wants parity && parity_runs "" "" VLTUNE_FUSED_KERNELS=0

# --- the fused decoder kernels (VLTUNE_FUSED_KERNELS=1: fp32 too): parity, and answers against the
# operations' (VLTUNE_FUSED_KERNELS=0; the plain parity above runs without them too)
# show_diff A B: where two answers part, into the summary (the texts themselves stay in $OUT).
show_diff() { diff "$1" "$2" | head -8 | cut -c1-300 | tee -a "$OUT/summary.txt"; }
# compare_answers A B WHAT: whether two chats' answers are the same, into the log; where they part
# when not.
compare_answers() {
  local same=DIFFERENT
  cmp -s "$1" "$2" && same=same
  log "$3: answers $same"
  [ "$same" = same ] || show_diff "$1" "$2"
}
# chat_args FAM DT: into `args`, the chat the decode comparisons run (with the fixture's adapter,
# base and adapted answers side by side).
chat_args() {
  args=(chat --model "$FIX/$1/model" --device cuda --precision "$2" --greedy --max-new-tokens 48 ${IMG:+--image "$IMG"})
  [ -d "$FIX/$1/adapter" ] && args+=(--adapter "$FIX/$1/adapter" --compare --scale 40)
  args+=("What is in the picture?")
}
if wants fused; then
  parity_runs _fused ", fused kernels" VLTUNE_FUSED_KERNELS=1
  for fam in qwen2_vl qwen2_5_vl idefics3 llava; do
    [ -d "$FIX/$fam/model" ] || continue
    for dt in fp32 bf16; do
      have 15 "fused decode $fam $dt" || break 2
      chat_args "$fam" "$dt"
      VLTUNE_FUSED_KERNELS=0 timeout 60 "$BIN" "${args[@]}" >"$OUT/chat_${fam}_${dt}_ops.txt" 2>/dev/null
      VLTUNE_FUSED_KERNELS=1 timeout 60 "$BIN" "${args[@]}" >"$OUT/chat_${fam}_${dt}_fused.txt" 2>"$OUT/chat_${fam}_${dt}_fused.err"
      compare_answers "$OUT/chat_${fam}_${dt}_ops.txt" "$OUT/chat_${fam}_${dt}_fused.txt" \
        "decode $fam $dt with the fused kernels (rc=$?) against the operations'"
      # Merged q/k/v and gate/up products (on in both runs above) against separate ones: a larger
      # product may round its last bit differently, so DIFFERENT wants a look at the texts.
      VLTUNE_MERGED_PRODUCTS=0 timeout 60 "$BIN" "${args[@]}" >"$OUT/chat_${fam}_${dt}_separate.txt" 2>/dev/null
      compare_answers "$OUT/chat_${fam}_${dt}_separate.txt" "$OUT/chat_${fam}_${dt}_fused.txt" \
        "decode $fam $dt with merged products against separate ones"
    done
  done
fi

# --- switches to compare with the defaults: the attention kernel's value pass with its rows loaded
# together (VLTUNE_ATTENTION_BATCHED_VALUES=1, off: run G found no gain) and the decode GEMV kernel
# (core/kernels/decode_linear.h; on since run G) left to cuBLAS (VLTUNE_DECODE_GEMV=0). Parity
# with the first on; answers with each against the defaults': the batched value pass does the same
# additions (must be the same), cuBLAS sums in another order than the GEMV kernel (in run G,
# Qwen2-VL's random bf16 model parted from it three tokens before the end of 48).
if wants candidates; then
  # Offloaded checkpointing (use_unsloth_gc, written without a GPU): the losses should equal the
  # plain run's to the digits printed (the backward's atomic adds aside).
  train qwen2_vl fp32 cuda
  train qwen2_vl fp32 cuda offload
  grep -h "offloaded" "$OUT/train_qwen2_vl-fp32-cuda-offload.log" 2>/dev/null | head -1 | tee -a "$OUT/summary.txt"
  parity_runs _candidates ", batched attention values" VLTUNE_FUSED_KERNELS=1 VLTUNE_ATTENTION_BATCHED_VALUES=1
  for fam in qwen2_vl qwen2_5_vl idefics3 llava; do
    [ -d "$FIX/$fam/model" ] || continue
    for dt in fp32 bf16; do
      have 15 "candidate decode $fam $dt" || break 2
      chat_args "$fam" "$dt"
      base="$OUT/chat_${fam}_${dt}"
      VLTUNE_FUSED_KERNELS=1 timeout 60 "$BIN" "${args[@]}" >"${base}_fused.txt" 2>/dev/null
      for cand in VLTUNE_ATTENTION_BATCHED_VALUES=1 VLTUNE_DECODE_GEMV=0; do
        VLTUNE_FUSED_KERNELS=1 env "$cand" timeout 60 "$BIN" "${args[@]}" >"${base}_${cand%=*}.txt" 2>"${base}_${cand%=*}.err"
        compare_answers "${base}_fused.txt" "${base}_${cand%=*}.txt" "decode $fam $dt with $cand (rc=$?) against the defaults'"
      done
    done
  done
fi

# --- the other families: training on CUDA against the CPU, fp16 ------------------------------------
if wants families; then
  for fam in idefics3 llava qwen2_5_vl; do
    [ -d "$FIX/$fam/model" ] || continue
    train "$fam" fp32 cuda
    train "$fam" bf16 cuda
  done
  train qwen2_vl bf16 cuda
  train qwen2_vl fp32 cpu
  train qwen2_vl fp16 cuda
  train qwen2_vl fp32 cuda gaussian
  # The CLI's training through the layers' CUDA graphs (the loader's threads, pinned samples and
  # evaluation between steps) against the same run without: the losses should keep together.
  train qwen2_vl bf16 cuda packed
  grep -h "CUDA graphs" "$OUT/train_qwen2_vl-bf16-cuda-packed.log" 2>/dev/null | head -2 | tee -a "$OUT/summary.txt"
  train qwen2_vl bf16 cuda packed-plain
  interop idefics3 llava qwen2_5_vl qwen2_vl:gaussian
fi

log "done in $(( $(date +%s) - start )) s"
