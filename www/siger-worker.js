// The Siger engine's home: a module Web Worker that downloads, verifies and caches a model
// (siger-files.js), picks a backend (siger-device.js), and runs the wasm engine, so the page's
// thread never waits on the model. It also translates, with the translation resources it
// downloads on first use (siger-resources.js), and answers from sources (siger-library.js);
// a worker does both without any model.
//
// Spoken to only by siger.js, in the messages of siger-protocol.js: calls run one at a time, in
// order (the engine is a single conversation); an abort is handled at once. A panic is told
// apart from an error, and named, by siger-faults.js.

import { chooseBackend, checkDeviceMemory, fitWeights } from './siger-device.js';
import {
  decideCaching,
  fetchManifest,
  modelFiles,
  obtainFiles,
  openCache,
  parseManifest,
  setStallTimeout,
} from './siger-files.js';
import {
  abortError,
  errorMessage,
  forgetPanic,
  isCrash,
  serializeError,
  watched,
} from './siger-faults.js';
import { canary, warmUp } from './siger-canary.js';
import { KeptLibraries } from './siger-library.js';
import { KIND, Message, OP, TOPIC } from './siger-protocol.js';
import { KeptTranslator } from './siger-resources.js';

let glue = null; // the wasm-bindgen module in use: {default: init, Engine, Translator, Library}
let glueInstances = 0;
let glueTrapped = false; // a panic trapped `glue` with no engine to replace it: import anew
let engine = null;
let backend = null;
/** The verified file bytes, kept so that a lost GPU can be replaced by the CPU engine. */
let modelBytes = null;

const jobs = new Map(); // id -> {aborted, tokens, tokensAtAbort}
let queue = Promise.resolve();

self.onmessage = ({ data }) => {
  if (data.type === KIND.ABORT) return abortJob(data.id);
  const job = { id: data.id, aborted: false, tokens: 0, tokensAtAbort: 0 };
  jobs.set(job.id, job);
  // runJob answers every failure itself; the catch only keeps one broken answer from stalling the queue.
  queue = queue
    .then(() => runJob(job, data.op, data.args))
    .catch((err) => console.error('siger worker:', err));
};

const HANDLERS = {
  [OP.LOAD]: loadModel,
  [OP.CHAT]: chat,
  [OP.TRANSLATE]: translate,
  [OP.LOAD_TRANSLATION]: loadTranslation,
  [OP.ASK]: ask,
  [OP.SAVE_SESSION]: saveSession,
  [OP.RESTORE_SESSION]: restoreSession,
  [OP.UNLOAD]: unload,
};

async function runJob(job, op, args) {
  forgetPanic();
  try {
    if (job.aborted) throw abortError();
    const { value, transfer } = await HANDLERS[op](job, args);
    self.postMessage(Message.result(job.id, value), transfer ?? []);
  } catch (err) {
    // The translator and libraries kept are dropped: their wasm instance may have trapped.
    if (isCrash(err)) for (const kept of [translators, libraries]) kept.forget();
    if (op !== OP.LOAD && op !== OP.CHAT && modelBytes && isCrash(err)) {
      await replaceEngine(err).catch(() => {});
    } else if (!engine && isCrash(err)) {
      glueTrapped = true;
    }
    self.postMessage(Message.error(job.id, serializeError(err)));
  } finally {
    jobs.delete(job.id);
  }
}

function abortJob(id) {
  const job = jobs.get(id);
  if (job && !job.aborted) {
    job.aborted = true;
    job.tokensAtAbort = job.tokens;
  }
}

function progress(event) {
  self.postMessage(Message.progress(event));
}

// ---------------------------------------------------------------------------------------------
// Loading

async function loadModel(job, { url, backend: requested, stallTimeout }) {
  setStallTimeout(stallTimeout);
  const base = new URL(url);
  const cache = await openCache();
  const manifestBytes = await fetchManifest(base, cache, progress);
  const manifest = parseManifest(manifestBytes, base);
  checkDeviceMemory(manifest);
  const choice = await chooseBackend(requested);
  const store = await decideCaching(cache, base, modelFiles(manifest));
  progress({
    phase: 'check',
    backend: choice.backend,
    reason: choice.reason,
    cache: store.reason,
    caching: store.store === true,
  });
  const files = await obtainFiles(base, modelFiles(manifest), store, progress);
  modelBytes = [
    manifestBytes,
    files['config.json'],
    files['model.safetensors'],
    files['tokenizer.json'],
  ];
  const chosen = await startEngine(fitWeights(choice, requested, modelBytes[2]), requested);
  if (backend === 'cpu') await warmUp(() => glue.Engine.load('cpu', ...modelBytes));
  progress({ phase: 'ready' });
  return { value: { backend, backendReason: chosen.reason, info: plain(engine.info()) } };
}

