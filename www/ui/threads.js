// The threads of one chat: the one shown, and the saved ones, kept in the store (ui/store.js).
// With the `threads` attribute they are listed (ui/thread-list.js) to be opened, started,
// renamed and deleted, and the newest is shown again after a reload.

import { clearNotices, showError } from './notices.js';
import { newThread } from './store.js';
import { renderThreadList } from './thread-list.js';

export class Threads {
  current = newThread(); // the thread shown
  #saved = []; // the saved threads' summaries (id, title, created, updated), newest first
  #store = null;
  #ui;
  #listed;
  #host;

  /**
   * `ui`: the element's parts (ui/layout.js); `listed`: the `threads` attribute. `host`:
   * strings() (the interface's words now), settle() (stops the reply being written and waits
   * for it) and shown() (the thread shown changed).
   */
  constructor(ui, listed, host) {
    this.#ui = ui;
    this.#listed = listed;
    this.#host = host;
  }

  /** Starts on `store`; listed, the newest saved thread is shown. */
  async start(store) {
    this.#store = store;
    if (this.#listed) {
      this.#saved = await store.listThreads().catch(() => []);
      const latest = await this.#latest();
      if (latest) this.current = latest;
    }
    this.render();
  }

  /** Saves `thread` (a failure shows a notice) and lists the saved threads again. */
  async save(thread = this.current) {
    // An empty thread is not kept; one given a source is, to be asked about.
    if (thread.messages.length === 0 && !thread.title && !thread.source) return;
    thread.updated = Date.now();
    try {
      await this.#store.putThread(thread);
      clearNotices(this.#ui.notices, 'storage');
    } catch (err) {
      const t = this.#host.strings();
      showError(this.#ui.notices, t, t.storageFailed, err, { tag: 'storage' });
    }
    this.#saved = await this.#store.listThreads().catch(() => this.#saved);
    this.render();
  }

  async open(id) {
    if (id === this.current.id) return;
    await this.#host.settle();
    const thread = await this.#store.getThread(id).catch(() => null);
    if (thread) await this.#show(thread);
  }

  async startNew() {
    await this.#host.settle();
    const shown = this.#show(newThread());
    this.#ui.input.focus();
    await shown;
  }

  async rename(id, title) {
    const current = id === this.current.id;
    const thread = current ? this.current : await this.#store.getThread(id).catch(() => null);
    if (!thread) return;
    thread.title = title.trim().slice(0, 80);
    await this.save(thread);
    this.#focus(id);
  }

  async remove(id) {
    const current = id === this.current.id;
    if (current) await this.#host.settle();
    await this.#store.deleteThread(id).catch(() => {});
    this.#saved = await this.#store.listThreads().catch(() => []);
    if (current) await this.#show((await this.#latest()) ?? newThread());
    else this.render();
    this.#focus(this.current.id);
  }

  /** After the store was cleared: nothing saved, a new thread shown. */
  cleared() {
    this.#saved = [];
    return this.#show(newThread());
  }

  render() {
    if (!this.#listed) return;
    const { current } = this;
    // A new thread is listed, first, before it is saved.
    const saved = this.#saved;
    const list = saved.some((s) => s.id === current.id) ? saved : [current, ...saved];
    renderThreadList(this.#ui.threadList, list, current.id, this.#host.strings(), {
      open: (id) => this.open(id),
      rename: (id, title) => this.rename(id, title),
      remove: (id) => this.remove(id),
      redraw: () => this.render(),
    });
  }

  /** Shows `thread`, closing the list where it is a drawer (on a phone). */
  #show(thread) {
    this.current = thread;
    this.render();
    this.#ui.threads.classList.remove('open');
    this.#ui.threadsButton.setAttribute('aria-expanded', 'false');
    return this.#host.shown();
  }

  async #latest() {
    const newest = this.#saved[0];
    return newest ? await this.#store.getThread(newest.id).catch(() => null) : null;
  }

  /** Puts focus back on a thread's button after the list was drawn again. */
  #focus(id) {
    const open = `[data-id="${CSS.escape(id)}"] [data-action=open-thread]`;
    this.#ui.threadList.querySelector(open)?.focus();
  }
}
