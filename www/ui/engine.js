// The engine behind one chat, empty until first needed (at start, or when the launcher first
// opens) and emptied when the backend setting changes or the data is cleared. While it loads,
// the progress bar; once it runs, the header's status; and which thread's saved state (session)
// it holds, so that continuing a thread reads only what is new.

import { Siger } from '../siger.js';
import { setState } from './layout.js';
import { clearNotices, explain, showNotice } from './notices.js';
import { LoadProgress, StatusLine } from './status.js';
import { format } from './strings.js';

export class EngineSlot {
  engine = null; // the SigerEngine, once loaded
  loading = null; // Promise<engine> while loading
  #restored = null; // the thread id whose session the engine holds
  #ui;
  #progress;
  #status;
  #host;

  /**
   * `ui`: the element's parts (ui/layout.js). `host`: source() (the model's `url` and the
   * `backend` to load), strings() (the interface's words now), generating() (a reply is being
   * written) and thread() (the thread shown).
   */
  constructor(ui, host) {
    this.#ui = ui;
    this.#progress = new LoadProgress(ui.progress);
    this.#status = new StatusLine(ui.status);
    this.#host = host;
  }

  /** The engine, loading it first if needed. Rejects when loading fails (the notice says why). */
  ensure() {
    if (this.engine) return Promise.resolve(this.engine);
    this.loading ??= this.#load().finally(() => {
      this.loading = null;
    });
    return this.loading;
  }

  async #load() {
    const host = this.#host;
    clearNotices(this.#ui.notices, 'load');
    setState(this.#ui, 'loading');
    this.#progress.begin(host.strings());
    const onProgress = (event) => this.#onProgress(event);
    try {
      const { url, backend } = host.source();
      const engine = await Siger.load(url, { backend, onProgress });
      this.engine = engine;
      this.#restored = null;
      this.#progress.end();
      this.showStatus();
      if (!host.generating()) setState(this.#ui, 'ready');
      await this.restore(host.thread());
      return engine;
    } catch (err) {
      this.#progress.end();
      setState(this.#ui, 'error');
      const t = host.strings();
      const retry = { label: t.retry, run: () => this.ensure().catch(() => {}) };
      const { reason, detail } = explain(err, t);
      const text = `${format(t.loadFailed, { reason })} ${t.loadFailedHelp}`;
      showNotice(this.#ui.notices, t, 'error', text, { tag: 'load', action: retry, detail });
      console.error('siger: the model failed to load:', err);
      throw err;
    }
  }

  #onProgress(event) {
    const t = this.#host.strings();
    if (event.phase === 'check' && !event.caching) {
      const options = { tag: 'load', detail: event.cache };
      showNotice(this.#ui.notices, t, 'warn', t.notCaching, options);
    } else if (event.phase === 'fallback') {
      showNotice(this.#ui.notices, t, 'warn', t.fellBack);
      this.showStatus();
    } else {
      this.#progress.show(event, t);
    }
  }

  /** Frees the engine once a load under way has ended; the next `ensure` loads it again. */
  async unload() {
    await this.loading?.catch(() => {});
    const engine = this.engine;
    this.engine = null;
    this.#restored = null;
    await engine?.unload().catch(() => {});
  }

  /** Hands the engine `thread`'s saved state, so continuing it reads only what is new. */
  async restore(thread) {
    if (!this.engine || this.#restored === thread.id || !thread.session) return;
    try {
      await this.engine.restoreSession(thread.session);
      this.#restored = thread.id;
    } catch {
      delete thread.session; // another model's state: the next reply reads the thread again
    }
  }

  /** The engine's state after a reply, kept with the thread (small: see saveSession). */
  async keep(thread) {
    try {
      thread.session = await this.engine.saveSession();
      this.#restored = thread.id;
    } catch {
      delete thread.session;
    }
  }

  /** Another thread is shown: its state is handed over on the next restore. */
  forgetSession() {
    this.#restored = null;
  }

  showStatus() {
    this.#status.show(this.engine, this.#host.strings());
  }

  /** Shows the decode speed of a reply of `tokens` whose first token came at `firstAt`. */
  showSpeed(tokens, firstAt, loops) {
    if (this.#status.measure(tokens, firstAt, loops)) this.showStatus();
  }

  forgetSpeed() {
    this.#status.forget();
  }
}
