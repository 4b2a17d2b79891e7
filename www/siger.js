// Siger in the browser: load a model and chat with it through an OpenAI-style API.
//
//   import { Siger } from './siger.js';
//   const engine = await Siger.load('models/siger-demo/', { onProgress: console.log });
//   const stream = await engine.chat.completions.create({ messages, stream: true });
//   for await (const chunk of stream) output.textContent += chunk.choices[0].delta.content ?? '';
//
// The engine runs in a module Web Worker (siger-worker.js); this file and its parts only pass
// messages to it (siger-link.js; completions in siger-completions.js; translation, also without
// a model, in siger-translator.js; answers from sources in siger-sources.js), so the page's
// thread never waits on the model. siger.d.ts documents the API.

import { complete, startStream } from './siger-completions.js';
import { WorkerLink, folderUrl, startWorker } from './siger-link.js';
import { BACKENDS, OP, STALL_TIMEOUT } from './siger-protocol.js';
import { requestAnswer } from './siger-sources.js';
import {
  loadTranslation,
  requestTranslation,
  translationConfig,
  translator,
} from './siger-translator.js';

export { translator };

const ROLES = ['system', 'user', 'assistant'];
/** Sampling options passed to the engine as they are. */
const SAMPLING_OPTIONS = [
  'temperature',
  'top_p',
  'top_k',
  'max_tokens',
  'seed',
  'repetition_penalty',
];
/** The largest count the engine takes (a `usize` in 32-bit wasm). */
const MAX_U32 = 2 ** 32 - 1;
/** OpenAI request fields that would change the answer's meaning and that Siger cannot honour. */
const UNSUPPORTED = ['stop', 'tools', 'tool_choice', 'functions', 'logprobs', 'response_format'];

/**
 * Downloads (or reads from the cache), verifies and starts a model. `translation` says what
 * `engine.translate` downloads on first use ({resources, lexicon, onProgress}, as for
 * `translator`). `signal` (an AbortSignal) gives the load up: downloads stop and the promise
 * rejects with the signal's reason. A download that gets no byte for `stallTimeout` ms (default
 * 30 s; Infinity for never) fails with an error that says it stalled.
 * @param {string|URL} modelUrl the checkpoint folder (or its manifest.json), relative to the page
 */
export async function load(
  modelUrl,
  { backend = 'auto', onProgress, translation, signal, stallTimeout = STALL_TIMEOUT } = {},
) {
  if (!BACKENDS.includes(backend)) {
    throw new TypeError(
      `backend must be one of ${BACKENDS.join(', ')}, not ${JSON.stringify(backend)}`,
    );
  }
  if (!(typeof stallTimeout === 'number' && stallTimeout > 0)) {
    throw new TypeError(
      `stallTimeout must be a positive number of milliseconds (or Infinity), not ${JSON.stringify(stallTimeout)}`,
    );
  }
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    throw new TypeError('signal must be an AbortSignal');
  }
  signal?.throwIfAborted();
  const url = folderUrl(modelUrl);
  const config = translationConfig(translation ?? {});
  const { worker, release } = startWorker();
  const progress = { model: onProgress, translation: translation?.onProgress };
  const link = new WorkerLink(worker, progress, release);
  // Aborting closes the link: the worker, and every download in it, stops at once.
  const abort = () => link.close(signal.reason);
  signal?.addEventListener('abort', abort, { once: true });
  try {
    const loaded = await link.call(OP.LOAD, { url, backend, stallTimeout });
    signal?.throwIfAborted();
    return new SigerEngine(link, url, loaded, config);
  } catch (err) {
    link.close(err);
    throw signal?.aborted ? signal.reason : err;
  } finally {
    signal?.removeEventListener('abort', abort);
  }
}

/** The namespace form: `Siger.load(...)`, `Siger.translator(...)`. */
export const Siger = Object.freeze({ load, translator });
export default Siger;

// ---------------------------------------------------------------------------------------------
// The engine

class SigerEngine {
  #link;
  #translation; // what translate loads: {resources, lexicon} (siger-translator.js)

  constructor(link, url, loaded, translation) {
    this.#link = link;
    this.#translation = translation;
    this.model = url.split('/').filter(Boolean).pop();
    this.backend = loaded.backend;
    this.backendReason = loaded.backendReason;
    this.info = loaded.info;
    link.onFallback = (event) => {
      this.backend = event.to;
      this.backendReason = event.reason;
      this.info = { ...this.info, backend: event.to };
    };
    const create = (request) => this.#create(request);
    this.chat = Object.freeze({ completions: Object.freeze({ create }) });
  }

