// A thread's source on the chat page: the "Sumber" button beside the input box opens a form to
// paste a text or open a .txt or .md file (read here, never uploaded); the source line above
// the messages names the source the questions are answered from, with its size, and (a
// thread's own) a button to remove it. The line shows the `source` attribute's source too.

import { utf8Length } from '../siger-sources.js';
import { button, h } from './dom.js';
import { clearNotices, showNotice } from './notices.js';
import { SourceError, fileSource, pastedSource } from './page-source.js';
import { format } from './strings.js';

/** What a source file may be. */
const ACCEPT = '.txt,.md,.markdown,text/plain,text/markdown';

/**
 * Builds the source line into `ui.sourceBar` and, when sources can be `attachable` (threads,
 * no `source` attribute), the button (`ui.sourceButton`) and its form (`ui.sourceForm`). `on`
 * holds openSource(open), pasteSource(text) and openSourceFile(file).
 */
export function buildSourceParts(ui, attachable, on) {
  ui.sourceBar = h('div', { class: 'source-bar', 'data-part': 'source-bar', hidden: true });
  if (!attachable) return;
  ui.sourceButton = button(
    {
      class: 'icon source-button',
      'data-action': 'source',
      'data-t-label': 'sourceButtonLabel',
      'aria-expanded': 'false',
      onclick: () => on.openSource(ui.sourceForm.hidden),
    },
    '+',
    h('span', { class: 'label', 'data-t': 'sourceButton' }),
  );
  ui.sourceText = h('textarea', {
    'data-part': 'source-text',
    rows: '5',
    'data-t-label': 'sourceTextLabel',
    'data-t-placeholder': 'sourcePlaceholder',
  });
  const file = h('input', {
    type: 'file',
    accept: ACCEPT,
    class: 'visually-hidden',
    'data-part': 'source-file',
    onchange: () => on.openSourceFile(file.files[0], file),
  });
  ui.sourceForm = sourceForm(ui, file, on);
}

function sourceForm(ui, file, on) {
  const close = button(
    {
      class: 'icon',
      'data-action': 'close-source',
      'data-t-label': 'closeSource',
      onclick: () => on.openSource(false),
    },
    '✕',
  );
  const form = h(
    'form',
    {
      class: 'source-form',
      'data-part': 'source-form',
      'data-t-label': 'sourceFormTitle',
      hidden: true,
    },
    h('div', { class: 'row' }, h('strong', { 'data-t': 'sourceFormTitle' }), close),
    h('p', { class: 'help', 'data-t': 'sourceFormHelp' }),
    ui.sourceText,
    h(
      'div',
      { class: 'source-actions' },
      h('button', {
        type: 'submit',
        class: 'primary',
        'data-action': 'use-source',
        'data-t': 'useSource',
      }),
      h('label', { class: 'text-button file' }, h('span', { 'data-t': 'openFile' }), file),
    ),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    on.pasteSource(ui.sourceText.value);
  });
  form.addEventListener('keydown', (event) => {
    if (event.key === 'Escape') on.openSource(false);
  });
  return form;
}

/** The built parts, as the element uses them. */
export class SourcePanel {
  #ui;
  #host;

  /**
   * `host`: strings() (the interface's words now), attach(source) (gives the thread shown its
   * source, saved) and remove() (takes it away).
   */
  constructor(ui, host) {
    this.#ui = ui;
    this.#host = host;
  }

  /** Opens (focusing the text box) or closes the form, focus then back on its button. */
  open(open) {
    const { sourceForm, sourceButton, sourceText } = this.#ui;
    if (!sourceForm || sourceForm.hidden === !open) return;
    sourceForm.hidden = !open;
    sourceButton.setAttribute('aria-expanded', String(open));
    (open ? sourceText : sourceButton).focus();
  }

  /** Pasted text becomes the thread's source, named by its first line. */
  async paste(text) {
    const t = this.#host.strings();
    await this.#attach(() => pastedSource(text, t.pastedSource));
    this.#ui.sourceText.value = '';
  }

  /** The chosen file becomes the thread's source; the picker is emptied for the next. */
  async openFile(file, input) {
    if (!file) return;
    await this.#attach(() => fileSource(file));
    input.value = '';
  }

  async #attach(read) {
    try {
      await this.#host.attach(await read());
      clearNotices(this.#ui.notices, 'source');
      this.open(false);
    } catch (err) {
      const t = this.#host.strings();
      const text = err instanceof SourceError ? format(t[err.key], err.values) : String(err);
      showNotice(this.#ui.notices, t, 'error', text, { tag: 'source', detail: err.detail });
    }
  }

  /**
   * Shows `source` ({name, text}, or null) on the source line in chat mode; `removable`: the
   * thread's own, with a button to remove it (else the `source` attribute's, which no thread
   * can replace). The button and form are for chat mode only.
   */
  render(source, removable, mode) {
    const { sourceBar, sourceButton, sourceForm } = this.#ui;
    const chat = mode === 'chat';
    if (sourceButton) {
      sourceButton.hidden = !(chat && removable);
      if (sourceButton.hidden) sourceForm.hidden = true;
      sourceButton.setAttribute('aria-expanded', String(!sourceForm.hidden));
    }
    sourceBar.hidden = !(chat && source);
    if (sourceBar.hidden) return sourceBar.replaceChildren();
    const t = this.#host.strings();
    const name = h('span', { 'data-part': 'source-name' }, source.name);
    const size = h('span', { 'data-part': 'source-size' }, sizeLabel(source.text, t));
    const label = h('span', { class: 'label' }, t.sourceLine);
    const what = [label, ' ', name, ' · ', size, ' · ', t.sourceQuoted];
    sourceBar.replaceChildren(h('span', { class: 'what' }, ...what));
    if (removable) {
      const aria = format(t.removeSourceLabel, { name: source.name });
      const remove = { class: 'text-button', 'data-action': 'remove-source', 'aria-label': aria };
      sourceBar.append(button({ ...remove, onclick: () => this.#host.remove() }, t.removeSource));
    }
  }
}

/** A text's size as the student reads it: `1,2 kB`, `3,4 MB` (in the interface's locale). */
function sizeLabel(text, t) {
  const bytes = utf8Length(text);
  const number = new Intl.NumberFormat(t.locale, { maximumFractionDigits: 1 });
  return bytes < 1e6 ? `${number.format(bytes / 1e3)} kB` : `${number.format(bytes / 1e6)} MB`;
}
