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
//   lexicon   a lexicon file's URL (TSV, JSONL or meizano JSON; models/lexicon/README.md): the
//             translation modes use it in place of the shipped dictionary (ui/dictionary.js)
//   source    a source the chat answers from, quoting it, instead of the model: `#lesson` (a CSS
//             selector starting with #: an element of this page, read as shown) or a file's URL
//             (.txt or .md, relative to the page); the model is then never loaded (ui/grounding.js)
//   backend   auto (default) | webgpu | cpu: the engine, until the student picks one in settings
//   launcher  a floating button opens and closes the chat (the model loads on first open)
//   threads   keep conversations (several, in IndexedDB) across visits, each of which can be
//             given a source to answer from (pasted or a file: ui/source-panel.js)
//   page      fill the page (the chat page's layout)

import { BACKENDS } from './siger-protocol.js';
import { EngineSlot } from './ui/engine.js';
import { Composer } from './ui/composer.js';
import { Dictionary } from './ui/dictionary.js';
import { Grounding } from './ui/grounding.js';
import { buildLayout, setState, toggleLauncher, writeStrings } from './ui/layout.js';
import { MessageLog } from './ui/message-log.js';
import { showError, showNotice } from './ui/notices.js';
import { Settings } from './ui/settings.js';
import { SourcePanel } from './ui/source-panel.js';
import { deleteCaches, openStore, memoryStore } from './ui/store.js';
import { strings, LANGUAGES } from './ui/strings.js';
import { adoptStyles } from './ui/style.js';
import { Threads } from './ui/threads.js';
import { Turns } from './ui/turns.js';
import { modeOf } from './ui/view.js';

const DEFAULT_MODEL = new URL('./models/siger-demo/', import.meta.url).href;

class SigerChat extends HTMLElement {
  static observedAttributes = ['lang', 'mode', 'theme', 'greeting', 'source'];

  #root;
  #ui = null; // the element's parts (ui/layout.js), once built
  #composer = null; // Composer: the input box and the mode chips
  #log = null; // MessageLog
  #slot = null; // EngineSlot: the engine, its loading and its status
  #dictionary = null; // Dictionary: the translation modes' translator, loaded on first use
  #grounding = null; // Grounding: answers from a source (the attribute's, or a thread's)
  #sourcePanel = null; // SourcePanel: the source line, and a thread's source attached
  #threads = null; // Threads: the one shown and the saved ones
  #turns = null; // Turns: sending, and the answer being written
  #t = strings('id');
  #settings = null; // Settings: the student's, shown in the drawer
  #store = null;
  #started = false;

  constructor() {
    super();
    this.#root = this.attachShadow({ mode: 'open' });
    adoptStyles(this.#root);
  }

  connectedCallback() {
    if (!this.#ui) this.#build();
    if (this.#started) return;
    this.#started = true;
    this.#start().catch((err) => showError(this.#ui.notices, this.#t, this.#t.loadFailed, err));
  }

  attributeChangedCallback(name, before, after) {
    if (!this.#ui || before === after) return;
    if (name === 'lang') this.#setLanguage(after, { fromAttribute: true });
    if (name === 'mode') this.#setMode(modeOf(after));
    if (name === 'greeting') this.#renderMessages();
    if (name === 'source') this.#sourceChanged();
  }

  // -------------------------------------------------------------------------------------------
  // Start: settings, threads, then the model (at once, or when the launcher first opens it) and,
  // in a translation mode, the dictionary.

  async #start() {
    if (typeof Worker === 'undefined' || typeof WebAssembly === 'undefined') {
      this.#notice('error', this.#t.noWorkers);
      return;
    }
    const threads = this.hasAttribute('threads');
    this.#store = threads ? await openStore() : memoryStore();
    if (threads && !this.#store.persistent) this.#notice('warn', this.#t.noStorage);
    const saved = await this.#store.getSettings().catch(() => ({}));
    this.#settings.restore(saved, this.#attributeBackend());
    // The student's own choice wins over the page's `lang` (which #build has always set by now).
    if (LANGUAGES.includes(saved.lang)) this.#setLanguage(saved.lang);
    await this.#threads.start(this.#store);
    this.#renderMessages();
    if (!this.hasAttribute('launcher')) this.#wake();
  }

  /**
   * The chat is shown: the model loads (with the `source` attribute, which the chat answers
   * from instead, the source is read), and the dictionary if a translation mode is open.
   */
  #wake() {
    if (this.#grounding.fixed) this.#grounding.prepare();
    else this.#slot.ensure().catch(() => {});
    this.#dictionary.follow(this.#composer.mode, true);
  }

  /** The `source` attribute changed: it is read again, when the chat is awake. */
  #sourceChanged() {
    this.#grounding.forget();
    this.#renderMessages();
    if (this.#started && !this.#ui.app.hidden) this.#grounding.prepare();
  }

  /** Gives the thread shown `source` ({name, text}), saved with it. */
  async #attachSource(source) {
    await this.#turns.settle();
    const thread = this.#threads.current;
    thread.source = source;
    await this.#threads.save(thread);
    this.#renderMessages();
  }

  async #removeSource() {
    await this.#turns.settle();
    const thread = this.#threads.current;
    delete thread.source;
    await this.#threads.save(thread);
    this.#renderMessages();
    this.#ui.sourceButton?.focus();
  }

  #attributeBackend() {
    const value = this.getAttribute('backend');
    return BACKENDS.includes(value) ? value : 'auto';
  }

  #modelUrl() {
    const attribute = this.getAttribute('model');
    return attribute ? new URL(attribute, document.baseURI).href : DEFAULT_MODEL;
  }