  /**
   * Lookup-first translation; every output token says where it came from. The translation
   * resources (by default the shipped dictionary) are downloaded on the first call.
   */
  translate(text, languages) {
    return requestTranslation(this.#link, this.#translation, text, languages);
  }

  /** Downloads the translation resources now, once; says what was loaded and what failed. */
  loadTranslation({ retry = false } = {}) {
    return loadTranslation(this.#link, this.#translation, retry);
  }

  /**
   * Answers `question` from `options.sources` only: the sentences that answer it, quoted with
   * their citations, or an abstention. The model writes nothing of it.
   */
  ask(question, options) {
    return requestAnswer(this.#link, question, options);
  }

  /** The conversation read so far and the model's state after it. */
  saveSession() {
    return this.#link.call(OP.SAVE_SESSION);
  }

  /** Continues from saved session bytes without reading the earlier turns again. */
  restoreSession(bytes) {
    if (bytes instanceof ArrayBuffer) bytes = new Uint8Array(bytes);
    if (!(bytes instanceof Uint8Array)) {
      return Promise.reject(new TypeError('restoreSession: bytes must be a Uint8Array'));
    }
    return this.#link.call(OP.RESTORE_SESSION, { bytes });
  }

  /** Frees the model and ends the worker; the engine cannot be used afterwards. */
  async unload() {
    if (this.#link.closed) return;
    // Requests still waiting or running end now rather than delay the unload.
    this.#link.failPending(new Error('this Siger engine was unloaded'));
    try {
      await this.#link.call(OP.UNLOAD);
    } finally {
      this.#link.close(new Error('this Siger engine was unloaded'));
    }
  }

  #create(request) {
    let prepared;
    try {
      prepared = prepareRequest(request);
    } catch (err) {
      return Promise.reject(err);
    }
    if (request.signal?.aborted) return Promise.reject(request.signal.reason);
    const meta = {
      id: `chatcmpl-${randomId()}`,
      created: Math.floor(Date.now() / 1000),
      model: this.model,
    };
    return request.stream
      ? startStream(this.#link, prepared, request.signal, meta)
      : complete(this.#link, prepared, request.signal, meta);
  }
}

/** Checks a request here, where the caller's mistake is plain, and keeps what the engine reads. */
function prepareRequest(request) {
  if (!request || typeof request !== 'object') throw new TypeError('create: pass a request object');
  const { messages } = request;
  if (!Array.isArray(messages) || messages.length === 0) {
    throw new TypeError('create: messages must be a non-empty array');
  }
  const cleaned = messages.map((m, i) => {
    if (!ROLES.includes(m?.role)) {
      throw new TypeError(`create: messages[${i}].role must be one of ${ROLES.join(', ')}`);
    }
    if (typeof m.content !== 'string') {
      throw new TypeError(`create: messages[${i}].content must be a string`);
    }
    return { role: m.role, content: m.content };
  });
  if (cleaned.at(-1).role === 'assistant') {
    throw new TypeError("create: the last message is the assistant's: there is nothing to answer");
  }
  for (const key of UNSUPPORTED) {
    if (request[key] !== undefined && request[key] !== null) {
      throw new TypeError(`create: Siger does not support '${key}'`);
    }
  }
  if (request.n !== undefined && request.n !== 1) {
    throw new TypeError('create: Siger writes one choice (n = 1)');
  }
  return { messages: cleaned, options: samplingOptions(request) };
}

function samplingOptions(request) {
  const options = {};
  for (const key of SAMPLING_OPTIONS) {
    const value = request[key];
    if (value === undefined || value === null) continue;
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      throw new TypeError(`create: ${key} must be a finite number`);
    }
    options[key] = value;
  }
  // The same rules as the engine's (crate/src/infer/sampling.rs, in f32 and a 32-bit usize),
  // so a value the engine would refuse is refused here, as the caller's error.
  const { temperature, top_p, top_k, max_tokens, seed, repetition_penalty } = options;
  const f32 = (x) => Math.fround(x);
  if (temperature !== undefined && !(temperature >= 0 && Number.isFinite(f32(temperature)))) {
    throw new RangeError('create: temperature must be ≥ 0 and at most 3.4e38 (0 is greedy)');
  }
  if (top_p !== undefined && !(f32(top_p) > 0 && top_p <= 1)) {
    throw new RangeError('create: top_p must be in (0, 1]');
  }
  if (top_k !== undefined && !(Number.isInteger(top_k) && top_k >= 1 && top_k <= MAX_U32)) {
    throw new RangeError(`create: top_k must be an integer from 1 to ${MAX_U32}`);
  }
  const okTokens = Number.isInteger(max_tokens) && max_tokens >= 1 && max_tokens <= MAX_U32;
  if (max_tokens !== undefined && !okTokens) {
    throw new RangeError(`create: max_tokens must be an integer from 1 to ${MAX_U32}`);
  }
  if (seed !== undefined && !(Number.isSafeInteger(seed) && seed >= 0)) {
    throw new RangeError('create: seed must be a safe integer ≥ 0');
  }
  const penalty = repetition_penalty === undefined ? 1 : f32(repetition_penalty);
  if (!(penalty > 0 && Number.isFinite(penalty))) {
    throw new RangeError('create: repetition_penalty must be > 0 and at most 3.4e38');
  }
  return options;
}

function randomId() {
  return Array.from(crypto.getRandomValues(new Uint8Array(12)), (b) =>
    b.toString(16).padStart(2, '0'),
  ).join('');
}