// ---------------------------------------------------------------------------------------------
// Starting the engine

/**
 * Starts the engine; 'auto' falls back to the CPU when the WebGPU engine will not start, or
 * when its greedy reply to a fixed prompt differs from the CPU engine's (the canary).
 */
async function startEngine(choice, requested) {
  progress({ phase: 'init', backend: choice.backend });
  try {
    await createEngine(choice.backend, false);
  } catch (err) {
    return startCpuInstead(choice, requested, err);
  }
  if (choice.backend !== 'webgpu') return choice;
  let differs;
  try {
    differs = await canary(engine, () => glue.Engine.load('cpu', ...modelBytes));
  } catch (err) {
    return startCpuInstead(choice, requested, err);
  }
  if (!differs) {
    return {
      ...choice,
      reason: `${choice.reason}; its greedy reply to a test prompt equals the CPU's`,
    };
  }
  const why = `the WebGPU engine's greedy reply to a test prompt (${JSON.stringify(differs.gpu)}) differs from the CPU engine's (${JSON.stringify(differs.cpu)}): this GPU's results are wrong`;
  if (requested === 'webgpu') throw new Error(`WebGPU was requested, but ${why}`);
  progress({ phase: 'init', backend: 'cpu' });
  await createEngine('cpu', false);
  return { backend: 'cpu', reason: `${why}; using the CPU` };
}

/** After the WebGPU engine failed to start: the CPU engine, in a fresh instance, for 'auto'. */
async function startCpuInstead(choice, requested, err) {
  if (choice.backend !== 'webgpu') throw err;
  if (requested === 'webgpu') {
    throw new Error(`WebGPU was requested but its engine did not start: ${errorMessage(err)}`);
  }
  progress({ phase: 'init', backend: 'cpu' });
  await createEngine('cpu', true);
  return {
    backend: 'cpu',
    reason: `the WebGPU engine did not start (${errorMessage(err)}); using the CPU`,
  };
}

/**
 * Creates an engine from the kept bytes. `fresh` imports a new instance of the wasm module:
 * after a GPU failure (perhaps a panic inside it) the old instance is not trusted.
 */
async function createEngine(name, fresh) {
  if (!glue || fresh) glue = await importGlue(fresh);
  try {
    engine?.free();
  } catch {
    // An instance that failed (perhaps panicked) may not even free cleanly; it is dropped.
  }
  engine = null;
  engine = await watched(glue.Engine.load(name, ...modelBytes));
  backend = engine.backend();
}

async function importGlue(fresh) {
  const url = new URL('./pkg/siger.js', import.meta.url);
  // A distinct URL is a distinct module record, hence a new wasm instance and memory.
  if (fresh) url.searchParams.set('instance', String(++glueInstances));
  try {
    const module = await import(url.href);
    await module.default({ module_or_path: await compiledWasm() });
    return module;
  } catch (err) {
    throw new Error(
      `cannot start the Siger engine from ${url.href} (${errorMessage(err)}): is pkg/ built (pkg-scripts/build-web)?`,
    );
  }
}

/** The wasm is compiled once; a fresh instance only instantiates it again. */
let wasmModule = null;
async function compiledWasm() {
  wasmModule ??= WebAssembly.compileStreaming(
    fetch(new URL('./pkg/siger_bg.wasm', import.meta.url)),
  );
  return wasmModule;
}

// ---------------------------------------------------------------------------------------------
// Chat

/**
 * Generates one reply. When the WebGPU engine fails mid-request (a lost device, a driver
 * error), the CPU engine is started from the kept bytes and the request runs again: the whole
 * conversation is in its messages, so nothing is lost.
 */
async function chat(job, { messages, options }) {
  requireEngine();
  const sent = { text: '' }; // the reply's text already posted to the page
  try {
    return { value: await reply(job, messages, options, sent) };
  } catch (err) {
    // A request the engine refused is the caller's error: only other failures leave the GPU.
    if (err?.refused) throw err;
    const gpuFailed = backend === 'webgpu';
    if (gpuFailed || isCrash(err)) await replaceEngine(err);
    if (gpuFailed && !job.aborted) return { value: await reply(job, messages, options, sent) };
    throw err;
  }
}

