// <siger-chat>: Siger's chat as one custom element. A teacher adds it to any page with
//
//   <script type="module" src="https://<siger host>/siger-widget.js"></script>
//   <siger-chat mode="translate" lang="id"></siger-chat>
//
// and the student chat page (index.html) is the same element with `page` and `threads`.
// Everything lives in a shadow root (the host's CSS cannot break it, its CSS cannot leak out);
// the module defines no global but the element. Model output is only ever set as text.
//
// Attributes:
//   mode      chat (default) | translate (= lpg-id) | lpg-id | id-lpg: the mode it opens in
//   lang      id (default) | en: the interface language (the student can switch)
//   greeting  the first message shown (not sent to the model)
//   theme     auto (default: the system's) | light | dark
//   model     the model folder's URL (default: models/siger-demo/ next to this file)
//   backend   auto (default) | webgpu | cpu: the engine, until the student picks one in settings
//   launcher  a floating button opens and closes the chat (the model loads on first open)
//   threads   keep conversations (several, in IndexedDB) across visits
//   page      fill the page (the chat page's layout)

import { Siger } from './siger.js';
import { STYLES } from './ui/style.js';
import { openStore, memoryStore, newThread } from './ui/store.js';
import { strings, format, LANGUAGES } from './ui/strings.js';
import { h, renderMessage, modeOf, MODES } from './ui/view.js';

const DEFAULT_MODEL = new URL('./models/siger-demo/', import.meta.url).href;
const DEFAULT_SETTINGS = { temperature: 0.7, top_p: 0.9, max_tokens: 256, seed: '', backend: 'auto' };
const BACKENDS = ['auto', 'webgpu', 'cpu'];
const MODEL_CACHE = 'siger-models-v1';
const MB = 1024 * 1024;

let sheet = null;
function styleSheet() {
  if (!sheet && 'adoptedStyleSheets' in Document.prototype) {
    sheet = new CSSStyleSheet();
    sheet.replaceSync(STYLES);
  }
  return sheet;
}

class SigerChat extends HTMLElement {
  static observedAttributes = ['lang', 'mode', 'theme', 'greeting'];

  #root;
  #ui = null; // the element's parts, once built
  #t = strings('id');
  #settings = { ...DEFAULT_SETTINGS };
  #store = null;
  #thread = newThread();
  #threadList = [];
  #engine = null;
  #loading = null; // Promise<engine> while loading
  #generation = null; // { controller } while a reply or translation is being written
  #busy = null; // Promise: the request running now, until it has ended and been saved
  #backendChosen = false; // the student picked the engine in settings
  #views = new WeakMap(); // message -> { key, el }: its element, while nothing it shows changed
  #intro = null; // { text, el }: the greeting's element
  #restored = null; // the thread id whose session the engine holds
  #started = false;

  constructor() {
    super();
    this.#root = this.attachShadow({ mode: 'open' });
    const adopted = styleSheet();
    if (adopted) this.#root.adoptedStyleSheets = [adopted];
    else this.#root.append(h('style', {}, STYLES)); // older browsers; a strict CSP may block it
  }

