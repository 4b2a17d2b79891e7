// What the parts of Siger in the browser must agree on, written once: the backends, the caches'
// names, the megabyte of every size shown, and the messages between siger.js (the page's side)
// and siger-worker.js (the engine's). It imports nothing, so every file can import it.
//
// The messages. The page sends `call` (a request: `op` with its `args`, answered under its `id`)
// and `abort` (of the request `id`). Calls run one at a time, in order (the engine is a single
// conversation); an abort is handled at once. The worker answers each call with one `result` or
// one `error` (an Error as plain data: name, message, stack), and sends along the way `progress`
// (of no call in particular: a ProgressEvent of siger.d.ts about the model, or a
// TranslationProgressEvent about the translation resources, as its `topic` says) and, for a
// chat, `started` (prompt read) and `token` (new reply text). `ask` (an answer from sources,
// siger-sources.js) and translation need no model: a worker answers them without one.

/** The engines `load` accepts; `auto` takes WebGPU where the model fits it, else the CPU. */
export const BACKENDS = ['auto', 'webgpu', 'cpu'];

/**
 * The Cache API bucket holding model files: siger-files.js fills it, and the widget's "Clear all
 * data" deletes it. Bump the suffix if the key scheme ever changes.
 */
export const MODEL_CACHE = 'siger-models-v1';

/** The Cache API bucket holding translation resources (siger-resources.js), keyed alike. */
export const TRANSLATION_CACHE = 'siger-translation-v1';

/** Every bucket Siger fills, for "Clear all data". */
export const CACHES = [MODEL_CACHE, TRANSLATION_CACHE];

/** A megabyte as browsers' download figures count it (decimal), in every size Siger shows. */
export const MB = 1e6;

/** How long a download may go without a byte before it is given up (ms; `Siger.load`'s `stallTimeout`). */
export const STALL_TIMEOUT = 30_000;

/** `bytes` as megabytes with one decimal, e.g. `'3.7 MB'`. */
export function megabytes(bytes) {
  return `${(bytes / MB).toFixed(1)} MB`;
}

/** The name a file of the user's own (a lexicon, a source) is cited by: its URL's last part. */
export function fileName(url) {
  const last = url.pathname.split('/').filter(Boolean).pop();
  try {
    return last ? decodeURIComponent(last) : url.hostname;
  } catch {
    return last;
  }
}

/** The kinds of message (`type`). */
export const KIND = Object.freeze({
  // page → worker
  CALL: 'call',
  ABORT: 'abort',
  // worker → page
  RESULT: 'result',
  ERROR: 'error',
  PROGRESS: 'progress',
  STARTED: 'started',
  TOKEN: 'token',
});

/** The requests a `call` can make (`op`). */
export const OP = Object.freeze({
  LOAD: 'load',
  CHAT: 'chat',
  TRANSLATE: 'translate',
  ASK: 'ask',
  LOAD_TRANSLATION: 'loadTranslation',
  SAVE_SESSION: 'saveSession',
  RESTORE_SESSION: 'restoreSession',
  UNLOAD: 'unload',
});

/** What a `progress` message is about. */
export const TOPIC = Object.freeze({ MODEL: 'model', TRANSLATION: 'translation' });

/** Each message, built in one place so that both sides name its fields alike. */
export const Message = Object.freeze({
  call: (id, op, args) => ({ type: KIND.CALL, id, op, args }),
  abort: (id) => ({ type: KIND.ABORT, id }),
  result: (id, value) => ({ type: KIND.RESULT, id, value }),
  error: (id, error) => ({ type: KIND.ERROR, id, error }),
  progress: (event, topic = TOPIC.MODEL) => ({ type: KIND.PROGRESS, event, topic }),
  started: (id, { prompt_tokens, reused_messages }) => ({
    type: KIND.STARTED,
    id,
    prompt_tokens,
    reused_messages,
  }),
  token: (id, content) => ({ type: KIND.TOKEN, id, content }),
});
