// What this device can run, for the Siger worker (siger-worker.js): whether its memory holds the
// model, and which backend runs it (a WebGPU adapter whose buffers fit the largest weight, else
// the CPU).

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
 * Picks 'webgpu' or 'cpu' before the files are downloaded; 'auto' takes the CPU on a fallback
 * (software) adapter, which 'webgpu' still uses when asked for by name. A WebGPU choice carries
 * the adapter's buffer limit, which `weightsMisfit` checks once the weights are here.
 */
export async function chooseBackend(requested) {
  if (requested === 'cpu') return { backend: 'cpu', reason: 'the CPU backend was requested' };
  const gpu = await probeWebGpu();
  if (requested === 'webgpu') {
    if (!gpu.ok) throw new Error(`WebGPU was requested but cannot be used: ${gpu.reason}`);
    return { ...gpu.limit, backend: 'webgpu', reason: `WebGPU was requested: ${gpu.reason}` };
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
    ? { ...gpu.limit, backend: 'webgpu', reason: gpu.reason }
    : { backend: 'cpu', reason: `${gpu.reason}; using the CPU` };
}

async function probeWebGpu() {
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
  const bufferLimit = Math.min(binding, buffer);
  return {
    ok: true,
    // `info.isFallbackAdapter` (Chromium 131+), or the older `adapter.isFallbackAdapter`.
    fallback: Boolean(adapter.info?.isFallbackAdapter ?? adapter.isFallbackAdapter),
    limit: { adapter: name, bufferLimit },
    reason: `WebGPU adapter ${name} (buffers up to ${megabytes(bufferLimit)})`,
  };
}

/**
 * The choice once the weights are here, or the CPU for 'auto' when the GPU's buffers cannot hold
 * the largest weight; 'webgpu' by name is then refused.
 */
export function fitWeights(choice, requested, weights) {
  const misfit = choice.backend === 'webgpu' && weightsMisfit(choice, weights);
  if (!misfit) return choice;
  if (requested === 'webgpu') throw new Error(`WebGPU was requested but cannot be used: ${misfit}`);
  return { backend: 'cpu', reason: `${misfit}; using the CPU` };
}

/**
 * Why a WebGPU `choice` cannot hold these weights (model.safetensors' bytes), or null when its
 * buffers fit the largest weight. Each weight is one GPU buffer (a quantized matrix's values and
 * its block scales together); half-precision values are held as f32 there. A header that does
 * not parse gives null: the engine's loader then says what is wrong with the file.
 */
function weightsMisfit(choice, weights) {
  const largest = largestWeight(weights);
  if (!largest || largest.bytes <= choice.bufferLimit) return null;
  return (
    `the WebGPU adapter ${choice.adapter} allows buffers of ${megabytes(choice.bufferLimit)}, ` +
    `less than the ${megabytes(largest.bytes)} of the model's largest weight, ${largest.name}`
  );
}

const HALF_PRECISION = new Set(['F16', 'BF16']);

/** The weight with the largest GPU buffer, from the safetensors header: { name, bytes }. */
function largestWeight(bytes) {
  if (bytes.length < 8) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = view.getBigUint64(0, true);
  if (headerLength > BigInt(bytes.length - 8)) return null;
  let header;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + Number(headerLength))));
  } catch {
    return null;
  }
  if (!header || typeof header !== 'object') return null;
  const sizes = new Map();
  for (const [name, entry] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const [start, end] = entry?.data_offsets ?? [];
    if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || end < start) return null;
    const onDevice = (end - start) * (HALF_PRECISION.has(entry.dtype) ? 2 : 1);
    const weight = name.endsWith('.scales') ? name.slice(0, -'.scales'.length) : name;
    sizes.set(weight, (sizes.get(weight) ?? 0) + onDevice);
  }
  let largest = null;
  for (const [name, size] of sizes) {
    if (!largest || size > largest.bytes) largest = { name, bytes: size };
  }
  return largest;
}

function adapterName(adapter) {
  const info = adapter.info ?? {};
  const words = [info.vendor, info.architecture, info.description].filter(Boolean).join(' ');
  return words ? `'${words}'` : '(unnamed)';
}
