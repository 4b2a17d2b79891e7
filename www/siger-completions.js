// Chat completions over the worker link (siger-link.js): a whole reply, or a stream of its
// chunks, in OpenAI's shapes (siger.d.ts); an AbortSignal stops either as it stops fetch.

import { withSignal } from './siger-link.js';
import { KIND, OP } from './siger-protocol.js';

/** A whole reply at once. An abort rejects with the signal's reason, as fetch does. */
export function complete(link, { messages, options }, signal, meta) {
  let content = '';
  let started = null;
  const request = link.request(OP.CHAT, { messages, options }, (event) => {
    if (event.type === KIND.STARTED) started = event;
    if (event.type === KIND.TOKEN) content += event.content;
  });
  return withSignal(request, signal, () => link.abort(request.id)).then((end) => ({
    ...meta,
    object: 'chat.completion',
    choices: [
      { index: 0, message: { role: 'assistant', content }, finish_reason: end.finish_reason },
    ],
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
    ...(end.loops_per_token == null ? {} : { loops_per_token: end.loops_per_token }),
  };
}

/** Resolves to the chunk stream once the engine has read the prompt (or rejects if it cannot). */
export function startStream(link, { messages, options }, signal, meta) {
  const stream = new ChunkStream(meta, () => link.abort(request.id));
  let resolveStarted;
  let rejectStarted;
  const started = new Promise((resolve, reject) => {
    resolveStarted = resolve;
    rejectStarted = reject;
  });
  const request = link.request(OP.CHAT, { messages, options }, (event) => {
    if (event.type === KIND.STARTED) {
      stream.started = event;
      resolveStarted(stream);
    }
    if (event.type === KIND.TOKEN) stream.push(event.content);
  });
  request.then(
    (end) => stream.end(end),
    (err) => {
      stream.fail(err);
      rejectStarted(err);
    },
  );
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
    const result = {
      finish_reason: end.finish_reason,
      usage: usage(this.started, end),
      tokens_after_abort: end.tokens_after_abort,
    };
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
    return {
      ...this.#meta,
      object: 'chat.completion.chunk',
      choices: [{ index: 0, delta, finish_reason }],
    };
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
    if (this.#waiting) {
      return Promise.reject(new Error('read this stream with one reader at a time'));
    }
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
