// Writes the browser bundle of an f32 checkpoint with the core built for the web (www/pkg), in
// Node: the same code as `siger-train export --quant`, without compiling the native trainer.
// A folder that already is a bundle of the asked-for format (the committed demo model) is
// loaded by the web engine (hashes, shapes, every tensor) and its bytes copied unchanged.
// Usage: node pkg-scripts/export-bundle.mjs <checkpoint or bundle folder> <out folder> <int4|int8|none>
// The files go into a staging sibling renamed into place once complete: an interrupted export
// leaves the old folder or none, never a half-written one.
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const [from, out, quant] = process.argv.slice(2);
if (!from || !out || !['int4', 'int8', 'none'].includes(quant)) {
  console.error('usage: node pkg-scripts/export-bundle.mjs <checkpoint> <out> <int4|int8|none>');
  process.exit(2);
}
const pkg = join(dirname(fileURLToPath(import.meta.url)), '..', 'www', 'pkg');
const { initSync, export_bundle: exportBundle, Engine } = await import(join(pkg, 'siger.js'));
initSync({ module: await readFile(join(pkg, 'siger_bg.wasm')) });

const names = {
  manifest: 'manifest.json',
  config: 'config.json',
  weights: 'model.safetensors',
  tokenizer: 'tokenizer.json',
};
const input = {};
for (const [key, name] of Object.entries(names)) input[key] = await readFile(join(from, name));
// The format a manifest declares: int4 when any tensor is int4, int8 when any is quantized.
function formatOf(manifestBytes) {
  const schemes = Object.values(JSON.parse(manifestBytes).quantization ?? {}).map((q) => q.scheme);
  if (schemes.includes('int4')) return 'int4';
  return schemes.length ? 'int8' : 'none';
}

let bundle;
try {
  const format = formatOf(input.manifest);
  if (format === quant && format !== 'none') {
    const engine = await Engine.load(
      'cpu',
      input.manifest,
      input.config,
      input.weights,
      input.tokenizer,
    );
    engine.free();
    bundle = input;
  } else if (format !== 'none') {
    throw new Error(
      `this is an ${format} bundle; a ${quant} bundle is exported from the f32 checkpoint`,
    );
  } else {
    bundle = exportBundle(quant, input.manifest, input.config, input.weights, input.tokenizer);
  }
} catch (e) {
  console.error(`${from}: ${e.message ?? e}`);
  process.exit(1);
}

const staging = join(dirname(out), `.${basename(out)}.tmp-${process.pid}`);
await rm(staging, { recursive: true, force: true });
await mkdir(staging, { recursive: true });
for (const [key, name] of Object.entries(names)) await writeFile(join(staging, name), bundle[key]);
await rm(out, { recursive: true, force: true });
await rename(staging, out);
console.log(`${quant} bundle written to ${out}`);
