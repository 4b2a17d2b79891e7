// The page's end of the worker (siger-worker.js): starting it, requests sent as
// siger-protocol.js's messages and their answers matched by id, progress events passed on (the
// model's and the translation resources' to their own callbacks), and the worker's errors
// turned back into Errors.

import { KIND, Message, TOPIC } from './siger-protocol.js';

/**
 * The worker, from siger-worker.js next to this file. A worker's script must have the page's
 * origin: on another site (the widget on a school's page) a blob module of the page's origin
 * imports the real worker instead, which the Siger host serves with CORS
 * (`Access-Control-Allow-Origin`); a host page's CSP must then allow `worker-src blob:`. In a
 * sandboxed iframe (an opaque origin) a data: module does it (`worker-src data:`).
 */
export function startWorker() {
  const script = new URL('./siger-worker.js', import.meta.url);
  const options = { type: 'module', name: 'siger' };
  if (script.origin === globalThis.location.origin) {
    return { worker: new Worker(script, options), release() {} };
  }
  const source = `import ${JSON.stringify(script.href)};\n`;
  // Chromium will not start a module worker from a blob: URL made in an opaque origin.
  if (globalThis.origin === 'null') {
    return {
      worker: new Worker(`data:text/javascript,${encodeURIComponent(source)}`, options),
      release() {},
    };
  }
  const blob = URL.createObjectURL(new Blob([source], { type: 'text/javascript' }));
  return { worker: new Worker(blob, options), release: () => URL.revokeObjectURL(blob) };
}

/** The absolute URL of `url` (relative to the page), as the worker is given it. */
export function absoluteUrl(url) {
  return new URL(String(url), globalThis.document?.baseURI ?? globalThis.location.href).href;
}

/** A folder's absolute URL, given the folder or its manifest.json. */
export function folderUrl(url) {
  const folder = new URL(absoluteUrl(url));
  if (folder.pathname.endsWith('/manifest.json')) {
    folder.pathname = folder.pathname.slice(0, -'manifest.json'.length);
  }
  if (!folder.pathname.endsWith('/')) folder.pathname += '/';
  return folder.href;
}

/**
 * `promise`, settled early by `signal`: on an abort `onAbort()` runs (telling the worker) and
 * the promise rejects with the signal's reason, as fetch does.
 */
export function withSignal(promise, signal, onAbort) {
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

/** Requests to the worker and their answers, matched by id. */
export class WorkerLink {
  #worker;
  #onProgress; // {model, translation}: a callback for each topic of progress
  #release;
  #pending = new Map(); // id -> {resolve, reject, onEvent}
  #nextId = 1;
  closed = false;
  onFallback = null;

  /** `onProgress`: the callbacks of the model's progress (`model`) and the translation's. */
  constructor(worker, onProgress, release) {
    this.#worker = worker;
    this.#onProgress = onProgress;
    this.#release = release;
    worker.onmessage = ({ data }) => this.#receive(data);
    worker.onerror = (event) => {
      event.preventDefault?.();
      const where = event.filename ? ` (${event.filename}:${event.lineno})` : '';
      this.close(
        new Error(
          `the Siger worker failed: ${event.message || 'it could not start; is www/pkg built?'}${where}`,
        ),
      );
    };
    worker.onmessageerror = () =>
      this.close(new Error('the Siger worker sent a message that could not be read'));
  }

  /** A promise of the answer to one request, with its id as `.id`. */
  request(op, args, onEvent) {
    const id = this.#nextId++;
    const promise = new Promise((resolve, reject) => {
      if (this.closed) return reject(this.closedError);
      this.#pending.set(id, { resolve, reject, onEvent });
      this.#worker.postMessage(Message.call(id, op, args));
    });
    promise.id = id;
    return promise;
  }

  call(op, args) {
    return this.request(op, args);
  }

  abort(id) {
    if (!this.closed) this.#worker.postMessage(Message.abort(id));
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
    if (message.type === KIND.PROGRESS) return this.#progress(message.event, message.topic);
    const pending = this.#pending.get(message.id);
    if (!pending) return; // a request already settled on this side (aborted)
    if (message.type === KIND.RESULT) {
      this.#pending.delete(message.id);
      pending.resolve(message.value);
    } else if (message.type === KIND.ERROR) {
      this.#pending.delete(message.id);
      pending.reject(reviveError(message.error));
    } else {
      pending.onEvent?.(message);
    }
  }

  #progress(event, topic) {
    if (topic === TOPIC.MODEL && event.phase === 'fallback') this.onFallback?.(event);
    try {
      this.#onProgress[topic]?.(event);
    } catch (err) {
      console.error('siger: onProgress threw', err); // the caller's bug must not break loading
    }
  }
}

function reviveError({ name, message, stack }) {
  if (name === 'AbortError') return new DOMException(message, 'AbortError');
  const error = new Error(message);
  if (name && name !== 'Error') error.name = name;
  if (stack) {
    error.stack = `${error.name}: ${message}\n    (in the Siger worker)\n${stack.split('\n').slice(1).join('\n')}`;
  }
  return error;
}