async function reply(job, messages, options, sent) {
  let started; // start() only checks and encodes the request: its errors are the request's
  try {
    started = engine.start(messages, options);
  } catch (err) {
    throw Object.assign(err, { refused: !isCrash(err) });
  }
  // Sent again by a retry after a fallback: usage then describes the reply's actual reading.
  self.postMessage(Message.started(job.id, started));
  job.tokens = 0;
  let produced = '';
  for (;;) {
    if (job.aborted) {
      engine.stop();
      break;
    }
    const piece = await watched(engine.next());
    if (piece === undefined) break;
    job.tokens += 1;
    produced += piece;
    if (!forwardText(job, produced, sent)) {
      engine.stop();
      throw new Error(
        'the WebGPU device failed mid-reply and the CPU engine, writing the reply again, wrote a ' +
          'different one: send the request again (the conversation is in its messages)',
      );
    }
    // engine.next() may resolve through microtasks only (the CPU backend); without a real
    // task boundary here an abort message could not be handled until the reply ended.
    await yieldToEventLoop();
  }
  const aborted = job.aborted ? job.tokens - job.tokensAtAbort : undefined;
  // The engine counts tokens; job.tokens counts pieces (a final piece may flush held-back text).
  return {
    finish_reason: engine.finish_reason(),
    completion_tokens: engine.reply_tokens(),
    loops_per_token: await watched(engine.reply_loops_per_token()),
    tokens_after_abort: aborted,
  };
}

/**
 * Posts the text not yet sent. After a fallback the CPU engine writes the reply again from its
 * start: text the caller already has is not sent twice. Returns false when the new reply
 * differs from the text already sent (which is never spliced onto).
 */
function forwardText(job, produced, sent) {
  const overlap = Math.min(produced.length, sent.text.length);
  if (produced.slice(0, overlap) !== sent.text.slice(0, overlap)) return false;
  if (produced.length > sent.text.length) {
    self.postMessage(Message.token(job.id, produced.slice(sent.text.length)));
    sent.text = produced;
  }
  return true;
}

const yieldChannel = new MessageChannel();
function yieldToEventLoop() {
  return new Promise((resolve) => {
    yieldChannel.port1.onmessage = () => resolve();
    yieldChannel.port2.postMessage(null);
  });
}

// ---------------------------------------------------------------------------------------------
// Translation

const translators = new KeptTranslator();

/** The wasm module in use: a new instance after a panic that left no engine to replace it. */
async function currentGlue() {
  if (!glue || glueTrapped) glue = await importGlue(glueTrapped);
  glueTrapped = false;
  return glue;
}

/** The translator for `config`, in the wasm module in use. */
async function translator(config, retry) {
  const report = (event) => self.postMessage(Message.progress(event, TOPIC.TRANSLATION));
  return translators.get(await currentGlue(), config, retry, report);
}

async function translate(job, { text, from, to, translation }) {
  const { translator: t } = await translator(translation, false);
  return { value: plain(t.translate(text, from, to)) };
}

async function loadTranslation(job, { translation, retry }) {
  return { value: (await translator(translation, retry)).status };
}

// ---------------------------------------------------------------------------------------------
// Answers from sources

const libraries = new KeptLibraries();

/** Quoted sentences with their citations, or an abstention (siger.d.ts, Answer). */
async function ask(job, { question, sources, options }) {
  const library = libraries.get(await currentGlue(), sources);
  if (job.aborted) throw abortError(); // building a book's index takes a while
  return { value: plain(library.ask(question, options)) };
}

// ---------------------------------------------------------------------------------------------
// The other requests

async function saveSession() {
  requireEngine();
  // A copy of its own, so that transferring it can never touch the wasm memory.
  const bytes = (await watched(engine.save_session())).slice();
  return { value: bytes, transfer: [bytes.buffer] };
}

async function restoreSession(job, { bytes }) {
  requireEngine();
  await engine.restore_session(bytes);
  return { value: undefined };
}

async function unload() {
  engine?.free();
  engine = null;
  modelBytes = null;
  return { value: undefined };
}

function requireEngine() {
  if (!engine) throw new Error('no model is loaded in this engine');
}

// ---------------------------------------------------------------------------------------------
// Errors and crashes

/**
 * A Rust panic traps the wasm instance (WebAssembly.RuntimeError: unreachable) and leaves it
 * unusable. The engine is rebuilt from the kept bytes in a fresh instance, on the CPU: a
 * failing WebGPU engine falls back (reported as `fallback`); a crashed CPU engine starts over.
 */
async function replaceEngine(err) {
  const from = backend;
  await createEngine('cpu', true);
  if (from === 'webgpu') {
    progress({
      phase: 'fallback',
      from: 'webgpu',
      to: 'cpu',
      reason: `the WebGPU engine failed: ${errorMessage(err)}`,
    });
  }
}

/** wasm-bindgen may hand back Maps for Rust maps; the page wants plain objects. */
function plain(value) {
  if (value instanceof Map) return Object.fromEntries([...value].map(([k, v]) => [k, plain(v)]));
  if (Array.isArray(value)) return value.map(plain);
  if (value && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]));
  }
  return value;
}
