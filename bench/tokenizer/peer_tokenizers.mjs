// The peer: Hugging Face tokenizers (Rust) through the npm package @anush008/tokenizers, one
// thread (run with RAYON_NUM_THREADS=1), on the same corpus and modes as vltune-bench-tokenizer.
//   node peer_tokenizers.mjs <node_modules> <tokenizer.json> <corpus> [repeat]
import { createRequire } from "module";
import { readFileSync } from "fs";
import path from "path";

const [modules, tokenizerFile, corpusFile, repeatArg] = process.argv.slice(2);
const require = createRequire(path.join(path.resolve(modules), "noop.js"));
const { Tokenizer } = require("@anush008/tokenizers");
const repeat = Number(repeatArg || 3);
const text = readFileSync(corpusFile, "utf8");
const bytes = Buffer.byteLength(text, "utf8");
const lines = text.split("\n");
const tok = Tokenizer.fromFile(tokenizerFile);

// FNV-1a over 32-bit ids, as vltune-bench-tokenizer computes it.
function fnv(h, ids) {
  for (const id of ids) h = Math.imul((h ^ id) >>> 0, 16777619) >>> 0;
  return h;
}
const BASIS = 2166136261;

async function bestOf(run, digestOf) {
  let best = { seconds: Infinity, tokens: 0 };
  for (let i = 0; i < repeat; i++) {
    const start = process.hrtime.bigint();
    const tokens = await run();
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    if (seconds < best.seconds) best = { seconds, tokens };
  }
  best.digest = await digestOf();
  return best;
}

const opts = { addSpecialTokens: false };
const results = {
  whole: await bestOf(async () => (await tok.encode(text, null, opts)).getIds().length,
                      async () => fnv(BASIS, (await tok.encode(text, null, opts)).getIds())),
  // encodeBatch is the package's bulk call: one crossing into Rust for all lines.
  lines: await bestOf(async () => (await tok.encodeBatch(lines, opts)).reduce((n, e) => n + e.getIds().length, 0),
                      async () => (await tok.encodeBatch(lines, opts)).reduce((h, e) => fnv(h, e.getIds()), BASIS)),
};
for (const [mode, r] of Object.entries(results))
  console.log(JSON.stringify({ impl: "hf-tokenizers (npm)", mode, bytes, tokens: r.tokens, ids_fnv: r.digest,
                               seconds: Number(r.seconds.toFixed(4)), mb_per_s: Number((bytes / 1e6 / r.seconds).toFixed(3)) }));
