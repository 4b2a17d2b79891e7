// Answers from a source, never from the model. The source is the widget's `source` attribute
// (an element of the host page or a file, ui/page-source.js), the same for every thread, or
// else the one a thread of the chat page holds (ui/source-panel.js). A question about it is
// asked of the translator's worker (`ask`: it needs no model and downloads nothing); a source
// that cannot be read is told in a notice, with Retry, and the question is then not answered
// at all rather than by the model.

import { setState } from './layout.js';
import { clearNotices, explain, showNotice } from './notices.js';
import { SourceError, elementSource, fetchSource, namesElement } from './page-source.js';
import { format } from './strings.js';

export class Grounding {
  ready = false; // the attribute's source was read, the last time it was: the chat can answer
  #fetched = null; // Promise<source> of the file the attribute names, kept once read
  #read = null; // the attribute's source as last read
  #ui;
  #host;

  /**
   * `ui`: the element's parts (ui/layout.js). `host`: strings() (the interface's words now),
   * attribute() (the `source` attribute, or null), root() (the document or shadow root the
   * element is in, where a selector looks), translator() (the SigerTranslator to ask) and
   * changed() (the source shown may have changed).
   */
  constructor(ui, host) {
    this.#ui = ui;
    this.#host = host;
  }

  /** Whether the `source` attribute gives the source (of every thread). */
  get fixed() {
    return Boolean(this.#host.attribute()?.trim());
  }

  /** Whether the questions of `thread` are answered from a source. */
  has(thread) {
    return this.fixed || Boolean(thread.source);
  }

  /** The source shown for `thread` ({name, text}): the attribute's once read, or the thread's. */
  shown(thread) {
    return this.fixed ? this.#read : (thread.source ?? null);
  }

  /** Reads the attribute's source now: the chat is then ready, or a notice says why not. */
  async prepare() {
    if (!this.fixed) return;
    setState(this.#ui, 'loading');
    try {
      await this.#attributeSource();
      setState(this.#ui, 'ready');
    } catch {
      setState(this.#ui, 'error'); // the notice is shown
    }
  }

  /** The `source` attribute changed: what was read of it is forgotten. */
  forget() {
    this.#fetched = null;
    this.#read = null;
    this.ready = false;
    clearNotices(this.#ui.notices, 'source');
  }

  /**
   * The answer (siger.d.ts, Answer) to `question` from the source of `thread`. A source that
   * cannot be read rejects with an error marked `told`: its notice is already shown.
   */
  async ask(question, thread) {
    const source = this.fixed ? await this.#attributeSource() : thread.source;
    const { name, title, text } = source;
    const sources = [title ? { name, title, text } : { name, text }];
    return this.#host.translator().ask(question, { sources });
  }

  /** The attribute's source: the element read again (it may have changed), the file once. */
  async #attributeSource() {
    const attribute = this.#host.attribute().trim();
    try {
      const source = namesElement(attribute)
        ? elementSource(attribute, this.#host.root())
        : await (this.#fetched ??= fetchSource(attribute));
      clearNotices(this.#ui.notices, 'source');
      this.ready = true;
      if (this.#read?.text !== source.text || this.#read?.name !== source.name) {
        this.#read = source;
        this.#host.changed();
      }
      return source;
    } catch (err) {
      this.ready = false;
      this.#fetched = null; // the next question tries again
      this.#tell(err);
      throw Object.assign(err, { told: true });
    }
  }

  #tell(err) {
    const t = this.#host.strings();
    const { reason, detail } = explain(err, t);
    const known = err instanceof SourceError;
    const text = known
      ? format(t[err.key], { ...err.values, reason })
      : format(t.askFailed, { reason });
    const retry = { label: t.retry, run: () => this.prepare() };
    clearNotices(this.#ui.notices, 'source');
    showNotice(this.#ui.notices, t, 'error', text, {
      tag: 'source',
      action: retry,
      detail: known ? err.detail : detail,
    });
  }
}
