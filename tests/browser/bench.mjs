// Browser half of pkg-scripts/bench-web: greedy decode speed and time to first token of the
// demo bundle through siger.js, on WebGPU and on the CPU backend in wasm, in Debian's Chromium.
// Prints one JSON line: {webgpu: {...}, cpu: {...}}, each {ttft_ms, tokens_per_s,
// completion_tokens, prompt_tokens}. A benchmark that prints figures, not a test.

import { startServer } from './server.mjs';
import { launch, openPage } from './browser.mjs';

const TOKENS = Number(process.env.SIGER_BENCH_TOKENS ?? 32);
const PROMPT = 'Apa itu fotosintesis? Jelaskan dengan singkat.';

async function measure(page, backend) {
  return page.evaluate(
    async ({ backend, tokens, prompt }) => {
      const { index } = await window.loadEngine({ backend });
      const engine = window.engines[index];
      const request = { messages: [{ role: 'user', content: prompt }], temperature: 0, stream: true };
      // Warm-up: shaders compiled, caches filled. A fresh engine for the timed run would
      // download nothing (cached) but compile again; the same engine with a new conversation
      // (not a prefix) reads its prompt from a zero state.
      for await (const _ of await engine.chat.completions.create({ ...request, max_tokens: 4 })) { /* drain */ }
      const other = { ...request, messages: [{ role: 'user', content: prompt + ' ' }], max_tokens: tokens };
      const start = performance.now();
      let first = null;
      let usage = null;
      for await (const chunk of await engine.chat.completions.create(other)) {
        if (first === null && chunk.choices[0].delta.content) first = performance.now();
        if (chunk.usage) usage = chunk.usage;
      }
      const end = performance.now();
      await engine.unload();
      const decoded = Math.max(usage.completion_tokens - 1, 1);
      return {
        ttft_ms: first - start,
        tokens_per_s: (decoded * 1000) / (end - first),
        completion_tokens: usage.completion_tokens,
        prompt_tokens: usage.prompt_tokens,
      };
    },
    { backend, tokens: TOKENS, prompt: PROMPT },
  );
}

const server = await startServer();
const browser = await launch({ webgpu: true });
try {
  const context = await browser.newContext();
  const page = await openPage(context, server);
  page.setDefaultTimeout(0);
  const out = {};
  for (const backend of ['webgpu', 'cpu']) out[backend] = await measure(page, backend);
  console.log(JSON.stringify(out));
} finally {
  await browser.close();
  await server.close();
}
