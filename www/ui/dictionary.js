// The translator behind the translation modes (Siger.translator: it needs no model, so it works
// before, during or without the model's loading), made when a translation mode is first opened
// or a source is first asked about (its worker answers those too, ui/grounding.js).
// It downloads the dictionary (the translation resources: lexicons, and a language model that
// chooses among a word's senses) with a progress bar of its own, then names what it loaded
// (source, entries, licence) in a line above the messages. A resource that could not be loaded
// is said plainly in a notice, with Retry; translation goes on with the built-in phrasebook and
// whatever did load.
//
// The widget's `lexicon` attribute (a file's URL) replaces the shipped dictionary (its lexicons:
// the language model stays, and chooses among the senses of the teacher's words too): a teacher
// who names a word list means that one.

import { translator as createTranslator } from '../siger.js';
import { clearNotices, showNotice } from './notices.js';
import { translation } from './reply.js';
import { LoadProgress } from './status.js';
import { format } from './strings.js';
import { h } from './view.js';

/** What each kind of resource is called, and its failure (keys of ui/strings.js). */
const KINDS = {
  lexicon: { name: 'kindLexicon', failed: 'lexiconFailed' },
  manifest: { name: 'kindLexicon', failed: 'lexiconFailed' }, // the manifest lists them all
  'language-model': { name: 'kindModel', failed: 'modelFailed' },
};

/** The dictionary's progress bar says these (keys of ui/strings.js). */
const WORDS = Object.freeze({
  checking: 'dictionaryChecking',
  downloading: 'dictionaryDownloading',
  fromCache: 'dictionaryFromCache',
  verifying: 'dictionaryVerifying',
});

export class Dictionary {
  #translator = null; // the SigerTranslator, once made
  #loading = null; // Promise<translator>: the resources loading, or loaded
  #status = null; // TranslationStatus (siger.d.ts) of the last load
  #shown = false; // a translation mode is open
  #generation = 0; // counts resets: a load begun before one is stale
  #ui;
  #progress;
  #host;

  /**
   * `ui`: the element's parts (ui/layout.js). `host`: strings() (the interface's words now) and
   * lexicon() (the `lexicon` attribute: a URL relative to the page, or null).
   */
  constructor(ui, host) {
    this.#ui = ui;
    this.#progress = new LoadProgress(ui.dictionaryProgress, WORDS);
    this.#host = host;
  }

  /** The translator with its resources loaded (those that failed are in a notice). */
  ensure() {
    this.#loading ??= this.#load(false);
    return this.#loading;
  }

  /**
   * The translator, made now if need be, with nothing loaded: its worker also answers from
   * sources (`ask`), which needs no translation resource (ui/grounding.js).
   */
  translator() {
    const lexicon = this.#host.lexicon() || undefined;
    const onProgress = (event) => this.#onProgress(event);
    this.#translator ??= createTranslator({ lexicon, onProgress });
    return this.#translator;
  }

  /** Translates `text` in the translation `mode`, into a thread message (ui/reply.js). */
  async translate(text, mode) {
    return translation(await this.ensure(), text, mode);
  }

  /**
   * The chat's mode is now `mode`: the dictionary's line shows in a translation mode, where
   * the dictionary starts loading (once) if the chat is `awake` (started and shown).
   */
  follow(mode, awake) {
    this.#shown = mode !== 'chat';
    this.showStatus();
    if (this.#shown && awake) this.ensure().catch(() => {});
  }

  /** Forgets the translator and what it loaded ("Clear all data"); the next use loads anew. */
  reset() {
    this.#generation += 1;
    this.#translator?.close();
    this.#translator = null;
    this.#loading = null;
    this.#status = null;
    this.#progress.end();
    clearNotices(this.#ui.notices, 'dictionary');
    this.showStatus();
  }

  async #load(retry) {
    const t = this.#host.strings();
    clearNotices(this.#ui.notices, 'dictionary');
    this.#progress.begin(t);
    const generation = this.#generation;
    try {
      this.#status = await this.translator().load({ retry });
    } catch (err) {
      // No translator at all (the worker or the wasm would not start): a translation says so.
      if (generation === this.#generation) this.reset();
      throw err;
    } finally {
      this.#progress.end();
    }
    this.#sayFailures(t);
    this.showStatus();
    return this.#translator;
  }

  #onProgress(event) {
    const t = this.#host.strings();
    if (event.phase === 'check' && !event.caching) {
      const options = { tag: 'dictionary', detail: event.cache };
      showNotice(this.#ui.notices, t, 'warn', t.dictionaryNotCaching, options);
    } else {
      this.#progress.show(event, t);
    }
  }

  /** One notice per resource that failed, saying why and what translation still has. */
  #sayFailures(t) {
    const { loaded, failed } = this.#status;
    const lexicons = loaded.some((r) => r.kind === 'lexicon');
    const fallback = lexicons ? t.dictionaryFallbackSome : t.dictionaryFallback;
    const retry = { label: t.retry, run: () => (this.#loading = this.#load(true)).catch(() => {}) };
    for (const failure of failed) {
      const said = t[KINDS[failure.kind]?.failed ?? 'resourceFailed'];
      const text = `${format(said, { kind: failure.kind, reason: failure.reason })} ${fallback}`;
      showNotice(this.#ui.notices, t, 'error', text, { tag: 'dictionary', action: retry });
    }
  }

  /**
   * The dictionary's line: each resource loaded, by kind, with its licence (and a lexicon its
   * entries), or the phrasebook alone when no lexicon loaded.
   */
  showStatus() {
    const line = this.#ui.dictionary;
    line.hidden = !(this.#shown && this.#status);
    if (!this.#status) return;
    const t = this.#host.strings();
    const { loaded, phrasebook } = this.#status;
    const lexiconsFirst = (a, b) => (b.kind === 'lexicon') - (a.kind === 'lexicon');
    const parts = [...loaded].sort(lexiconsFirst).map((resource) => describe(resource, t));
    if (!loaded.some((r) => r.kind === 'lexicon')) {
      const only = format(t.dictionaryPhrasebookOnly, { count: phrasebook });
      const label = h('span', { class: 'label' }, `${t.kindLexicon}:`);
      parts.unshift(h('span', { 'data-part': 'dictionary-resource' }, label, ` ${only}`));
    }
    line.replaceChildren(...parts.flatMap((part, i) => (i > 0 ? ['; ', part] : [part])));
  }
}

function kindName(kind, t) {
  return KINDS[kind] ? t[KINDS[kind].name] : kind;
}

/**
 * One loaded resource: its kind, what it is (a lexicon's source, else its file name: the
 * source, which may be long, is the tooltip), a lexicon's entries, a link to its licence.
 */
function describe(resource, t) {
  const lexicon = resource.kind === 'lexicon';
  const entries = new Intl.NumberFormat(t.locale).format(resource.entries);
  const licence = resource.licence_url
    ? h(
        'a',
        { href: resource.licence_url, target: '_blank', rel: 'noopener', 'data-part': 'licence' },
        format(t.dictionaryLicence, { licence: resource.licence }),
      )
    : null;
  return h(
    'span',
    {
      'data-part': 'dictionary-resource',
      'data-kind': resource.kind,
      title: [resource.source, resource.url].filter(Boolean).join('\n'),
    },
    h('span', { class: 'label' }, `${kindName(resource.kind, t)}:`),
    ` ${(lexicon && resource.source) || resource.name}`,
    lexicon && ` · ${format(t.dictionaryEntries, { count: entries })}`,
    licence && [' · ', licence],
  );
}
