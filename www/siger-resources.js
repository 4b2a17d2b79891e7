// The translator's resources, for the Siger worker (siger-worker.js): a wasm `Translator` (its
// built-in phrasebook) plus what the page asked for, each added as its kind (`lexicon`,
// `language-model`, whatever the core accepts) with `add_resource(kind, name, bytes)`:
//  - `resources`, a folder whose manifest.json (pkg-scripts/export-translation.mjs writes it)
//    lists files with kind, size, sha256, licence and source. They come from the Cache API or
//    the network and are checked against the sha256 before use, as the model's files are
//    (siger-files.js). Those of a kind in `skip` are left out (not downloaded).
//  - `lexicon`, one file of the user's own (TSV, JSONL or meizano JSON), named by its URL. No
//    manifest vouches for it: parsing it is its check.
// A resource that fails is reported (`failed`), never thrown: translation goes on with the
// phrasebook and whatever did load.

import {
  decideCaching,
  downloadUnlisted,
  fetchManifest,
  obtainFiles,
  openCache,
} from './siger-files.js';
import { TRANSLATION_CACHE, fileName } from './siger-protocol.js';

/** The largest lexicon of the user's own that is read (the shipped one is about 1.2 MB). */
const LEXICON_LIMIT = 64e6;

/** A file name a manifest may hold: no folders, nothing hidden. */
const PLAIN_NAME = /^[\w][\w.+-]*$/;

/** The translator a worker keeps, and how loading its resources went. */
export class KeptTranslator {
  #kept = null; // {key, glue, built: Promise<{translator, status}>}

  /**
   * The translator for `config` ({resources, lexicon}) in the wasm module `glue`, built on first
   * use. It is built again for another config or module (a fresh instance after a crash), and,
   * with `retry`, when a resource had failed (what was cached comes from the cache).
   */
  async get(glue, config, retry, progress) {
    const key = JSON.stringify(config);
    if (this.#kept) {
      const { built } = this.#kept;
      const status = (await built.catch(() => null))?.status;
      const failed = !status || status.failed.length > 0;
      if (this.#kept.key !== key || this.#kept.glue !== glue || (retry && failed)) {
        (await built.catch(() => null))?.translator.free();
        this.#kept = null;
      }
    }
    if (!this.#kept) {
      const built = buildTranslator(glue.Translator, config, progress);
      this.#kept = { key, glue, built };
      // A translator that could not be built at all is tried again next time.
      built.catch(() => {
        if (this.#kept?.built === built) this.#kept = null;
      });
    }
    return this.#kept.built;
  }

  /** Drops the translator without freeing it: its wasm instance may have trapped. */
  forget() {
    this.#kept = null;
  }
}

/**
 * A translator with the resources of `config` ({resources, lexicon}: absolute URLs or null;
 * `skip`: kinds of `resources` to leave out).
 * Resolves to {translator, status}, where `status` is siger.d.ts's TranslationStatus.
 */
async function buildTranslator(Translator, config, progress) {
  const translator = new Translator();
  const loaded = [];
  const failed = [];
  const report = (outcome) => {
    if (outcome.reason) failed.push(outcome);
    else loaded.push(outcome);
    progress(outcome.reason ? { phase: 'failed', ...outcome } : { phase: 'loaded', ...outcome });
  };
  if (config.resources) {
    const base = new URL(config.resources);
    for await (const outcome of listedResources(translator, base, config.skip, progress)) {
      report(outcome);
    }
  }
  if (config.lexicon) report(await userLexicon(translator, config.lexicon, progress));
  const { phrasebook, lexicon } = plainInfo(translator.info());
  return { translator, status: { phrasebook, lexicon, loaded, failed } };
}

/** Each resource a manifest lists, as it is added (or why it could not be). */
async function* listedResources(translator, base, skip, progress) {
  const cache = await openCache(TRANSLATION_CACHE);
  let manifest;
  try {
    manifest = parseManifest(await fetchManifest(base, cache, progress), base);
  } catch (err) {
    const url = new URL('manifest.json', base).href;
    yield { kind: 'manifest', name: 'manifest.json', url, reason: err.message };
    return;
  }
  const wanted = manifest.resources.filter((r) => !skip.includes(r.kind));
  const files = Object.fromEntries(wanted.map((r) => [r.file, r]));
  const store = await decideCaching(cache, base, files);
  if (!store.store) progress({ phase: 'check', caching: false, cache: store.reason });
  for (const resource of wanted) {
    const url = new URL(resource.file, base).href;
    const about = {
      kind: resource.kind,
      name: resource.file,
      url,
      source: resource.source,
      licence: resource.licence,
      licence_url: resource.licence_file && new URL(resource.licence_file, base).href,
    };
    try {
      const one = { [resource.file]: resource };
      const bytes = (await obtainFiles(base, one, store, progress))[resource.file];
      yield { ...about, ...added(translator, resource.kind, resource.file, bytes) };
    } catch (err) {
      yield { ...about, reason: err.message };
    }
  }
}

async function userLexicon(translator, address, progress) {
  let url;
  try {
    url = new URL(address);
  } catch {
    const reason = `${JSON.stringify(address)} is not a URL: check the lexicon's address`;
    return { kind: 'lexicon', name: address, url: address, reason };
  }
  const name = fileName(url);
  try {
    const bytes = await downloadUnlisted(url.href, name, LEXICON_LIMIT, progress);
    return { kind: 'lexicon', name, url: url.href, ...added(translator, 'lexicon', name, bytes) };
  } catch (err) {
    return { kind: 'lexicon', name, url: url.href, reason: err.message };
  }
}

/** Adds one resource: its {entries, skipped}; throws (naming the file and line) if malformed. */
function added(translator, kind, name, bytes) {
  const { entries, skipped } = plainInfo(translator.add_resource(kind, name, bytes));
  return { entries, skipped };
}

/** The parsed translation manifest, checked to give what each download needs. */
function parseManifest(bytes, base) {
  const where = new URL('manifest.json', base).href;
  let manifest;
  try {
    manifest = JSON.parse(new TextDecoder().decode(bytes));
  } catch (err) {
    throw new Error(`${where} is not JSON (${err.message}): is it a translation resource folder?`);
  }
  if (manifest?.format !== 'siger-translation-manifest' || !Array.isArray(manifest.resources)) {
    throw new Error(
      `${where} is not a Siger translation manifest (format is ${JSON.stringify(manifest?.format)})`,
    );
  }
  for (const [i, r] of manifest.resources.entries()) {
    const valid =
      typeof r?.kind === 'string' &&
      PLAIN_NAME.test(r.file ?? '') &&
      Number.isSafeInteger(r.bytes) &&
      /^[0-9a-f]{64}$/.test(r.sha256 ?? '') &&
      (r.licence_file === undefined || PLAIN_NAME.test(r.licence_file));
    if (!valid) {
      throw new Error(`${where}: resources[${i}] lacks a valid kind, file, size or sha256`);
    }
  }
  return manifest;
}

/** wasm-bindgen may hand back Maps for Rust structs; plain objects here. */
function plainInfo(value) {
  return value instanceof Map ? Object.fromEntries(value) : value;
}
