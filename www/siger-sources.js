// Answers from sources, "cite or stay silent": `engine.ask` and `translator.ask` send a question
// and the texts to answer it from to the worker, which quotes the sentences that answer it,
// with their citations, or abstains (the wasm `Library`, kept there by siger-library.js). No
// model is involved, so a worker without one answers too. Here the caller's arguments are
// checked, where a mistake is plain, and the sources take the one shape the core reads:
// `[{name, text, title?}]`, a string being named by its place (`sumber-1`, `sumber-2`, …).
// siger.d.ts documents it.

import { withSignal } from './siger-link.js';
import { MB, OP, megabytes } from './siger-protocol.js';

/** The most text one question is answered from, all sources together, in UTF-8 bytes. */
export const SOURCE_LIMIT = 5 * MB;

/** What `ask` takes besides the question. */
const OPTIONS = ['sources', 'threshold', 'maxSentences', 'closest', 'signal'];
/** The largest count the core takes (a `usize` in 32-bit wasm). */
const MAX_U32 = 2 ** 32 - 1;
const SOURCES_SHAPE = 'a string, or an array of strings or {name, text, title?} objects';

/**
 * Asks the worker behind `link` to answer `question` from `options.sources`. Rejects with a
 * TypeError (or a RangeError, for sources over SOURCE_LIMIT) on a malformed call, and with
 * the signal's reason when `options.signal` aborts.
 */
export function requestAnswer(link, question, options) {
  let request;
  try {
    request = prepareAsk(question, options);
  } catch (err) {
    return Promise.reject(err);
  }
  const { signal } = options;
  if (signal?.aborted) return Promise.reject(signal.reason);
  const pending = link.request(OP.ASK, request);
  return withSignal(pending, signal, () => link.abort(pending.id));
}

/** The worker's request: `{question, sources, options}`, options in the core's names. */
export function prepareAsk(question, options) {
  if (typeof question !== 'string' || !question.trim()) {
    throw new TypeError('ask: the question must be a non-empty string');
  }
  if (!options || typeof options !== 'object') {
    throw new TypeError('ask: say what to answer from: ask(question, { sources: text })');
  }
  const unknown = Object.keys(options).filter((key) => !OPTIONS.includes(key));
  if (unknown.length > 0) {
    throw new TypeError(
      `ask: unknown option ${unknown.map((k) => `'${k}'`).join(', ')} (the options are ${OPTIONS.join(', ')})`,
    );
  }
  const { signal } = options;
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    throw new TypeError('ask: signal must be an AbortSignal, or left out');
  }
  return { question, sources: normalizeSources(options.sources), options: askOptions(options) };
}

/** `sources` as `[{name, text, title?}]`: checked, named, unique, within SOURCE_LIMIT. */
export function normalizeSources(sources) {
  if (sources === undefined) {
    throw new TypeError(`ask: pass the text to answer from as sources: ${SOURCES_SHAPE}`);
  }
  const list = typeof sources === 'string' ? [sources] : sources;
  if (!Array.isArray(list) || list.length === 0) {
    throw new TypeError(`ask: sources must be ${SOURCES_SHAPE}`);
  }
  const named = list.map(oneSource);
  const seen = new Set();
  for (const { name } of named) {
    if (seen.has(name)) {
      throw new TypeError(`ask: two sources are both named "${name}": give each its own name`);
    }
    seen.add(name);
  }
  if (named.every((s) => !s.text.trim())) {
    throw new TypeError('ask: the sources hold no text: give the text to answer from');
  }
  const bytes = named.reduce((sum, s) => sum + utf8Length(s.text) + utf8Length(s.title ?? ''), 0);
  if (bytes > SOURCE_LIMIT) {
    throw new RangeError(
      `ask: the sources hold ${bytes} bytes of text, more than the ${megabytes(SOURCE_LIMIT)} (${SOURCE_LIMIT} bytes) one question is answered from: give the chapter that matters`,
    );
  }
  return named;
}

function oneSource(source, i) {
  const where = `ask: sources[${i}]`;
  if (typeof source === 'string') return { name: `sumber-${i + 1}`, text: source };
  if (!source || typeof source !== 'object') {
    throw new TypeError(`${where} must be a string or a {name, text, title?} object`);
  }
  const { name, text, title } = source;
  if (typeof name !== 'string' || !name.trim()) {
    throw new TypeError(`${where}.name must be a non-empty string: citations show it`);
  }
  if (typeof text !== 'string') throw new TypeError(`${where}.text must be a string`);
  if (title !== undefined && title !== null && typeof title !== 'string') {
    throw new TypeError(`${where}.title must be a string, or left out`);
  }
  return title ? { name, title, text } : { name, text };
}

/** The options in the core's names (`max_sentences`); those left out take its defaults. */
function askOptions({ threshold, maxSentences, closest }) {
  const options = {};
  if (threshold !== undefined) {
    if (typeof threshold !== 'number' || !Number.isFinite(Math.fround(threshold))) {
      throw new TypeError('ask: threshold must be a finite number (the default is 0.41)');
    }
    options.threshold = threshold;
  }
  if (maxSentences !== undefined) {
    if (!isCount(maxSentences) || maxSentences < 1) {
      throw new TypeError(
        'ask: maxSentences must be a whole number, at least 1 (the default is 2)',
      );
    }
    options.max_sentences = maxSentences;
  }
  if (closest !== undefined) {
    if (!isCount(closest)) {
      throw new TypeError('ask: closest must be a whole number, 0 or more (the default is 3)');
    }
    options.closest = closest;
  }
  return options;
}

function isCount(value) {
  return Number.isInteger(value) && value >= 0 && value <= MAX_U32;
}

/** How many bytes `text` takes in UTF-8, without encoding it. */
export function utf8Length(text) {
  let bytes = 0;
  for (let i = 0; i < text.length; i += 1) {
    const unit = text.charCodeAt(i);
    const surrogate = unit >= 0xd800 && unit <= 0xdfff; // half of a pair, 4 bytes in all
    if (unit < 0x80) bytes += 1;
    else if (unit < 0x800 || surrogate) bytes += 2;
    else bytes += 3;
  }
  return bytes;
}
