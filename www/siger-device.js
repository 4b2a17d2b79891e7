// What this device can run, for the Siger worker (siger-worker.js): whether its memory holds the
// model, and which backend runs it (a WebGPU adapter whose buffers fit the weights, else the CPU).

import { megabytes } from './siger-protocol.js';
import { MODEL_FILES } from './siger-files.js';

/** Room the engine needs beyond the files: the kept copy, the engine's copy, working memory. */
const MEMORY_FACTOR = 3;

const GiB = 2 ** 30;

/** Refuses a model needing more than a third of the memory the device reports (where it does). */
export function checkDeviceMemory(manifest) {
  const deviceGiB = self.navigator.deviceMemory;
  if (!deviceGiB) return; // not reported (Firefox, Safari): nothing to check
  const total = MODEL_FILES.reduce((sum, name) => sum + manifest.files[name].bytes, 0);
  if (MEMORY_FACTOR * total > deviceGiB * GiB) {
    throw new Error(
      `this device reports ${deviceGiB} GiB of memory; the model's ${megabytes(total)} ` +
        `needs about ${((MEMORY_FACTOR * total) / GiB).toFixed(1)} GiB: use a smaller (quantized) model`,
    );
  }
}

/**
 * Picks 'webgpu' or 'cpu'; 'auto' takes the CPU on a fallback (software) adapter, which
 * 'webgpu' still uses when asked for by name. The largest tensor must fit one GPU buffer and one storage binding;
 * the manifest does not list tensor sizes, so the weights file's size stands in as an upper
 * bound (the check can refuse a GPU that would in fact have fitted a model of many tensors).
 */
export async function chooseBackend(requested, weightsBytes) {
  if (requested === 'cpu') return { backend: 'cpu', reason: 'the CPU backend was requested' };
  const gpu = await probeWebGpu(weightsBytes);
  if (requested === 'webgpu') {
    if (!gpu.ok) throw new Error(`WebGPU was requested but cannot be used: ${gpu.reason}`);
    return { backend: 'webgpu', reason: `WebGPU was requested: ${gpu.reason}` };
  }
  if (gpu.ok && gpu.fallback) {
    // A software adapter (SwiftShader, WARP) runs this model about 100× slower than the CPU
    // engine (tests/browser/bench.mjs here: 1.7–2.0 against 120–290 tokens/s on the demo
    // model, headless Chromium): the CPU serves students better.
    return {
      backend: 'cpu',
      reason: `${gpu.reason} is a fallback (software) adapter, slower than the CPU engine; using the CPU`,
    };
  }
  return gpu.ok
    ? { backend: 'webgpu', reason: gpu.reason }
    : { backend: 'cpu', reason: `${gpu.reason}; using the CPU` };
}

async function probeWebGpu(weightsBytes) {
  if (!self.navigator.gpu) {
    return { ok: false, reason: 'this browser has no WebGPU (navigator.gpu is missing)' };
  }
  let adapter = null;
  try {
    adapter = await self.navigator.gpu.requestAdapter();
  } catch (err) {
    return { ok: false, reason: `requesting a WebGPU adapter failed: ${err.message}` };
  }
  if (!adapter) {
    return {
      ok: false,
      reason: 'WebGPU is present but offers no adapter (no usable GPU, or it is blocked)',
    };
  }
  const name = adapterName(adapter);
  const { maxStorageBufferBindingSize: binding, maxBufferSize: buffer } = adapter.limits;
  const largest = megabytes(Math.min(binding, buffer));
  const need = `the weights file's ${megabytes(weightsBytes)}, an upper bound on the largest tensor`;
  if (binding < weightsBytes || buffer < weightsBytes) {
    return {
      ok: false,
      reason: `the WebGPU adapter ${name} allows buffers of ${largest}, less than ${need}`,
    };
  }
  return {
    ok: true,
    // `info.isFallbackAdapter` (Chromium 131+), or the older `adapter.isFallbackAdapter`.
    fallback: Boolean(adapter.info?.isFallbackAdapter ?? adapter.isFallbackAdapter),
    reason: `WebGPU adapter ${name} (buffers up to ${largest}, enough for ${need})`,
  };
}

function adapterName(adapter) {
  const info = adapter.info ?? {};
  const words = [info.vendor, info.architecture, info.description].filter(Boolean).join(' ');
  return words ? `'${words}'` : '(unnamed)';
}
