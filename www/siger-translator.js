// Translation in the browser, with or without a model: `Siger.translator(options)`, a translator
// in a worker of its own that never loads a model, and the requests it shares with a loaded
// engine's `translate`. Lookup first; every output token names its source.
//
// The translation resources are downloaded on first use (the first `translate`, or `load`),
// checked and cached by the worker (siger-resources.js): by default the shipped ones (the
// `translation/` folder that pkg-scripts/build-web writes beside this file: the dictionary and
// the language model). `lexicon`, a file of the user's own, replaces their lexicons (the other
// kinds stay), unless `keepLexicons`. siger.d.ts documents it. The same worker answers from
// sources (`ask`, siger-sources.js), which needs neither a model nor the resources.

import { WorkerLink, absoluteUrl, folderUrl, startWorker } from './siger-link.js';
import { OP } from './siger-protocol.js';
import { requestAnswer } from './siger-sources.js';

/** The shipped translation resources' folder. */
const SHIPPED = new URL('./translation/', import.meta.url).href;

/** A translator without a model; nothing is downloaded until it is first used. */
export function translator(options = {}) {
  const config = translationConfig(options);
  const { worker, release } = startWorker();
  const link = new WorkerLink(worker, { translation: options.onProgress }, release);
  return new SigerTranslator(link, config);
}

class SigerTranslator {
  #link;
  #config;

  constructor(link, config) {
    this.#link = link;
    this.#config = config;
    this.resources = config.resources;
    this.lexicon = config.lexicon;
  }

  /** Downloads and adds the resources, once; says what was loaded and what failed. */
  load({ retry = false } = {}) {
    return loadTranslation(this.#link, this.#config, retry);
  }

  /** Lookup-first translation; every output token says where it came from. */
  translate(text, languages) {
    return requestTranslation(this.#link, this.#config, text, languages);
  }

  /** Answers from sources, as `SigerEngine.ask`: no model, and no resources are downloaded. */
  ask(question, options) {
    return requestAnswer(this.#link, question, options);
  }

  /** Ends the worker; later calls reject. */
  close() {
    this.#link.close(new Error('this Siger translator was closed'));
  }
}

/**
 * What the worker is told to load: `resources` (a folder or its manifest.json; null or false
 * for none) and `lexicon` (one file), as absolute URLs or null, and `skip`, the kinds of
 * `resources` left out (its lexicons, when `lexicon` replaces them).
 */
export function translationConfig({ resources = SHIPPED, lexicon, keepLexicons = false } = {}) {
  for (const [name, value] of Object.entries({ resources, lexicon })) {
    const ok =
      value == null || value === false || typeof value === 'string' || value instanceof URL;
    if (!ok) throw new TypeError(`translation: ${name} must be a URL (a string or URL), or null`);
  }
  return {
    resources: resources ? folderUrl(resources) : null,
    lexicon: lexicon ? lexiconUrl(lexicon) : null,
    skip: lexicon && !keepLexicons ? ['lexicon'] : [],
  };
}

/** A lexicon's absolute URL; one that is no URL is passed on, to be reported as failed. */
function lexiconUrl(lexicon) {
  try {
    return absoluteUrl(lexicon);
  } catch {
    return String(lexicon);
  }
}

/** The resources' status (TranslationStatus); `retry` reloads them if one had failed. */
export function loadTranslation(link, config, retry) {
  return link.call(OP.LOAD_TRANSLATION, { translation: config, retry: Boolean(retry) });
}

/** One translation, with the resources of `config` (loaded first if they are not yet). */
export function requestTranslation(link, config, text, { from, to } = {}) {
  if (typeof text !== 'string') {
    return Promise.reject(new TypeError('translate: text must be a string'));
  }
  if (typeof to !== 'string') {
    return Promise.reject(
      new TypeError("translate: say which language to translate to, e.g. { to: 'id' }"),
    );
  }
  if (from !== undefined && typeof from !== 'string') {
    return Promise.reject(new TypeError('translate: from must be a language code, or left out'));
  }
  return link.call(OP.TRANSLATE, { text, from, to, translation: config });
}
