// The canary for the Siger worker (siger-worker.js): before a WebGPU engine serves anyone, its
// greedy reply to a fixed prompt is compared with a CPU engine's from the same bytes. And the
// warm-up: a CPU engine writes a short greedy reply before it serves anyone, so that V8 has
// optimised the hot wasm functions before the student's first reply.

import { watched } from './siger-faults.js';

/**
 * A short greedy reply on both engines, before any student's: quantized GPU paths that return
 * wrong text without an error are a known failure of browser runtimes.
 */
const CANARY = {
  messages: [{ role: 'user', content: 'Apa itu fotosintesis?' }],
  options: { temperature: 0, max_tokens: 8 },
};

/**
 * Null when `engine`'s greedy reply to the canary prompt equals that of a CPU engine from
 * `loadCpu()` (freed afterwards), else both texts.
 */
export async function canary(engine, loadCpu) {
  const gpu = await greedyText(engine);
  const reference = await watched(loadCpu());
  try {
    const cpu = await greedyText(reference);
    return gpu === cpu ? null : { gpu, cpu };
  } finally {
    reference.free();
  }
}

/**
 * Tokens of the warm-up reply. V8 first runs fresh wasm in its baseline compiler and optimises
 * functions once they are hot. Measured with tests/browser/bench.mjs on the demo bundle
 * (Chromium, 2 cores): without a warm-up the first reply ran at 250 tokens/s against 455 for
 * later ones; after 16 tokens 309 against 411; after 48, 511 against 509 and 517 against 520.
 * The price is about 0.4 s more per load (0.6 → 1.0 s), mostly the spare engine's load.
 */
export const WARM_UP_TOKENS = 48;

/**
 * A greedy reply of WARM_UP_TOKENS on a second CPU engine from `loadCpu()` (same wasm instance,
 * so the same compiled code), freed afterwards: the served engine's first reply is then a warm
 * one, and its conversation and saved sessions never hold the warm-up.
 */
export async function warmUp(loadCpu) {
  const spare = await watched(loadCpu());
  try {
    await greedyText(spare, { ...CANARY.options, max_tokens: WARM_UP_TOKENS });
  } finally {
    spare.free();
  }
}

async function greedyText(target, options = CANARY.options) {
  target.start(CANARY.messages, options);
  let text = '';
  for (;;) {
    const piece = await watched(target.next());
    if (piece === undefined) return text;
    text += piece;
  }
}
