// The composer: the mode chips (chat, or a translation direction), the input box, and Send, or
// Stop while a reply is written. What Send does and what the box invites follow the mode.

import { MESSAGE_LIMIT, MODES, button, h, limitNote } from './view.js';

/** Builds the chips into `ui.chips`, returning their group. `on.setMode(mode)` on a click. */
export function buildModeChips(ui, on) {
  ui.chips = MODES.map(({ mode, key }) =>
    button({
      class: 'chip',
      'data-mode': mode,
      'data-t': key,
      'aria-pressed': 'false',
      onclick: () => on.setMode(mode),
    }),
  );
  return h('div', { class: 'modes', role: 'group', 'data-t-label': 'modes' }, ...ui.chips);
}

/**
 * Builds the composer form into `ui` (input, send, stop), after `ui.sourceButton` if there is
 * one. Enter sends (`on.submit()`), Shift+Enter starts a new line; `on.typed()` after each
 * change, `on.stop()` for Stop.
 */
export function buildComposer(ui, on) {
  ui.input = h('textarea', {
    'data-part': 'input',
    rows: '1',
    'data-t-label': 'inputLabel',
    'data-t-placeholder': 'placeholderChat',
    maxlength: MESSAGE_LIMIT,
  });
  ui.inputLimit = limitNote(ui.input, 'input-limit');
  ui.input.addEventListener('input', () => on.typed());
  ui.input.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      on.submit();
    }
  });
  ui.send = h('button', {
    type: 'submit',
    class: 'primary',
    'data-action': 'send',
    'data-t': 'send',
  });
  ui.stop = button({
    class: 'secondary',
    'data-action': 'stop',
    'data-t': 'stop',
    hidden: true,
    onclick: () => on.stop(),
  });
  const form = h(
    'form',
    { class: 'composer', 'data-part': 'composer' },
    ui.inputLimit.note,
    ui.sourceButton,
    ui.input,
    ui.send,
    ui.stop,
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    on.submit();
  });
  return form;
}

/** The built composer and chips, as the element uses them. */
export class Composer {
  #ui;

  constructor(ui) {
    this.#ui = ui;
  }

  /** The mode whose chip is pressed: chat, lpg-id or id-lpg. */
  get mode() {
    const chip = this.#ui.chips.find((c) => c.getAttribute('aria-pressed') === 'true');
    return chip?.dataset.mode ?? 'chat';
  }

  set mode(mode) {
    for (const chip of this.#ui.chips) {
      chip.setAttribute('aria-pressed', String(chip.dataset.mode === mode));
    }
  }

  /** The input box's placeholder and Send's label, in the language `t`, for the mode. */
  writeStrings(t) {
    const mode = this.mode;
    this.#ui.input.placeholder = t[MODES.find((m) => m.mode === mode).placeholder];
    this.#ui.send.textContent = mode === 'chat' ? t.send : t.translate;
    this.#ui.inputLimit.show(t);
  }

  /** Takes what was typed out of the box, trimmed ('' when there is nothing). */
  take() {
    const text = this.#ui.input.value.trim();
    if (text) {
      this.#ui.input.value = '';
      this.autosize();
      this.#ui.inputLimit.show();
    }
    return text;
  }

  /** Puts `typed` back into the box after a failed request, above what was typed since. */
  giveBack(typed) {
    const box = this.#ui.input;
    box.value = box.value.trim() ? `${typed}\n${box.value}` : typed;
    this.autosize();
    this.#ui.inputLimit.show();
  }

  focus() {
    this.#ui.input.focus();
  }

  /** Grows the input box with its text, up to a limit (then it scrolls). */
  autosize() {
    const input = this.#ui.input;
    input.style.height = 'auto';
    input.style.height = `${Math.min(input.scrollHeight, 160)}px`;
  }

  /** While a request runs Send is off; a chat reply can be stopped (a translation is instant). */
  showGenerating(on, stoppable) {
    const ui = this.#ui;
    ui.send.hidden = on && stoppable;
    ui.send.disabled = on;
    ui.stop.hidden = !(on && stoppable);
  }
}
