// Writes the translation resources the web build serves: every file that a committed list
// (models/lexicon/resources.json) names, copied unmodified with its licence file, and a
// manifest.json giving each one's kind, name, size, sha256, licence and source, which the
// browser checks its downloads against (www/siger-resources.js).
// Usage: node pkg-scripts/export-translation.mjs <resources.json> <out folder>
//
// Each file is first loaded as its kind by the core built for the web (www/pkg), so a file the
// browser could not use fails the build, with its name and line. Incremental: nothing is
// written while the manifest is newer than the list, its files, the wasm and this script. The
// files go into a staging sibling renamed into place once complete.
import { createHash } from 'node:crypto';
import { copyFile, mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const [list, out] = process.argv.slice(2);
if (!list || !out) {
  console.error('usage: node pkg-scripts/export-translation.mjs <resources.json> <out folder>');
  process.exit(2);
}
const from = dirname(list);
const pkg = join(dirname(fileURLToPath(import.meta.url)), '..', 'www', 'pkg');
const wasm = join(pkg, 'siger_bg.wasm');

/** A file name the manifest may hold: no folders, nothing hidden. */
const PLAIN_NAME = /^[\w][\w.+-]*$/;

const resources = readList(await readJson(list));
const inputs = [list, wasm, fileURLToPath(import.meta.url)];
for (const r of resources) inputs.push(join(from, r.file), join(from, r.licence_file));
if (await upToDate(join(out, 'manifest.json'), inputs)) {
  console.log(`${out} is up to date`);
  process.exit(0);
}

const { initSync, Translator } = await import(join(pkg, 'siger.js'));
initSync({ module: await readFile(wasm) });

const manifest = { format: 'siger-translation-manifest', resources: [] };
for (const resource of resources) {
  const bytes = await readFile(join(from, resource.file)).catch((e) => fail(e.message));
  await stat(join(from, resource.licence_file)).catch((e) => fail(e.message));
  const loaded = check(resource, bytes);
  console.log(
    `${resource.file}: ${resource.kind}, ${loaded.entries} entries (${loaded.skipped} rows skipped)`,
  );
  manifest.resources.push({
    kind: resource.kind,
    file: resource.file,
    bytes: bytes.length,
    sha256: createHash('sha256').update(bytes).digest('hex'),
    licence: resource.licence,
    licence_file: resource.licence_file,
    source: resource.source,
  });
}

const staging = join(dirname(out), `.${basename(out)}.tmp-${process.pid}`);
await rm(staging, { recursive: true, force: true });
await mkdir(staging, { recursive: true });
for (const resource of resources) {
  await copyFile(join(from, resource.file), join(staging, resource.file));
  await copyFile(join(from, resource.licence_file), join(staging, resource.licence_file));
}
await writeFile(join(staging, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
await rm(out, { recursive: true, force: true });
await rename(staging, out);
console.log(`translation resources written to ${out}`);

/** The list's resources, each checked to have what the manifest will say of it. */
function readList(parsed) {
  if (parsed?.format !== 'siger-translation-resources' || !Array.isArray(parsed.resources)) {
    fail(`${list}: expected {"format": "siger-translation-resources", "resources": [...]}`);
  }
  return parsed.resources.map((r, i) => {
    const where = `${list}: resources[${i}]`;
    for (const key of ['kind', 'file', 'licence', 'licence_file', 'source']) {
      if (typeof r?.[key] !== 'string' || !r[key]) fail(`${where} needs a "${key}" string`);
    }
    for (const key of ['file', 'licence_file']) {
      if (!PLAIN_NAME.test(r[key])) fail(`${where}.${key}: "${r[key]}" must be a plain file name`);
    }
    return r;
  });
}

/** Loads the file as the browser will, and says how many entries it holds. */
function check(resource, bytes) {
  const translator = new Translator();
  try {
    return translator.add_resource(resource.kind, resource.file, bytes);
  } catch (e) {
    return fail(`${join(from, resource.file)} cannot be used as a ${resource.kind}: ${e.message}`);
  } finally {
    translator.free();
  }
}

async function readJson(path) {
  try {
    return JSON.parse(await readFile(path, 'utf8'));
  } catch (e) {
    return fail(`${path}: ${e.message}`);
  }
}

async function upToDate(output, paths) {
  const built = await stat(output).catch(() => null);
  if (!built) return false;
  for (const path of paths) {
    const input = await stat(path).catch(() => null);
    if (!input || input.mtimeMs > built.mtimeMs) return false;
  }
  return true;
}

function fail(message) {
  console.error(message);
  process.exit(1);
}
