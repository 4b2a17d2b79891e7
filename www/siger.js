// Siger in the browser: load a model and chat with it through an OpenAI-style API.
//
//   import { Siger } from './siger.js';
//   const engine = await Siger.load('models/siger-demo/', { onProgress: console.log });
//   const stream = await engine.chat.completions.create({ messages, stream: true });
//   for await (const chunk of stream) output.textContent += chunk.choices[0].delta.content ?? '';
//
// The engine runs in a module Web Worker (siger-worker.js); this file only passes messages to
// it, so the page's thread never waits on the model. siger.d.ts documents the API.

const BACKENDS = ['auto', 'webgpu', 'cpu'];
const ROLES = ['system', 'user', 'assistant'];
/** Sampling options passed to the engine as they are. */
const SAMPLING_OPTIONS = ['temperature', 'top_p', 'top_k', 'max_tokens', 'seed', 'repetition_penalty'];
/** OpenAI request fields that would change the answer's meaning and that Siger cannot honour. */
const UNSUPPORTED = ['stop', 'tools', 'tool_choice', 'functions', 'logprobs', 'response_format'];

/**
 * Downloads (or reads from the cache), verifies and starts a model.
 * @param {string|URL} modelUrl the checkpoint folder (or its manifest.json), relative to the page
 */
export async function load(modelUrl, { backend = 'auto', onProgress } = {}) {
  if (!BACKENDS.includes(backend)) {
    throw new TypeError(`backend must be one of ${BACKENDS.join(', ')}, not ${JSON.stringify(backend)}`);
  }
  const url = folderUrl(modelUrl);
  const { worker, release } = startWorker();
  const link = new WorkerLink(worker, onProgress, release);
  try {
    const loaded = await link.call('load', { url, backend });
    return new SigerEngine(link, url, loaded);
  } catch (err) {
    link.close(err);
    throw err;
  }
}

/** The namespace form: `Siger.load(...)`. */
export const Siger = Object.freeze({ load });
export default Siger;

/**
 * The worker, from siger-worker.js next to this file. A worker's script must have the page's
 * origin: on another site (the widget on a school's page) a blob module of the page's origin
 * imports the real worker instead, which the Siger host serves with CORS
 * (`Access-Control-Allow-Origin`); a host page's CSP must then allow `worker-src blob:`. In a
 * sandboxed iframe (an opaque origin) a data: module does it (`worker-src data:`).
 */
function startWorker() {
  const script = new URL('./siger-worker.js', import.meta.url);
  const options = { type: 'module', name: 'siger' };
  if (script.origin === globalThis.location.origin) return { worker: new Worker(script, options), release() {} };
  const source = `import ${JSON.stringify(script.href)};\n`;
  // Chromium will not start a module worker from a blob: URL made in an opaque origin.
  if (globalThis.origin === 'null') return { worker: new Worker(`data:text/javascript,${encodeURIComponent(source)}`, options), release() {} };
  const blob = URL.createObjectURL(new Blob([source], { type: 'text/javascript' }));
  return { worker: new Worker(blob, options), release: () => URL.revokeObjectURL(blob) };
}

function folderUrl(modelUrl) {
  const url = new URL(String(modelUrl), globalThis.document?.baseURI ?? globalThis.location.href);
  if (url.pathname.endsWith('/manifest.json')) url.pathname = url.pathname.slice(0, -'manifest.json'.length);
  if (!url.pathname.endsWith('/')) url.pathname += '/';
  return url.href;
}

// ---------------------------------------------------------------------------------------------
// The engine

class SigerEngine {
  #link;

