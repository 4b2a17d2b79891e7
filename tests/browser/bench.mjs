// Browser half of pkg-scripts/bench-web: decode speed (one seeded sampled reply) and time to first token of the
// demo bundle through siger.js, on WebGPU and on the CPU backend in wasm, in Debian's Chromium.
// Prints one JSON line: {webgpu: {...}, cpu: {...}}, each {ttft_ms, tokens_per_s,
// warmed_tokens_per_s, completion_tokens, prompt_tokens}. A benchmark that prints figures, not a test.

import { startServer } from './server.mjs';
import { launch, openPage } from './browser.mjs';

const TOKENS = Number(process.env.SIGER_BENCH_TOKENS ?? 128);
// Another bundle served under www/ (pkg-scripts/bench-mixers), instead of the demo.
const URL = process.env.SIGER_BENCH_URL;
// A prompt and seed whose reply ran 98 tokens on the first demo bundle in Chromium's CPU-wasm
// path and runs 36 on the second (it seldom writes long ones; WebGPU and native sampling can
// part from it at a near-tie).
const REQUEST = {
  messages: [{ role: 'user', content: 'Ceritakan sebuah cerita panjang.' }],
  temperature: 1,
  top_p: 0.9,
  // Another bundle ends its replies elsewhere: SIGER_BENCH_SEED picks a reply that runs long.
  seed: Number(process.env.SIGER_BENCH_SEED ?? 120),
  stream: true,
};

/**
 * Times `runs` replies on one engine after a 4-token warm-up: the first timed reply (V8 runs
 * fresh wasm in its baseline compiler and optimises hot functions as they run) and the median
 * of the later ones (warmed).
 */
async function measure(page, backend, runs, tokens) {
  return page.evaluate(
    async ({ backend, tokens, request, runs, url }) => {
      const { index } = await window.loadEngine({ backend, url });
      const engine = window.engines[index];
      for await (const _ of await engine.chat.completions.create({ ...request, max_tokens: 4 })) {
        /* drain */
      }
      const timed = [];
      for (let run = 0; run < runs; run += 1) {
        // Not a prefix of what the engine read: each reply reads its prompt from a zero state.
        const other = {
          ...request,
          messages: [{ role: 'user', content: `${request.messages[0].content} ` }],
          max_tokens: tokens,
        };
        const start = performance.now();
        let first = null;
        let usage = null;
        for await (const chunk of await engine.chat.completions.create(other)) {
          if (first === null && chunk.choices[0].delta.content) first = performance.now();
          if (chunk.usage) usage = chunk.usage;
        }
        const end = performance.now();
        const decoded = Math.max(usage.completion_tokens - 1, 1);
        timed.push({
          ttft_ms: first - start,
          tokens_per_s: (decoded * 1000) / (end - first),
          completion_tokens: usage.completion_tokens,
          prompt_tokens: usage.prompt_tokens,
        });
      }
      await engine.unload();
      const later = timed
        .slice(1)
        .map((t) => t.tokens_per_s)
        .sort((a, b) => a - b);
      return {
        ...timed[0],
        warmed_tokens_per_s: later.length ? later[Math.floor(later.length / 2)] : null,
      };
    },
    { backend, tokens, request: REQUEST, runs, url: URL },
  );
}

const server = await startServer();
const browser = await launch({ webgpu: true });
try {
  const context = await browser.newContext();
  const page = await openPage(context, server);
  page.setDefaultTimeout(0);
  const out = {};
  // SwiftShader's WebGPU writes ~5 tokens/s: one timed reply there; on the CPU, six.
  out.webgpu = await measure(page, 'webgpu', 1, TOKENS);
  out.cpu = await measure(page, 'cpu', 6, Math.max(TOKENS, 128));
  console.log(JSON.stringify(out));
} finally {
  await browser.close();
  await server.close();
}
