// The canary for the Siger worker (siger-worker.js): before a WebGPU engine serves anyone, its
// greedy reply to a fixed prompt is compared with a CPU engine's from the same bytes.

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

async function greedyText(target) {
  target.start(CANARY.messages, CANARY.options);
  let text = '';
  for (;;) {
    const piece = await watched(target.next());
    if (piece === undefined) return text;
    text += piece;
  }
}