  constructor(link, url, loaded) {
    this.#link = link;
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

  /** Lookup-first translation; every output token says where it came from. */
  translate(text, { from, to } = {}) {
    if (typeof text !== 'string') return Promise.reject(new TypeError('translate: text must be a string'));
    if (typeof to !== 'string') return Promise.reject(new TypeError("translate: say which language to translate to, e.g. { to: 'id' }"));
    return this.#link.call('translate', { text, from, to });
  }

  /** The conversation read so far and the model's state after it. */
  saveSession() {
    return this.#link.call('saveSession');
  }

  /** Continues from saved session bytes without reading the earlier turns again. */
  restoreSession(bytes) {
    if (bytes instanceof ArrayBuffer) bytes = new Uint8Array(bytes);
    if (!(bytes instanceof Uint8Array)) return Promise.reject(new TypeError('restoreSession: bytes must be a Uint8Array'));
    return this.#link.call('restoreSession', { bytes });
  }

  /** Frees the model and ends the worker; the engine cannot be used afterwards. */
  async unload() {
    if (this.#link.closed) return;
    // Requests still waiting or running end now rather than delay the unload.
    this.#link.failPending(new Error('this Siger engine was unloaded'));
    try {
      await this.#link.call('unload');
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
    const meta = { id: `chatcmpl-${randomId()}`, created: Math.floor(Date.now() / 1000), model: this.model };
    return request.stream
      ? startStream(this.#link, prepared, request.signal, meta)
      : complete(this.#link, prepared, request.signal, meta);
  }
}

/** Checks a request here, where the caller's mistake is plain, and keeps what the engine reads. */
function prepareRequest(request) {
  if (!request || typeof request !== 'object') throw new TypeError('create: pass a request object');
  const { messages } = request;
  if (!Array.isArray(messages) || messages.length === 0) throw new TypeError('create: messages must be a non-empty array');
  const cleaned = messages.map((m, i) => {
    if (!ROLES.includes(m?.role)) throw new TypeError(`create: messages[${i}].role must be one of ${ROLES.join(', ')}`);
    if (typeof m.content !== 'string') throw new TypeError(`create: messages[${i}].content must be a string`);
    return { role: m.role, content: m.content };
  });
  if (cleaned.at(-1).role === 'assistant') {
    throw new TypeError('create: the last message is the assistant\'s: there is nothing to answer');
  }
  for (const key of UNSUPPORTED) {
    if (request[key] !== undefined && request[key] !== null) throw new TypeError(`create: Siger does not support '${key}'`);
  }
  if (request.n !== undefined && request.n !== 1) throw new TypeError('create: Siger writes one choice (n = 1)');
  return { messages: cleaned, options: samplingOptions(request) };
}

function samplingOptions(request) {
  const options = {};
  for (const key of SAMPLING_OPTIONS) {
    const value = request[key];
    if (value === undefined || value === null) continue;
    if (typeof value !== 'number' || !Number.isFinite(value)) throw new TypeError(`create: ${key} must be a finite number`);
    options[key] = value;
  }
  const { temperature, top_p, top_k, max_tokens, seed, repetition_penalty } = options;
  if (temperature !== undefined && temperature < 0) throw new RangeError('create: temperature must be ≥ 0 (0 is greedy)');
  if (top_p !== undefined && !(top_p > 0 && top_p <= 1)) throw new RangeError('create: top_p must be in (0, 1]');
  if (top_k !== undefined && !(Number.isInteger(top_k) && top_k >= 1)) throw new RangeError('create: top_k must be an integer ≥ 1');
  if (max_tokens !== undefined && !(Number.isInteger(max_tokens) && max_tokens >= 1)) throw new RangeError('create: max_tokens must be an integer ≥ 1');
  if (seed !== undefined && !(Number.isSafeInteger(seed) && seed >= 0)) throw new RangeError('create: seed must be a safe integer ≥ 0');
  if (repetition_penalty !== undefined && !(repetition_penalty > 0)) throw new RangeError('create: repetition_penalty must be > 0');
  return options;
}

function randomId() {
  return Array.from(crypto.getRandomValues(new Uint8Array(12)), (b) => b.toString(16).padStart(2, '0')).join('');
}

// ---------------------------------------------------------------------------------------------
// Completions

/** A whole reply at once. An abort rejects with the signal's reason, as fetch does. */
function complete(link, { messages, options }, signal, meta) {
  let content = '';
  let started = null;
  const request = link.request('chat', { messages, options }, (event) => {
    if (event.type === 'started') started = event;
    if (event.type === 'token') content += event.content;
  });
  return withSignal(request, signal, () => link.abort(request.id)).then((end) => ({
    ...meta,
    object: 'chat.completion',
    choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: end.finish_reason }],
    usage: usage(started, end),
  }));
}

function usage(started, end) {
  const prompt_tokens = started?.prompt_tokens ?? 0;
  return {
    prompt_tokens,
    completion_tokens: end.completion_tokens,
    total_tokens: prompt_tokens + end.completion_tokens,
    reused_messages: started?.reused_messages ?? 0,
  };
}

function withSignal(promise, signal, onAbort) {
  if (!signal) return promise;
  return new Promise((resolve, reject) => {
    const abort = () => {
      onAbort();
      reject(signal.reason);
    };
    signal.addEventListener('abort', abort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', abort));
  });
}

/** Resolves to the chunk stream once the engine has read the prompt (or rejects if it cannot). */
function startStream(link, { messages, options }, signal, meta) {
  const stream = new ChunkStream(meta, () => link.abort(request.id));
  let resolveStarted;
  let rejectStarted;
  const started = new Promise((resolve, reject) => {
    resolveStarted = resolve;
    rejectStarted = reject;
  });
  const request = link.request('chat', { messages, options }, (event) => {
    if (event.type === 'started') {
      stream.started = event;
      resolveStarted(stream);
    }
    if (event.type === 'token') stream.push(event.content);
  });
  request.then((end) => stream.end(end), (err) => {
    stream.fail(err);
    rejectStarted(err);
  });
  if (signal) {
    const abort = () => {
      stream.cancel(signal.reason);
      rejectStarted(signal.reason);
    };
    signal.addEventListener('abort', abort, { once: true });
    stream.finished.finally(() => signal.removeEventListener('abort', abort)).catch(() => {});
  }
  return started;
}

/**
 * The chunks of one reply, as an async iterable. Chunks are buffered as the worker sends them,
 * so a slow reader never holds the engine. `finished` resolves once the worker has really
 * ended the reply, after an abort too.
 */
class ChunkStream {
  #meta;
  #stopWorker;
  #chunks = [];
  #waiting = null; // the reader's pending {resolve, reject}
  #outcome = null; // {done: true} or {error}
  #sentRole = false;
  #resolveFinished;
  #rejectFinished;

  constructor(meta, stopWorker) {
    this.#meta = meta;
    this.#stopWorker = stopWorker;
    this.started = null;
    this.finished = new Promise((resolve, reject) => {
      this.#resolveFinished = resolve;
      this.#rejectFinished = reject;
    });
    this.finished.catch(() => {}); // it is also reported through iteration
  }

  push(content) {
    if (this.#outcome) return; // aborted or cancelled: late tokens are dropped
    const delta = this.#sentRole ? { content } : { role: 'assistant', content };
    this.#sentRole = true;
    this.#deliver(this.#chunk(delta, null));
  }

  end(end) {
    const result = { finish_reason: end.finish_reason, usage: usage(this.started, end), tokens_after_abort: end.tokens_after_abort };
    this.#resolveFinished(result);
    if (this.#outcome) return;
    this.#deliver({ ...this.#chunk({}, end.finish_reason), usage: result.usage });
    this.#settle({ done: true });
  }

  fail(error) {
    this.#rejectFinished(error);
    if (!this.#outcome) this.#settle({ error });
  }

  /** The caller's signal fired: stop the worker and reject the reader, as fetch's body does. */
  cancel(reason) {
    if (this.#outcome) return;
    this.#stopWorker();
    this.#settle({ error: reason });
  }

  #chunk(delta, finish_reason) {
    return { ...this.#meta, object: 'chat.completion.chunk', choices: [{ index: 0, delta, finish_reason }] };
  }

  #deliver(chunk) {
    if (this.#waiting) {
      this.#waiting.resolve({ value: chunk, done: false });
      this.#waiting = null;
    } else {
      this.#chunks.push(chunk);
    }
  }

  #settle(outcome) {
    this.#outcome = outcome;
    if (!this.#waiting) return;
    const waiting = this.#waiting;
    this.#waiting = null;
    if (outcome.error) waiting.reject(outcome.error);
    else waiting.resolve({ value: undefined, done: true });
  }

  next() {
    if (this.#chunks.length) return Promise.resolve({ value: this.#chunks.shift(), done: false });
    if (this.#outcome?.error) return Promise.reject(this.#outcome.error);
    if (this.#outcome) return Promise.resolve({ value: undefined, done: true });
    if (this.#waiting) return Promise.reject(new Error('read this stream with one reader at a time'));
    return new Promise((resolve, reject) => (this.#waiting = { resolve, reject }));
  }

  /** The reader stopped early (`break` in for-await): the reply is not wanted any more. */
  return() {
    if (!this.#outcome) {
      this.#stopWorker();
      this.#outcome = { done: true };
    }
    this.#chunks.length = 0;
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator]() {
    return this;
  }
}

// ---------------------------------------------------------------------------------------------
// The worker link

/** Requests to the worker and their answers, matched by id. */
class WorkerLink {
  #worker;
  #onProgress;
  #release;
  #pending = new Map(); // id -> {resolve, reject, onEvent}
  #nextId = 1;
  closed = false;
  onFallback = null;

  constructor(worker, onProgress, release) {
    this.#worker = worker;
    this.#onProgress = onProgress;
    this.#release = release;
    worker.onmessage = ({ data }) => this.#receive(data);
    worker.onerror = (event) => {
      event.preventDefault?.();
      const where = event.filename ? ` (${event.filename}:${event.lineno})` : '';
      this.close(new Error(`the Siger worker failed: ${event.message || 'it could not start; is www/pkg built?'}${where}`));
    };
    worker.onmessageerror = () => this.close(new Error('the Siger worker sent a message that could not be read'));
  }

  /** A promise of the answer to one request, with its id as `.id`. */
  request(op, args, onEvent) {
    const id = this.#nextId++;
    const promise = new Promise((resolve, reject) => {
      if (this.closed) return reject(this.closedError);
      this.#pending.set(id, { resolve, reject, onEvent });
      this.#worker.postMessage({ type: 'call', id, op, args });
    });
    promise.id = id;
    return promise;
  }

  call(op, args) {
    return this.request(op, args);
  }

  abort(id) {
    if (!this.closed) this.#worker.postMessage({ type: 'abort', id });
  }

  /** Rejects every pending request with `error` and tells the worker to stop them. */
  failPending(error) {
    for (const [id, { reject }] of this.#pending) {
      this.abort(id);
      reject(error);
    }
    this.#pending.clear();
  }

  close(error) {
    if (this.closed) return;
    this.closed = true;
    this.closedError = error;
    this.#worker.terminate();
    this.#release();
    for (const { reject } of this.#pending.values()) reject(error);
    this.#pending.clear();
  }

  #receive(message) {
    if (message.type === 'progress') return this.#progress(message.event);
    const pending = this.#pending.get(message.id);
    if (!pending) return; // a request already settled on this side (aborted)
    if (message.type === 'result') {
      this.#pending.delete(message.id);
      pending.resolve(message.value);
    } else if (message.type === 'error') {
      this.#pending.delete(message.id);
      pending.reject(reviveError(message.error));
    } else {
      pending.onEvent?.(message);
    }
  }

  #progress(event) {
    if (event.phase === 'fallback') this.onFallback?.(event);
    try {
      this.#onProgress?.(event);
    } catch (err) {
      console.error('siger: onProgress threw', err); // the caller's bug must not break loading
    }
  }
}

function reviveError({ name, message, stack }) {
  if (name === 'AbortError') return new DOMException(message, 'AbortError');
  const error = new Error(message);
  if (name && name !== 'Error') error.name = name;
  if (stack) error.stack = `${error.name}: ${message}\n    (in the Siger worker)\n${stack.split('\n').slice(1).join('\n')}`;
  return error;
}