  /** Another thread is shown: its messages, and its saved state handed to the engine. */
  async #threadShown() {
    this.#slot.forgetSession();
    this.#renderMessages();
    await this.#slot.restore(this.#threads.current);
  }

  // -------------------------------------------------------------------------------------------
  // Settings

  async #settingChanged(field) {
    if (!this.#settings.change(field)) return;
    await this.#saveSettings();
    if (field.name === 'backend' && (this.#slot.engine || this.#slot.loading)) {
      await this.#turns.settle();
      await this.#slot.unload();
      this.#slot.ensure().catch(() => {});
    }
  }

  #saveSettings() {
    return this.#store?.putSettings(this.#settings.stored(this.#lang())).catch(() => {});
  }

  /** Deletes every thread, the settings and the cached model and dictionary; frees the engine. */
  async #clearAll() {
    await this.#turns.settle();
    await this.#store.clear().catch(() => {});
    await deleteCaches();
    this.#dictionary.reset(); // a translation downloads the dictionary again
    await this.#slot.unload(); // it held the conversation; the next message loads the model again
    this.#settings.restore({}, this.#attributeBackend());
    this.#slot.forgetSpeed();
    await this.#threads.cleared();
    this.#slot.showStatus();
    setState(this.#ui, 'idle');
    this.#grounding.prepare(); // with the `source` attribute, the chat answers from it again
    this.#ui.confirmClear.hidden = true;
    this.#notice('warn', this.#t.cleared);
  }

  // -------------------------------------------------------------------------------------------
  // The interface

  #build() {
    const options = {
      threads: this.hasAttribute('threads'),
      page: this.hasAttribute('page'),
      launcher: this.hasAttribute('launcher'),
    };
    options.attachable = options.threads && !this.getAttribute('source');
    const ui = buildLayout(options, {
      newThread: () => this.#threads.startNew(),
      toggleLanguage: () => this.#toggleLanguage(),
      openSettings: (open) => this.#settings.open(open),
      setMode: (mode) => this.#setMode(mode),
      typed: () => this.#composer.autosize(),
      submit: () => this.#turns.submit(),
      stop: () => this.#turns.stop(),
      toggleOpen: () => this.#toggleOpen(),
      settingChanged: (field) => this.#settingChanged(field),
      clearAll: () => this.#clearAll(),
      openSource: (open) => this.#sourcePanel.open(open),
      pasteSource: (text) => this.#sourcePanel.paste(text),
      openSourceFile: (file, input) => this.#sourcePanel.openFile(file, input),
    });
    this.#root.append(ui.app);
    if (ui.launcher) this.#root.append(ui.launcher);
    this.addEventListener('keydown', (event) => {
      if (event.key === 'Escape' && this.#turns.generating) this.#turns.stop();
    });
    this.#ui = ui;
    this.#assemble(ui, options);
    this.#setLanguage(this.getAttribute('lang'));
    this.#setMode(modeOf(this.getAttribute('mode')));
  }

  /** The parts that keep state, each told what it needs of the others. */
  #assemble(ui, options) {
    this.#composer = new Composer(ui);
    this.#settings = new Settings(ui);
    this.#log = new MessageLog(ui.messages);
    this.#slot = new EngineSlot(ui, {
      source: () => ({ url: this.#modelUrl(), backend: this.#settings.values.backend }),
      strings: () => this.#t,
      generating: () => this.#turns.generating,
      thread: () => this.#threads.current,
    });
    this.#dictionary = new Dictionary(ui, {
      strings: () => this.#t,
      lexicon: () => this.getAttribute('lexicon'),
    });
    this.#grounding = new Grounding(ui, {
      strings: () => this.#t,
      attribute: () => this.getAttribute('source'),
      root: () => this.getRootNode(),
      translator: () => this.#dictionary.translator(),
      changed: () => this.#renderMessages(),
    });
    this.#sourcePanel = new SourcePanel(ui, {
      strings: () => this.#t,
      attach: (source) => this.#attachSource(source),
      remove: () => this.#removeSource(),
    });
    this.#threads = new Threads(ui, options.threads, {
      strings: () => this.#t,
      settle: () => this.#turns.settle(),
      shown: () => this.#threadShown(),
    });
    const parts = {
      ui,
      composer: this.#composer,
      threads: this.#threads,
      slot: this.#slot,
      dictionary: this.#dictionary,
      grounding: this.#grounding,
      settings: this.#settings,
      log: this.#log,
    };
    this.#turns = new Turns(parts, {
      strings: () => this.#t,
      render: () => this.#renderMessages(),
    });
  }

  #toggleOpen() {
    const open = toggleLauncher(this.#ui);
    this.#applyStrings();
    if (open) {
      this.#composer.focus();
      this.#wake();
    }
  }

  /** The interface language's code. */
  #lang() {
    return this.#t === strings('en') ? 'en' : 'id';
  }

  #toggleLanguage() {
    this.#setLanguage(this.#lang() === 'en' ? 'id' : 'en');
    this.#saveSettings();
  }

  #setLanguage(lang, { fromAttribute = false } = {}) {
    const code = LANGUAGES.includes(lang) ? lang : 'id';
    this.#t = strings(code);
    if (!fromAttribute && this.getAttribute('lang') !== code) this.setAttribute('lang', code);
    if (!this.#ui) return;
    this.#applyStrings();
    this.#renderMessages();
    this.#threads.render();
    this.#slot.showStatus();
    this.#dictionary.showStatus();
  }

  /** Writes the interface's words, in the current language, everywhere. */
  #applyStrings() {
    writeStrings(this.#root, this.#t);
    this.#ui.langButton.lang = this.#lang() === 'en' ? 'id' : 'en'; // the language it names
    this.#composer.writeStrings(this.#t);
  }

  #setMode(mode) {
    this.#composer.mode = mode;
    this.#applyStrings();
    this.#renderMessages();
    this.#dictionary.follow(mode, this.#started && !this.#ui.app.hidden); // not before #start
  }

  /** Shows a notice (ui/notices.js): `tag` groups notices, `action` adds a button. */
  #notice(kind, text, options) {
    showNotice(this.#ui.notices, this.#t, kind, text, options);
  }

  #renderMessages() {
    const t = this.#t;
    const mode = this.#composer.mode;
    const thread = this.#threads.current;
    const grounded = this.#grounding.has(thread);
    const chatGreeting = grounded ? t.greetingSource : t.greetingChat;
    const greeting =
      this.getAttribute('greeting') || (mode === 'chat' ? chatGreeting : t.greetingTranslate);
    this.#sourcePanel.render(this.#grounding.shown(thread), !this.#grounding.fixed, mode);
    this.#log.render(thread.messages, greeting, t, {
      generating: this.#turns.generating,
      onEdit: (index, text) => this.#turns.resend(index, text),
      onRegenerate: () => this.#turns.regenerate(),
    });
  }
}

if (!customElements.get('siger-chat')) customElements.define('siger-chat', SigerChat);
