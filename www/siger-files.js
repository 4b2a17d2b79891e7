// Files for the Siger worker (siger-worker.js): a folder's manifest, then the files it lists,
// each read from the Cache API or downloaded with progress, and checked against the manifest's
// sha256 (by SubtleCrypto, or by script where there is none: siger-sha256.js). A damaged cache
// entry is dropped and its file downloaded again. The model's files come
// this way, and so do the translation resources (siger-resources.js).
//
// A file list is `{name: {bytes, sha256}}`, in the order the files are fetched. `progress` is
// the worker's reporter: the 'download', 'verify' and 'recovered' events it is given reach the
// page's onProgress.

import { MODEL_CACHE, STALL_TIMEOUT, megabytes } from './siger-protocol.js';
import { sha256Hex } from './siger-sha256.js';

let stallTimeout = STALL_TIMEOUT;

/** Sets the stall timeout of this worker's downloads (ms; Infinity for none). */
export function setStallTimeout(ms) {
  stallTimeout = ms;
}

/**
 * A fetch of `url` that is given up when no response, or no byte of its body, arrives for the
 * stall timeout: `await watched.fetch(init)`, then `watched.read(reader)` for each chunk. A
 * stall rejects what was waiting with an error that says so (its `stalled` is true).
 */
function watchedFetch(url) {
  const controller = new AbortController();
  let timer;
  let stalled = false;
  const arm = () => {
    clearTimeout(timer);
    if (Number.isFinite(stallTimeout)) {
      timer = setTimeout(() => {
        stalled = true;
        controller.abort();
      }, stallTimeout);
    }
  };
  const stallError = () =>
    Object.assign(
      new Error(
        `${url} sent nothing for ${stallTimeout / 1000} s: the download stalled. Check the network or the server, then load again`,
      ),
      { stalled: true },
    );
  const guard = async (promise) => {
    arm();
    try {
      return await promise;
    } catch (err) {
      throw stalled ? stallError() : err;
    } finally {
      clearTimeout(timer);
    }
  };
  return {
    fetch: (init) => guard(fetch(url, { ...init, signal: controller.signal })),
    read: (reader) => guard(reader.read()),
  };
}

/** The files a Siger checkpoint folder must list in its manifest, smallest first. */
export const MODEL_FILES = ['config.json', 'tokenizer.json', 'model.safetensors'];

/** The Cache API bucket `name`, or null where the Cache API cannot be used. */
export async function openCache(name = MODEL_CACHE) {
  try {
    // Absent outside a secure context; reading it throws in an opaque origin (a data: worker).
    return self.caches ? await self.caches.open(name) : null;
  } catch {
    return null; // e.g. storage blocked by the user's settings
  }
}

/** The manifest comes from the network (revalidated), or from the cache when offline. */
export async function fetchManifest(base, cache, progress) {
  const url = new URL('manifest.json', base).href;
  const watched = watchedFetch(url);
  let response;
  try {
    response = await watched.fetch({ cache: 'no-cache' });
  } catch (err) {
    const cached = cache && (await cache.match(url));
    if (!cached) {
      throw new Error(
        `cannot download ${url} (${err.message}) and no copy is cached: check the network`,
      );
    }
    const bytes = new Uint8Array(await cached.arrayBuffer());
    progress({
      phase: 'download',
      file: 'manifest.json',
      loaded: bytes.length,
      total: bytes.length,
      fromCache: true,
    });
    return bytes;
  }
  if (!response.ok) {
    throw new Error(`cannot download ${url}: HTTP ${response.status} ${response.statusText}`);
  }
  const tooLarge = `${url} is larger than ${megabytes(MANIFEST_LIMIT)}: is it a Siger manifest?`;
  const bytes = await readAll(response, watched, MANIFEST_LIMIT, tooLarge);
  progress({
    phase: 'download',
    file: 'manifest.json',
    loaded: bytes.length,
    total: bytes.length,
    fromCache: false,
  });
  await cachePut(cache, url, bytes);
  return bytes;
}

