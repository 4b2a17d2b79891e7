// Memory under load, for pkg-scripts/bench-memory: many replies in a row on one engine, then
// many load/unload cycles, in Debian's Chromium. Prints one JSON line of samples:
//   replies.<backend>: [{replies, wasm_bytes, page_heap_bytes}] every SIGER_BENCH_EVERY
//     replies (wasm_bytes: the engine's wasm memory, which can only grow, so a leak in the
//     engine shows as steps; the page's heap after a forced garbage collection);
//   cycles: [{cycles, page_heap_bytes, workers}] after every SIGER_BENCH_EVERY load/unload
//     cycles (workers: those still alive; each engine has one).
// A benchmark that prints figures, not a test: whether the figures level off is read from them.

import { startServer } from './server.mjs';
import { launch, openPage } from './browser.mjs';

const REPLIES = Number(process.env.SIGER_BENCH_REPLIES ?? 200);
// SwiftShader's WebGPU writes ~2–5 tokens/s here: fewer replies there by default.
const GPU_REPLIES = Number(process.env.SIGER_BENCH_GPU_REPLIES ?? 20);
const CYCLES = Number(process.env.SIGER_BENCH_CYCLES ?? 50);
const EVERY = Number(process.env.SIGER_BENCH_EVERY ?? 10);
const TOKENS = 16;

/** The page's JS heap after a full garbage collection. */
async function pageHeap(cdp) {
  await cdp.send('HeapProfiler.collectGarbage');
  const { usedSize } = await cdp.send('Runtime.getHeapUsage');
  return usedSize;
}

/** The engine's wasm memory, read inside its worker. */
function wasmMemory(worker) {
  return worker.evaluate(async () => {
    // The glue's init returns the instance it already has: its exports hold the memory.
    const glue = await import(new URL('./pkg/siger.js', location.href).href);
    const exports = await glue.default();
    return exports.memory.buffer.byteLength;
  });
}

async function replies(page, cdp, backend, count) {
  await page.evaluate((b) => loadEngine({ backend: b }), backend);
  const worker = page.workers().at(-1);
  const samples = [];
  for (let done = 0; done <= count; done += 1) {
    if (done % EVERY === 0 || done === count) {
      samples.push({
        replies: done,
        wasm_bytes: await wasmMemory(worker),
        page_heap_bytes: await pageHeap(cdp),
      });
    }
    if (done === count) break;
    // A new one-turn conversation each time, so the engine re-reads from an empty state and
    // nothing the conversation legitimately keeps can pass for a leak.
    await page.evaluate(
      ({ i, tokens }) =>
        streamReply(engines.length - 1, {
          messages: [{ role: 'user', content: `Pertanyaan nomor ${i}: apa itu fotosintesis?` }],
          max_tokens: tokens,
          temperature: 1,
          seed: i,
        }),
      { i: done, tokens: TOKENS },
    );
  }
  await page.evaluate(() => engines.pop().unload());
  return samples;
}

async function cycles(page, cdp, count) {
  const samples = [
    { cycles: 0, page_heap_bytes: await pageHeap(cdp), workers: page.workers().length },
  ];
  for (let done = 1; done <= count; done += 1) {
    await page.evaluate(async (tokens) => {
      const { index } = await loadEngine({ backend: 'cpu' });
      await streamReply(index, {
        messages: [{ role: 'user', content: 'Halo' }],
        max_tokens: tokens,
        temperature: 0,
      });
      await engines[index].unload();
      engines.length = 0; // the page keeps no engine
    }, 4);
    if (done % EVERY === 0 || done === count) {
      samples.push({
        cycles: done,
        page_heap_bytes: await pageHeap(cdp),
        workers: page.workers().length,
      });
    }
  }
  return samples;
}

const server = await startServer();
const browser = await launch({ webgpu: true });
try {
  const context = await browser.newContext();
  const page = await openPage(context, server);
  page.setDefaultTimeout(0);
  const cdp = await context.newCDPSession(page);
  const out = { replies: {} };
  out.replies.cpu = await replies(page, cdp, 'cpu', REPLIES);
  if (GPU_REPLIES > 0) out.replies.webgpu = await replies(page, cdp, 'webgpu', GPU_REPLIES);
  out.cycles = await cycles(page, cdp, CYCLES);
  console.log(JSON.stringify(out));
} finally {
  await browser.close();
  await server.close();
}