  connectedCallback() {
    if (!this.#ui) this.#build();
    if (this.#started) return;
    this.#started = true;
    this.#start().catch((err) => this.#notice('error', format(this.#t.loadFailed, { reason: message(err) })));
  }

  attributeChangedCallback(name, before, after) {
    if (!this.#ui || before === after) return;
    if (name === 'lang') this.#setLanguage(after, { fromAttribute: true });
    if (name === 'mode') this.#setMode(modeOf(after));
    if (name === 'greeting') this.#renderMessages();
  }

  // -------------------------------------------------------------------------------------------
  // Start: settings, threads, then the model (at once, or when the launcher first opens it).

  async #start() {
    if (typeof Worker === 'undefined' || typeof WebAssembly === 'undefined') {
      this.#notice('error', this.#t.noWorkers);
      return;
    }
    this.#store = this.hasAttribute('threads') ? await openStore() : memoryStore();
    if (this.hasAttribute('threads') && !this.#store.persistent) this.#notice('warn', this.#t.noStorage);
    const saved = await this.#store.getSettings().catch(() => ({}));
    this.#settings = { ...DEFAULT_SETTINGS, backend: this.#attributeBackend(), ...saved };
    this.#backendChosen = BACKENDS.includes(saved.backend);
    // The student's own choice wins over the page's `lang` (which #build has always set by now).
    if (LANGUAGES.includes(saved.lang)) this.#setLanguage(saved.lang);
    this.#fillSettings();
    if (this.hasAttribute('threads')) {
      this.#threadList = await this.#store.listThreads().catch(() => []);
      const latest = this.#threadList[0] && (await this.#store.getThread(this.#threadList[0].id).catch(() => null));
      if (latest) this.#thread = latest;
    }
    this.#renderThreads();
    this.#renderMessages();
    if (!this.hasAttribute('launcher')) this.#ensureEngine().catch(() => {});
  }

  #attributeBackend() {
    const value = this.getAttribute('backend');
    return BACKENDS.includes(value) ? value : 'auto';
  }

  #modelUrl() {
    const attribute = this.getAttribute('model');
    return attribute ? new URL(attribute, document.baseURI).href : DEFAULT_MODEL;
  }

  /** The engine, loading it first if needed. Rejects when loading fails (the notice says why). */
  #ensureEngine() {
    if (this.#engine) return Promise.resolve(this.#engine);
    this.#loading ??= this.#load().finally(() => {
      this.#loading = null;
    });
    return this.#loading;
  }

  async #load() {
    const ui = this.#ui;
    this.#clearNotices('load');
    this.#setState('loading');
    const files = new Map(); // file -> { loaded, total, fromCache }
    ui.progress.hidden = false;
    ui.progressBar.removeAttribute('value');
    ui.progressLabel.textContent = this.#t.checking;
    const onProgress = (event) => this.#onProgress(event, files);
    try {
      const engine = await Siger.load(this.#modelUrl(), { backend: this.#settings.backend, onProgress });
      this.#engine = engine;
      this.#restored = null;
      ui.progress.hidden = true;
      this.#showStatus();
      if (!this.#generation) this.#setState('ready');
      await this.#restoreSession();
      return engine;
    } catch (err) {
      ui.progress.hidden = true;
      this.#setState('error');
      this.#notice('error', `${format(this.#t.loadFailed, { reason: message(err) })} ${this.#t.loadFailedHelp}`, {
        tag: 'load',
        action: { label: this.#t.retry, run: () => this.#ensureEngine().catch(() => {}) },
      });
      throw err;
    }
  }

  #onProgress(event, files) {
    const ui = this.#ui;
    const t = this.#t;
    if (event.phase === 'check') {
      if (!event.caching) this.#notice('warn', t.notCaching, { tag: 'load', detail: event.cache });
    } else if (event.phase === 'download') {
      files.set(event.file, event);
      const all = [...files.values()];
      const loaded = all.reduce((sum, f) => sum + f.loaded, 0);
      const total = all.reduce((sum, f) => sum + f.total, 0);
      if (all.every((f) => f.fromCache)) {
        ui.progressLabel.textContent = t.fromCache;
      } else {
        const percent = total ? Math.floor((100 * loaded) / total) : 0;
        ui.progressLabel.textContent = format(t.downloading, { loaded: megabytes(loaded), total: megabytes(total), percent });
      }
      ui.progressBar.max = total || 1;
      ui.progressBar.value = loaded;
    } else if (event.phase === 'verify') {
      ui.progressLabel.textContent = t.verifying;
    } else if (event.phase === 'init') {
      ui.progressLabel.textContent = format(t.starting, { backend: this.#backendName(event.backend) });
    } else if (event.phase === 'fallback') {
      this.#notice('warn', t.fellBack);
      this.#showStatus();
    }
  }

  async #unloadEngine() {
    const engine = this.#engine;
    this.#engine = null;
    this.#restored = null;
    await engine?.unload().catch(() => {});
  }

  /** Hands the engine `thread`'s saved state, so continuing it reads only what is new. */
  async #restoreSession(thread = this.#thread) {
    if (!this.#engine || this.#restored === thread.id || !thread.session) return;
    try {
      await this.#engine.restoreSession(thread.session);
      this.#restored = thread.id;
    } catch {
      delete thread.session; // another model's state: the next reply reads the thread again
    }
  }

  // -------------------------------------------------------------------------------------------
  // Sending, streaming, stopping

  async #submit() {
    if (this.#generation) return;
    const text = this.#ui.input.value.trim();
    if (!text) return;
    this.#ui.input.value = '';
    this.#autosize();
    const thread = this.#thread;
    const mode = this.#mode();
    const before = [...thread.messages];
    thread.messages.push({ role: 'user', content: text, mode });
    await this.#run(thread, mode, before, text);
  }

  /**
   * Answers `thread`'s last user message in `mode`. On failure the thread goes back to
   * `before` and `typed` (what the student wrote, if anything) back into the input box: nothing
   * typed is lost. `#busy` is this work until it has ended, saving included.
   */
  #run(thread, mode, before, typed) {
    this.#busy = this.#answer(thread, mode, before, typed);
    return this.#busy;
  }

  async #answer(thread, mode, before, typed) {
    const controller = new AbortController();
    this.#generation = { controller };
    this.#setGenerating(true, { stoppable: mode === 'chat' });
    if (!thread.title) thread.title = titleOf(thread);
    this.#renderMessages();
    let ok = false;
    try {
      ok = mode === 'chat' ? await this.#reply(thread, controller.signal) : await this.#translate(thread, mode);
    } finally {
      this.#generation = null;
      this.#setGenerating(false);
    }
    if (!ok) {
      thread.messages = before;
      if (typed) {
        const box = this.#ui.input;
        box.value = box.value.trim() ? `${typed}\n${box.value}` : typed;
        this.#autosize();
      }
    }
    this.#renderMessages();
    await this.#saveThread(thread);
    this.#ui.input.focus();
  }

  /** Streams the assistant's reply to `thread`'s chat messages. Returns false on failure. */
  async #reply(thread, signal) {
    const history = chatMessages(thread.messages);
    const reply = { role: 'assistant', content: '', mode: 'chat' };
    thread.messages.push(reply);
    const index = thread.messages.length - 1;
    this.#renderMessages();
    // The message's element now: a redraw (language, mode) replaces it mid-reply.
    const view = () => (thread === this.#thread ? this.#ui.messages.querySelector(`[data-part=message][data-index="${index}"]`) : null);
    view()?.setAttribute('aria-busy', 'true');
    let firstAt = 0;
    let pieces = 0;
    try {
      const engine = await this.#ensureEngine();
      await this.#restoreSession(thread);
      const stream = await engine.chat.completions.create({ messages: history, stream: true, signal, ...this.#sampling() });
      for await (const chunk of stream) {
        const piece = chunk.choices[0].delta.content;
        if (piece) {
          pieces += 1;
          firstAt ||= performance.now();
          reply.content += piece;
          const live = view();
          live?.setAttribute('aria-busy', 'true');
          const text = live?.querySelector('[data-part=text]');
          if (text) text.textContent = reply.content; // text, never HTML
          this.#scrollToEnd();
        }
        if (chunk.choices[0].finish_reason) reply.finish = chunk.choices[0].finish_reason;
        if (chunk.usage) reply.usage = chunk.usage;
      }
      this.#showSpeed(reply.usage?.completion_tokens ?? pieces, firstAt);
      await this.#keepSession(thread);
      return true;
    } catch (err) {
      if (err?.name === 'AbortError') {
        reply.finish = 'abort';
        this.#showSpeed(pieces, firstAt);
        // The engine may have written a token the page never showed, so a saved state would
        // not match this text after a reload: the thread is read again then. (Right now the
        // engine still holds the state from before this reply, so the next one is cheap.)
        delete thread.session;
        return true;
      }
      // A model that failed to load has its own notice (with Retry) already.
      if (this.#engine) this.#notice('error', format(this.#t.replyFailed, { reason: message(err) }));
      return false;
    }
  }

  async #translate(thread, mode) {
    const [from, to] = mode === 'lpg-id' ? ['lpg', 'id'] : ['id', 'lpg'];
    try {
      const engine = await this.#ensureEngine();
      const result = await engine.translate(thread.messages.at(-1).content, { from, to });
      thread.messages.push({ role: 'translation', mode, content: result.text, tokens: result.tokens });
      return true;
    } catch (err) {
      if (this.#engine) this.#notice('error', format(this.#t.translateFailed, { reason: message(err) }));
      return false;
    }
  }

  #sampling() {
    const s = this.#settings;
    const seed = s.seed === '' || s.seed == null ? Math.floor(Math.random() * 2 ** 32) : Number(s.seed);
    return { temperature: Number(s.temperature), top_p: Number(s.top_p), max_tokens: Number(s.max_tokens), seed };
  }

  /** The engine's state after this reply, kept with the thread (small: see saveSession). */
  async #keepSession(thread) {
    try {
      thread.session = await this.#engine.saveSession();
      this.#restored = thread.id;
    } catch {
      delete thread.session;
    }
  }

  #stop() {
    this.#generation?.controller.abort();
  }

  /** Stops the reply being written, and waits until it and its saving have ended. */
  async #settle() {
    this.#stop();
    await this.#busy;
  }

  async #regenerate() {
    const thread = this.#thread;
    if (this.#generation || thread.messages.at(-1)?.role !== 'assistant') return;
    const before = [...thread.messages];
    thread.messages.pop();
    await this.#run(thread, 'chat', before, '');
  }

  async #resend(index, text) {
    const thread = this.#thread;
    const original = thread.messages[index];
    const content = text.trim();
    if (this.#generation || original?.role !== 'user' || !content) return;
    const before = [...thread.messages];
    thread.messages.splice(index);
    thread.messages.push({ role: 'user', content, mode: original.mode });
    await this.#run(thread, original.mode, before, content);
  }

  // -------------------------------------------------------------------------------------------
  // Threads

  async #saveThread(thread = this.#thread) {
    if (thread.messages.length === 0 && !thread.title) return; // an empty thread is not kept
    thread.updated = Date.now();
    try {
      await this.#store.putThread(thread);
      this.#clearNotices('storage');
    } catch (err) {
      this.#notice('error', format(this.#t.storageFailed, { reason: message(err) }), { tag: 'storage' });
    }
    this.#threadList = await this.#store.listThreads().catch(() => this.#threadList);
    this.#renderThreads();
  }

  async #openThread(id) {
    if (id === this.#thread.id) return;
    await this.#settle();
    const thread = await this.#store.getThread(id).catch(() => null);
    if (!thread) return;
    this.#showThread(thread);
    await this.#restoreSession();
  }

  async #newThread() {
    await this.#settle();
    this.#showThread(newThread());
    this.#ui.input.focus();
  }

  async #renameThread(id, title) {
    const thread = id === this.#thread.id ? this.#thread : await this.#store.getThread(id).catch(() => null);
    if (!thread) return;
    thread.title = title.trim().slice(0, 80);
    await this.#saveThread(thread);
    this.#focusThread(id);
  }

  async #deleteThread(id) {
    const current = id === this.#thread.id;
    if (current) await this.#settle();
    await this.#store.deleteThread(id).catch(() => {});
    this.#threadList = await this.#store.listThreads().catch(() => []);
    if (current) {
      const next = this.#threadList[0] && (await this.#store.getThread(this.#threadList[0].id).catch(() => null));
      this.#showThread(next ?? newThread());
      await this.#restoreSession();
    } else {
      this.#renderThreads();
    }
    this.#focusThread(this.#thread.id);
  }

  /** Makes `thread` the one shown (the engine's state is handed over on the next restore). */
  #showThread(thread) {
    this.#thread = thread;
    this.#restored = null;
    this.#renderThreads();
    this.#renderMessages();
    this.#ui.threads.classList.remove('open');
    this.#ui.threadsButton.setAttribute('aria-expanded', 'false');
  }

  /** Puts focus back on a thread's button after the list was drawn again. */
  #focusThread(id) {
    this.#ui.threadList.querySelector(`[data-id="${CSS.escape(id)}"] [data-action=open-thread]`)?.focus();
  }

  // -------------------------------------------------------------------------------------------
  // Settings

  #fillSettings() {
    const form = this.#ui.settingsForm;
    for (const name of ['temperature', 'top_p', 'max_tokens', 'seed', 'backend']) form.elements[name].value = this.#settings[name];
    this.#ui.temperatureValue.textContent = Number(this.#settings.temperature).toFixed(2);
    this.#ui.topPValue.textContent = Number(this.#settings.top_p).toFixed(2);
  }

  async #settingChanged(target) {
    const name = target.name;
    if (!(name in DEFAULT_SETTINGS)) return;
    if (name === 'seed') {
      const seed = target.value.trim();
      if (seed !== '' && !/^\d{1,10}$/.test(seed)) return; // the browser marks it invalid
      this.#settings.seed = seed === '' ? '' : Number(seed);
    } else if (name === 'max_tokens') {
      if (!target.checkValidity()) return;
      this.#settings.max_tokens = Number(target.value);
    } else if (name === 'backend') {
      if (!BACKENDS.includes(target.value)) return;
      this.#settings.backend = target.value;
      this.#backendChosen = true;
    } else {
      this.#settings[name] = Number(target.value);
    }
    this.#ui.temperatureValue.textContent = Number(this.#settings.temperature).toFixed(2);
    this.#ui.topPValue.textContent = Number(this.#settings.top_p).toFixed(2);
    await this.#saveSettings();
    if (name === 'backend' && (this.#engine || this.#loading)) {
      await this.#settle();
      await this.#loading?.catch(() => {});
      await this.#unloadEngine();
      this.#ensureEngine().catch(() => {});
    }
  }

  /** Keeps the settings; the engine only when the student picked one (not the page's `backend`). */
  #saveSettings() {
    const { backend, ...rest } = this.#settings;
    const settings = { ...rest, lang: this.#t === strings('en') ? 'en' : 'id', ...(this.#backendChosen ? { backend } : {}) };
    return this.#store?.putSettings(settings).catch(() => {});
  }

  /** Deletes every thread, the settings and the cached model, and frees the engine. */
  async #clearAll() {
    await this.#settle();
    await this.#store.clear().catch(() => {});
    try {
      await globalThis.caches?.delete(MODEL_CACHE); // reading `caches` throws in opaque origins
    } catch {
      // no Cache API here: nothing was cached
    }
    await this.#loading?.catch(() => {});
    await this.#unloadEngine(); // it held the conversation; the next message loads the model again
    this.#settings = { ...DEFAULT_SETTINGS, backend: this.#attributeBackend() };
    this.#backendChosen = false;
    this.#lastRate = null;
    this.#fillSettings();
    this.#threadList = [];
    this.#showThread(newThread());
    this.#showStatus();
    this.#setState('idle');
    this.#ui.confirmClear.hidden = true;
    this.#notice('warn', this.#t.cleared);
  }

  // -------------------------------------------------------------------------------------------
  // The interface

  #build() {
    const t = this.#t;
    const ui = {};
    const button = (props, ...children) => h('button', { type: 'button', ...props }, ...children);

    ui.threadList = h('ul', { 'data-part': 'thread-list' });
    ui.threads = h(
      'nav',
      { class: 'threads', 'data-part': 'threads', 'data-t-label': 'threads', hidden: !this.hasAttribute('threads') },
      h('header', {}, button({ class: 'primary', 'data-action': 'new-thread', 'data-t': 'newThread', onclick: () => this.#newThread() })),
      ui.threadList,
    );

    ui.status = h('span', { class: 'status', 'data-part': 'status', role: 'status' });
    ui.langButton = button({ class: 'text-button', 'data-action': 'lang', 'data-t': 'switchLanguage', 'data-t-label': 'switchLanguageLabel', onclick: () => this.#toggleLanguage() });
    ui.settingsButton = button({ class: 'icon', 'data-action': 'settings', 'data-t-label': 'settings', 'aria-expanded': 'false', onclick: () => this.#openSettings(true) }, '⚙');
    const top = h(
      'header',
      { class: 'top' },
      (ui.threadsButton = button(
        { class: 'icon toggle-threads', 'data-action': 'toggle-threads', 'data-t-label': 'showThreads', 'aria-expanded': 'false', hidden: !this.hasAttribute('threads'), onclick: () => ui.threadsButton.setAttribute('aria-expanded', String(ui.threads.classList.toggle('open'))) },
        '☰',
      )),
      h(this.hasAttribute('page') ? 'h1' : 'h2', { class: 'title' }, 'Siger'),
      ui.status,
      ui.langButton,
      ui.settingsButton,
    );

    ui.progressBar = h('progress', { 'data-part': 'progress-bar', max: '1' });
    ui.progressLabel = h('span', { 'data-part': 'progress-label', id: 'progress-label' });
    ui.progressBar.setAttribute('aria-labelledby', 'progress-label');
    ui.progress = h('div', { class: 'progress', 'data-part': 'progress', hidden: true }, ui.progressLabel, ui.progressBar);
    ui.notices = h('div', { class: 'notices', 'data-part': 'notices' });

    ui.chips = MODES.map(({ mode, key }) => button({ class: 'chip', 'data-mode': mode, 'data-t': key, 'aria-pressed': 'false', onclick: () => this.#setMode(mode) }));
    const modes = h('div', { class: 'modes', role: 'group', 'data-t-label': 'modes' }, ...ui.chips);

    ui.messages = h('div', { class: 'messages', 'data-part': 'messages', role: 'log', 'aria-live': 'polite', tabindex: '0', 'data-t-label': 'messagesLabel' });

    ui.input = h('textarea', { 'data-part': 'input', rows: '1', 'data-t-label': 'inputLabel', 'data-t-placeholder': 'placeholderChat', maxlength: '4000' });
    ui.input.addEventListener('input', () => this.#autosize());
    ui.input.addEventListener('keydown', (event) => {
      if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        this.#submit();
      }
    });
    ui.send = h('button', { type: 'submit', class: 'primary', 'data-action': 'send', 'data-t': 'send' });
    ui.stop = button({ class: 'secondary', 'data-action': 'stop', 'data-t': 'stop', hidden: true, onclick: () => this.#stop() });
    const composer = h('form', { class: 'composer', 'data-part': 'composer' }, ui.input, ui.send, ui.stop);
    composer.addEventListener('submit', (event) => {
      event.preventDefault();
      this.#submit();
    });

    ui.main = h('section', { class: 'main' }, top, ui.progress, ui.notices, modes, ui.messages, composer);

    ui.temperatureValue = h('output', {});
    ui.topPValue = h('output', {});
    ui.confirmClear = h(
      'div',
      { class: 'notice error', hidden: true, 'data-part': 'confirm-clear' },
      h('p', { 'data-t': 'clearConfirm' }),
      button({ class: 'danger', 'data-action': 'confirm-clear', 'data-t': 'clearData', onclick: () => this.#clearAll() }),
      button({ class: 'text-button', 'data-t': 'cancelEdit', onclick: () => (ui.confirmClear.hidden = true) }),
    );
    const field = (labelKey, input, helpKey, value) =>
      h('label', {}, h('span', {}, h('span', { 'data-t': labelKey }), value ? ' ' : null, value), input, helpKey ? h('small', { 'data-t': helpKey }) : null);
    ui.settingsForm = h(
      'form',
      { class: 'settings', 'data-part': 'settings', role: 'dialog', 'aria-modal': 'false', 'data-t-label': 'settings', hidden: true },
      h('div', { class: 'row' }, h('h2', { 'data-t': 'settings' }), button({ class: 'icon', 'data-action': 'close-settings', 'data-t-label': 'closeSettings', onclick: () => this.#openSettings(false) }, '✕')),
      field('temperature', h('input', { type: 'range', name: 'temperature', min: '0', max: '2', step: '0.05' }), 'temperatureHelp', ui.temperatureValue),
      field('topP', h('input', { type: 'range', name: 'top_p', min: '0.05', max: '1', step: '0.05' }), 'topPHelp', ui.topPValue),
      field('maxTokens', h('input', { type: 'number', name: 'max_tokens', min: '1', max: '2048', step: '1', required: true })),
      field('seed', h('input', { type: 'text', name: 'seed', inputmode: 'numeric', pattern: '\\d{1,10}', autocomplete: 'off' }), 'seedHelp'),
      field(
        'backend',
        h('select', { name: 'backend' }, h('option', { value: 'auto', 'data-t': 'backendAuto' }), h('option', { value: 'webgpu' }, 'WebGPU'), h('option', { value: 'cpu' }, 'CPU')),
        'backendHelp',
      ),
      h('div', { class: 'clear' }, button({ class: 'danger', 'data-action': 'clear-data', 'data-t': 'clearData', onclick: () => (ui.confirmClear.hidden = false) }), h('small', { 'data-t': 'clearDataHelp' })),
      ui.confirmClear,
    );
    ui.settingsForm.addEventListener('submit', (event) => event.preventDefault());
    ui.settingsForm.addEventListener('change', (event) => this.#settingChanged(event.target));
    ui.settingsForm.addEventListener('input', (event) => {
      if (event.target.type === 'range') this.#settingChanged(event.target);
    });
    ui.settingsForm.addEventListener('keydown', (event) => {
      if (event.key === 'Escape') this.#openSettings(false);
    });

    ui.app = h('div', { class: 'app', 'data-part': 'app', 'data-state': 'idle' }, ui.threads, ui.main, ui.settingsForm);
    this.#root.append(ui.app);
    if (this.hasAttribute('launcher')) {
      ui.launcher = button({ class: 'launcher', 'data-part': 'launcher', 'aria-expanded': 'false', 'data-t-label': 'openChat', onclick: () => this.#toggleOpen() }, '💬');
      ui.app.hidden = true;
      this.#root.append(ui.launcher);
    }
    this.addEventListener('keydown', (event) => {
      if (event.key === 'Escape' && this.#generation) this.#stop();
    });

    this.#ui = ui;
    this.#setLanguage(this.getAttribute('lang'));
    this.#setMode(modeOf(this.getAttribute('mode')));
  }

  #toggleOpen() {
    const ui = this.#ui;
    const open = ui.app.hidden;
    ui.app.hidden = !open;
    ui.launcher.setAttribute('aria-expanded', String(open));
    ui.launcher.textContent = open ? '✕' : '💬';
    ui.launcher.dataset.tLabel = open ? 'closeChat' : 'openChat';
    this.#applyStrings();
    if (open) {
      ui.input.focus();
      this.#ensureEngine().catch(() => {});
    }
  }

  #openSettings(open) {
    this.#ui.settingsForm.hidden = !open;
    this.#ui.settingsButton.setAttribute('aria-expanded', String(open));
    (open ? this.#ui.settingsForm.elements.temperature : this.#ui.settingsButton).focus();
  }

  #toggleLanguage() {
    this.#setLanguage(this.#t === strings('en') ? 'id' : 'en');
    this.#saveSettings();
  }

  #setLanguage(lang, { fromAttribute = false } = {}) {
    const code = LANGUAGES.includes(lang) ? lang : 'id';
    this.#t = strings(code);
    if (!fromAttribute && this.getAttribute('lang') !== code) this.setAttribute('lang', code);
    if (!this.#ui) return;
    this.#applyStrings();
    this.#renderMessages();
    this.#renderThreads();
    this.#showStatus();
  }

  /** Writes the current language's words into every part marked with `data-t*`. */
  #applyStrings() {
    const t = this.#t;
    for (const el of this.#root.querySelectorAll('[data-t]')) el.textContent = t[el.dataset.t];
    for (const el of this.#root.querySelectorAll('[data-t-label]')) {
      el.setAttribute('aria-label', t[el.dataset.tLabel]);
      if (el.tagName === 'BUTTON' && !el.dataset.t) el.title = t[el.dataset.tLabel];
    }
    for (const el of this.#root.querySelectorAll('[data-t-placeholder]')) el.placeholder = t[el.dataset.tPlaceholder];
    this.#ui.langButton.lang = t === strings('en') ? 'id' : 'en'; // the language it names
    const mode = this.#mode();
    this.#ui.input.placeholder = t[MODES.find((m) => m.mode === mode).placeholder];
    this.#ui.send.textContent = mode === 'chat' ? t.send : t.translate;
  }

  #mode() {
    return this.#ui?.chips.find((chip) => chip.getAttribute('aria-pressed') === 'true')?.dataset.mode ?? 'chat';
  }

  #setMode(mode) {
    for (const chip of this.#ui.chips) chip.setAttribute('aria-pressed', String(chip.dataset.mode === mode));
    this.#applyStrings();
    this.#renderMessages();
  }

  #setState(state) {
    this.#ui.app.dataset.state = state;
  }

  #setGenerating(on, { stoppable = true } = {}) {
    const ui = this.#ui;
    ui.send.hidden = on && stoppable;
    ui.send.disabled = on;
    ui.stop.hidden = !(on && stoppable);
    ui.messages.setAttribute('aria-busy', String(on));
    if (on) this.#setState('generating');
    else this.#setState(this.#engine ? 'ready' : this.#ui.app.dataset.state === 'generating' ? 'idle' : this.#ui.app.dataset.state);
  }

  #backendName(backend) {
    return backend === 'webgpu' ? this.#t.backendWebgpu : this.#t.backendCpu;
  }

  #showStatus() {
    const rate = this.#lastRate;
    const engine = this.#engine;
    if (!engine) {
      this.#ui.status.textContent = '';
      return;
    }
    const backend = this.#backendName(engine.backend);
    this.#ui.status.dataset.backend = engine.backend;
    this.#ui.status.title = engine.backendReason ?? '';
    this.#ui.status.textContent =
      rate == null ? `${backend} · ${this.#t.ready}` : format(this.#t.statusLine, { backend, speed: format(this.#t.speed, { rate: rate.toFixed(1) }) });
  }

  #lastRate = null;

  /** Decode speed: the tokens after the first, over the time since the first arrived. */
  #showSpeed(tokens, firstAt) {
    if (tokens < 2 || !firstAt) return;
    this.#lastRate = (tokens - 1) / ((performance.now() - firstAt) / 1000);
    this.#ui.status.dataset.tokensPerSecond = this.#lastRate.toFixed(2);
    this.#showStatus();
  }

  #autosize() {
    const input = this.#ui.input;
    input.style.height = 'auto';
    input.style.height = `${Math.min(input.scrollHeight, 160)}px`;
  }

  #scrollToEnd() {
    const log = this.#ui.messages;
    if (log.scrollHeight - log.scrollTop - log.clientHeight < 120) log.scrollTop = log.scrollHeight;
  }

  /** Shows a notice; `tag` groups notices to clear together; `action` adds a button; `detail` (the technical reason) is its tooltip. */
  #notice(kind, text, { tag = '', action = null, detail = '' } = {}) {
    const box = h(
      'div',
      { class: `notice ${kind}`, role: kind === 'error' ? 'alert' : 'status', 'data-part': 'notice', 'data-kind': kind, 'data-tag': tag, title: detail || null },
      h('p', {}, text),
    );
    if (action) box.append(h('button', { type: 'button', class: 'text-button', 'data-action': 'notice-action', onclick: () => (box.remove(), action.run()) }, action.label));
    box.append(h('button', { type: 'button', class: 'icon', 'aria-label': this.#t.dismiss, title: this.#t.dismiss, onclick: () => box.remove() }, '✕'));
    this.#ui.notices.append(box);
  }

  #clearNotices(tag) {
    for (const box of this.#ui.notices.querySelectorAll(`[data-tag="${tag}"]`)) box.remove();
  }

  /**
   * Draws the thread's messages, reusing each element whose message and actions are unchanged
   * and touching the DOM only from the first difference on: the list is a live region, and a
   * screen reader would otherwise read the whole conversation again after every reply.
   */
  #renderMessages() {
    const ui = this.#ui;
    const t = this.#t;
    const generating = Boolean(this.#generation);
    const messages = this.#thread.messages;
    const lastAssistant = messages.findLastIndex((m) => m.role === 'assistant');
    const greeting = this.getAttribute('greeting') || (this.#mode() === 'chat' ? t.greetingChat : t.greetingTranslate);
    if (this.#intro?.text !== greeting) {
      this.#intro = { text: greeting, el: h('div', { class: 'message', 'data-role': 'greeting', 'data-part': 'greeting' }, h('div', { class: 'text' }, greeting)) };
    }
    const views = messages.map((m, index) => {
      const actions = {
        canEdit: !generating && m.role === 'user',
        canRegenerate: !generating && index === lastAssistant && index === messages.length - 1,
        onEdit: (i, text) => this.#resend(i, text),
        onRegenerate: () => this.#regenerate(),
      };
      const key = JSON.stringify([t.you, index, m.content, m.finish, m.usage, actions.canEdit, actions.canRegenerate]);
      const cached = this.#views.get(m);
      if (cached?.key === key) return cached.el;
      const el = renderMessage(m, index, t, actions);
      this.#views.set(m, { key, el });
      return el;
    });
    const wanted = [this.#intro.el, ...views];
    const shown = [...ui.messages.children];
    let same = 0;
    while (same < wanted.length && shown[same] === wanted[same]) same += 1;
    for (const el of shown.slice(same)) el.remove();
    if (same < wanted.length) {
      ui.messages.append(...wanted.slice(same));
      ui.messages.scrollTop = ui.messages.scrollHeight;
    }
  }

  #renderThreads() {
    const ui = this.#ui;
    if (!this.hasAttribute('threads')) return;
    const t = this.#t;
    const list = this.#threadList.some((s) => s.id === this.#thread.id) ? this.#threadList : [this.#thread, ...this.#threadList];
    ui.threadList.replaceChildren(
      ...list.map((summary) => {
        const title = summary.title || t.untitled;
        const current = summary.id === this.#thread.id;
        const item = h('li', { 'data-part': 'thread', 'data-id': summary.id, 'aria-current': String(current) });
        const open = h('button', { type: 'button', class: 'open', 'data-action': 'open-thread', onclick: () => this.#openThread(summary.id) }, title);
        const rename = h('button', { type: 'button', class: 'icon', 'data-action': 'rename-thread', 'aria-label': `${t.rename}: ${title}`, title: t.rename }, '✎');
        const remove = h('button', { type: 'button', class: 'icon', 'data-action': 'delete-thread', 'aria-label': `${t.delete}: ${title}`, title: t.delete }, '×');
        rename.addEventListener('click', () => {
          const input = h('input', { type: 'text', value: summary.title, 'aria-label': t.renamePrompt, 'data-part': 'rename-input', maxlength: '80' });
          const finish = (save) => (save && input.value.trim() ? this.#renameThread(summary.id, input.value) : this.#renderThreads());
          input.addEventListener('keydown', (event) => {
            if (event.key === 'Enter') finish(true);
            if (event.key === 'Escape') finish(false);
          });
          input.addEventListener('blur', () => finish(true), { once: true });
          item.replaceChildren(input);
          input.focus();
          input.select();
        });
        remove.addEventListener('click', () => {
          const ask = h(
            'div',
            { class: 'notice error', 'data-part': 'confirm-delete' },
            h('p', {}, format(t.deleteConfirm, { title })),
            h('button', { type: 'button', class: 'danger', 'data-action': 'confirm-delete', onclick: () => this.#deleteThread(summary.id) }, t.delete),
            h('button', { type: 'button', class: 'text-button', onclick: () => this.#renderThreads() }, t.cancelEdit),
          );
          item.replaceChildren(ask);
          ask.querySelector('button').focus();
        });
        item.append(open, rename, remove);
        return item;
      }),
    );
  }
}

/** The user and assistant messages of chat mode, as the engine reads them. */
function chatMessages(messages) {
  return messages.filter((m) => m.mode === 'chat' && (m.role === 'user' || m.role === 'assistant')).map(({ role, content }) => ({ role, content }));
}

/** A thread's title from its first message. */
function titleOf(thread) {
  const first = thread.messages.find((m) => m.role === 'user');
  return first ? first.content.replace(/\s+/g, ' ').slice(0, 48) : '';
}

function message(err) {
  return String(err?.message ?? err).split('\n')[0];
}

function megabytes(bytes) {
  return `${(bytes / MB).toFixed(1)} MB`;
}

if (!customElements.get('siger-chat')) customElements.define('siger-chat', SigerChat);