/** The parsed manifest, checked to list a size and sha256 for every model file. */
export function parseManifest(bytes, base) {
  const where = new URL('manifest.json', base).href;
  let manifest;
  try {
    manifest = JSON.parse(new TextDecoder().decode(bytes));
  } catch (err) {
    throw new Error(
      `${where} is not JSON (${err.message}): is the model URL a Siger checkpoint folder?`,
    );
  }
  if (manifest?.format !== 'siger-checkpoint') {
    throw new Error(
      `${where} is not a Siger checkpoint manifest (format is ${JSON.stringify(manifest?.format)})`,
    );
  }
  for (const name of MODEL_FILES) {
    const entry = manifest.files?.[name];
    if (!Number.isSafeInteger(entry?.bytes) || !/^[0-9a-f]{64}$/.test(entry?.sha256 ?? '')) {
      throw new Error(`${where} lists no valid size and sha256 for ${name}`);
    }
  }
  return manifest;
}

/** The model's file list, from its parsed manifest. */
export function modelFiles(manifest) {
  return Object.fromEntries(MODEL_FILES.map((name) => [name, manifest.files[name]]));
}

/** Caches only when the Cache API exists and the storage quota has room for what is missing. */
export async function decideCaching(cache, base, files) {
  if (!cache) return { cache: null, reason: 'no Cache API here: files are downloaded every time' };
  const names = Object.keys(files);
  const cached = new Set();
  for (const name of names) {
    if (await cache.match(cacheKey(base, name, files))) cached.add(name);
  }
  const missing = names.filter((n) => !cached.has(n)).reduce((s, n) => s + files[n].bytes, 0);
  const estimate = await self.navigator.storage?.estimate?.().catch(() => null);
  if (estimate?.quota !== undefined && estimate.quota - (estimate.usage ?? 0) < missing) {
    const free = megabytes(estimate.quota - (estimate.usage ?? 0));
    return {
      cache,
      store: false,
      reason: `storage quota has ${free} free, ${megabytes(missing)} needed: not caching new files`,
    };
  }
  return {
    cache,
    store: true,
    reason: `caching in the Cache API (${cached.size} of ${names.length} files already cached)`,
  };
}

/** The cache key names the content, so a new file at the same URL never reads an old one. */
function cacheKey(base, name, files) {
  const url = new URL(name, base);
  url.searchParams.set('sha256', files[name].sha256);
  return url.href;
}

/** Every file of the list, from the cache or the network, each checked against its sha256. */
export async function obtainFiles(base, files, store, progress) {
  const found = {};
  for (const name of Object.keys(files)) {
    found[name] = await obtainFile(base, name, files, store, progress);
  }
  progress({ phase: 'verify' });
  const verified = {};
  for (const name of Object.keys(files)) {
    let { bytes, fromCache } = found[name];
    const intact = await matchesManifest(bytes, name, files);
    if (!intact && fromCache) {
      // A damaged cache entry (disk error, a tampering extension): drop it and fetch anew.
      await store.cache.delete(cacheKey(base, name, files));
      bytes = await download(base, name, files, progress);
      fromCache = false;
      if (!(await matchesManifest(bytes, name, files))) throw hashError(base, name);
      progress({ phase: 'recovered', file: name });
    } else if (!intact) {
      throw hashError(base, name);
    }
    if (!fromCache && store.store) {
      await cachePut(store.cache, cacheKey(base, name, files), bytes);
    }
    verified[name] = bytes;
  }
  if (store.cache) await pruneOldCopies(store.cache, base, files);
  return verified;
}

/**
 * Deletes cached copies of these files that an earlier manifest named (same URL, another
 * sha256): without this, every model update at the same URL would keep a full old copy.
 */
async function pruneOldCopies(cache, base, files) {
  const current = new Map(Object.keys(files).map((n) => [new URL(n, base).href, n]));
  for (const request of await cache.keys()) {
    const url = new URL(request.url);
    const sha = url.searchParams.get('sha256');
    url.search = '';
    const name = current.get(url.href);
    if (name !== undefined && sha !== files[name].sha256) await cache.delete(request);
  }
}

async function obtainFile(base, name, files, store, progress) {
  const key = cacheKey(base, name, files);
  const cached = store.cache && (await store.cache.match(key));
  // A cached body that cannot be read (a disk error) is dropped and the file fetched anew.
  const bytes =
    cached &&
    (await cached.arrayBuffer().then(
      (b) => new Uint8Array(b),
      () => store.cache.delete(key).then(() => null),
    ));
  if (bytes) {
    progress({
      phase: 'download',
      file: name,
      loaded: bytes.length,
      total: bytes.length,
      fromCache: true,
    });
    return { bytes, fromCache: true };
  }
  return { bytes: await download(base, name, files, progress), fromCache: false };
}

