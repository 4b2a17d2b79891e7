// Writes the browser bundle of an f32 checkpoint with the core built for the web (www/pkg), in
// Node: the same code as `siger-train export --quant`, without compiling the native trainer.
// Usage: node pkg-scripts/export-bundle.mjs <checkpoint folder> <out folder> <int4|int8|none>
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
const { initSync, export_bundle: exportBundle } = await import(join(pkg, 'siger.js'));
initSync({ module: await readFile(join(pkg, 'siger_bg.wasm')) });

const names = {
  manifest: 'manifest.json',
  config: 'config.json',
  weights: 'model.safetensors',
  tokenizer: 'tokenizer.json',
};
const input = {};
for (const [key, name] of Object.entries(names)) input[key] = await readFile(join(from, name));
let bundle;
try {
  bundle = exportBundle(quant, input.manifest, input.config, input.weights, input.tokenizer);
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