/** Downloads one file, reporting progress; the manifest's size is the total (and the limit). */
async function download(base, name, files, progress) {
  const url = new URL(name, base).href;
  const total = files[name].bytes;
  const watched = watchedFetch(url);
  let response;
  try {
    // The Cache API copy is the one kept; the HTTP cache would only hold a second copy.
    response = await watched.fetch({ cache: 'no-store' });
  } catch (err) {
    if (err.stalled) throw err;
    throw new Error(`cannot download ${url} (${err.message}): check the network`);
  }
  if (!response.ok) {
    throw new Error(`cannot download ${url}: HTTP ${response.status} ${response.statusText}`);
  }
  const bytes = new Uint8Array(total);
  let loaded = 0;
  let reported = -1;
  const reader = response.body.getReader();
  for (;;) {
    const { done, value } = await watched.read(reader);
    if (done) break;
    if (loaded + value.length > total) {
      await reader.cancel();
      throw new Error(
        `${url} is larger than the ${total} bytes its manifest says: the folder on the server is inconsistent`,
      );
    }
    bytes.set(value, loaded);
    loaded += value.length;
    // At most about a hundred events per file.
    if (Math.floor((100 * loaded) / total) > reported) {
      reported = Math.floor((100 * loaded) / total);
      progress({ phase: 'download', file: name, loaded, total, fromCache: false });
    }
  }
  if (loaded !== total) {
    throw new Error(`${url} was truncated at byte ${loaded} of ${total}: download it again`);
  }
  return bytes;
}

/**
 * Downloads a file that no manifest lists (a lexicon of the user's own), through the HTTP cache
 * (revalidated: it is the only copy kept). Its Content-Length, when sent, is the total shown;
 * reading stops with an error past `limit` bytes.
 */
export async function downloadUnlisted(url, name, limit, progress) {
  const watched = watchedFetch(url);
  let response;
  try {
    response = await watched.fetch({ cache: 'no-cache' });
  } catch (err) {
    if (err.stalled) throw err;
    throw new Error(
      `cannot download ${url} (${err.message}): check the address, the network, and that its server allows CORS`,
    );
  }
  if (!response.ok) {
    throw new Error(`cannot download ${url}: HTTP ${response.status} ${response.statusText}`);
  }
  // A compressed response's Content-Length counts the compressed bytes: a lower bound at most.
  const declared = Number(response.headers.get('content-length')) || 0;
  const report = (loaded) =>
    progress({
      phase: 'download',
      file: name,
      loaded,
      total: Math.max(declared, loaded),
      fromCache: false,
    });
  const tooLarge = `${url} is larger than ${megabytes(limit)}: is it the right file?`;
  // An event per 256 KiB at most.
  const bytes = await readAll(response, watched, limit, tooLarge, (before, loaded) => {
    if (Math.floor(loaded / 2 ** 18) > Math.floor(before / 2 ** 18)) report(loaded);
  });
  report(bytes.length);
  return bytes;
}

/** The most bytes a manifest may have. */
const MANIFEST_LIMIT = 1e6;

/**
 * A response's whole body, read under the stall timeout; past `limit` bytes reading stops with
 * `tooLarge`. `onChunk(before, loaded)` is told of each chunk.
 */
async function readAll(response, watched, limit, tooLarge, onChunk = () => {}) {
  const chunks = [];
  let loaded = 0;
  const reader = response.body.getReader();
  for (;;) {
    const { done, value } = await watched.read(reader);
    if (done) break;
    if (loaded + value.length > limit) {
      await reader.cancel();
      throw new Error(tooLarge);
    }
    chunks.push(value);
    onChunk(loaded, loaded + value.length);
    loaded += value.length;
  }
  return new Uint8Array(await new Blob(chunks).arrayBuffer());
}

async function matchesManifest(bytes, name, files) {
  return (await sha256Hex(bytes)) === files[name].sha256;
}

function hashError(base, name) {
  const url = new URL(name, base).href;
  return new Error(
    `${url} does not match the sha256 in its manifest: the server's copy is damaged or mid-update (try again later)`,
  );
}

async function cachePut(cache, key, bytes) {
  if (!cache) return;
  try {
    await cache.put(
      key,
      new Response(bytes, { headers: { 'content-length': String(bytes.length) } }),
    );
  } catch (err) {
    // A full quota must not stop the files from loading; they are downloaded again next time.
    console.warn(`siger: could not cache ${key}: ${err.message}`);
  }
}
