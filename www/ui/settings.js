// The settings drawer: the sampling options and the engine (backend), kept in the store with the
// interface language; and "Clear all data", behind a confirmation.

import { BACKENDS } from '../siger-protocol.js';
import { button, h } from './view.js';

/** The settings until the student changes them; an empty `seed` draws a new one per reply. */
const DEFAULT_SETTINGS = {
  temperature: 0.7,
  top_p: 0.9,
  max_tokens: 256,
  seed: '',
  backend: 'auto',
};

/**
 * Builds the drawer into `ui` (settingsForm, temperatureValue, topPValue, confirmClear). `on`
 * holds openSettings(open), settingChanged(field) and clearAll().
 */
export function buildSettings(ui, on) {
  ui.temperatureValue = h('output', {});
  ui.topPValue = h('output', {});
  ui.confirmClear = confirmClear(ui, on);
  const close = button(
    {
      class: 'icon',
      'data-action': 'close-settings',
      'data-t-label': 'closeSettings',
      onclick: () => on.openSettings(false),
    },
    '✕',
  );
  const showConfirm = () => (ui.confirmClear.hidden = false);
  ui.settingsForm = h(
    'form',
    {
      class: 'settings',
      'data-part': 'settings',
      role: 'dialog',
      'aria-modal': 'false',
      'data-t-label': 'settings',
      hidden: true,
    },
    h('div', { class: 'row' }, h('h2', { 'data-t': 'settings' }), close),
    ...fields(ui),
    h(
      'div',
      { class: 'clear' },
      button({
        class: 'danger',
        'data-action': 'clear-data',
        'data-t': 'clearData',
        onclick: showConfirm,
      }),
      h('small', { 'data-t': 'clearDataHelp' }),
    ),
    ui.confirmClear,
  );
  listen(ui.settingsForm, on);
}

function confirmClear(ui, on) {
  return h(
    'div',
    { class: 'notice error', hidden: true, 'data-part': 'confirm-clear' },
    h('p', { 'data-t': 'clearConfirm' }),
    button({
      class: 'danger',
      'data-action': 'confirm-clear',
      'data-t': 'clearData',
      onclick: () => on.clearAll(),
    }),
    button({
      class: 'text-button',
      'data-t': 'cancelEdit',
      onclick: () => (ui.confirmClear.hidden = true),
    }),
  );
}

/** One labelled field: its name, the value shown beside it (for sliders), the input, a help line. */
function field(labelKey, input, helpKey, value) {
  return h(
    'label',
    {},
    h('span', {}, h('span', { 'data-t': labelKey }), value ? ' ' : null, value),
    input,
    helpKey ? h('small', { 'data-t': helpKey }) : null,
  );
}

function fields(ui) {
  const range = (name, min, max) => h('input', { type: 'range', name, min, max, step: '0.05' });
  const maxTokens = h('input', {
    type: 'number',
    name: 'max_tokens',
    min: '1',
    max: '2048',
    step: '1',
    required: true,
  });
  const seed = h('input', {
    type: 'text',
    name: 'seed',
    inputmode: 'numeric',
    pattern: '\\d{1,10}',
    autocomplete: 'off',
  });
  const backend = h(
    'select',
    { name: 'backend' },
    h('option', { value: 'auto', 'data-t': 'backendAuto' }),
    h('option', { value: 'webgpu' }, 'WebGPU'),
    h('option', { value: 'cpu' }, 'CPU'),
  );
  return [
    field('temperature', range('temperature', '0', '2'), 'temperatureHelp', ui.temperatureValue),
    field('topP', range('top_p', '0.05', '1'), 'topPHelp', ui.topPValue),
    field('maxTokens', maxTokens),
    field('seed', seed, 'seedHelp'),
    field('backend', backend, 'backendHelp'),
  ];
}

function listen(form, on) {
  form.addEventListener('submit', (event) => event.preventDefault());
  form.addEventListener('change', (event) => on.settingChanged(event.target));
  form.addEventListener('input', (event) => {
    if (event.target.type === 'range') on.settingChanged(event.target);
  });
  form.addEventListener('keydown', (event) => {
    if (event.key === 'Escape') on.openSettings(false);
  });
}

/** The student's settings, as the drawer shows them. */
export class Settings {
  values = { ...DEFAULT_SETTINGS };
  backendChosen = false; // the student picked the engine (the page's `backend` is not kept)
  #ui;

  constructor(ui) {
    this.#ui = ui;
  }

  /** Opens or closes the drawer; the focus goes into it, or back to its button. */
  open(open) {
    this.#ui.settingsForm.hidden = !open;
    this.#ui.settingsButton.setAttribute('aria-expanded', String(open));
    (open ? this.#ui.settingsForm.elements.temperature : this.#ui.settingsButton).focus();
  }

  /** Takes the saved settings, over the defaults and the page's `backend`. */
  restore(saved, backend) {
    this.values = { ...DEFAULT_SETTINGS, backend, ...saved };
    this.backendChosen = BACKENDS.includes(saved.backend);
    const form = this.#ui.settingsForm;
    for (const name of ['temperature', 'top_p', 'max_tokens', 'seed', 'backend']) {
      form.elements[name].value = this.values[name];
    }
    this.#showValues();
  }

  /**
   * Takes a changed field's value. Returns false, changing nothing, for a field that is no
   * setting or a value that is not valid (the browser marks the field invalid).
   */
  change(field) {
    const { name, value } = field;
    const values = this.values;
    if (!(name in DEFAULT_SETTINGS)) return false;
    if (name === 'seed') {
      const seed = value.trim();
      if (seed !== '' && !/^\d{1,10}$/.test(seed)) return false;
      values.seed = seed === '' ? '' : Number(seed);
    } else if (name === 'max_tokens') {
      if (!field.checkValidity()) return false;
      values.max_tokens = Number(value);
    } else if (name === 'backend') {
      if (!BACKENDS.includes(value)) return false;
      values.backend = value;
      this.backendChosen = true;
    } else {
      values[name] = Number(value);
    }
    this.#showValues();
    return true;
  }

  /** The sampling options of a request: a new random seed for each reply unless one is set. */
  sampling() {
    const s = this.values;
    const seed =
      s.seed === '' || s.seed == null ? Math.floor(Math.random() * 2 ** 32) : Number(s.seed);
    return {
      temperature: Number(s.temperature),
      top_p: Number(s.top_p),
      max_tokens: Number(s.max_tokens),
      seed,
    };
  }

  /** What the store keeps: the settings and `lang`; the engine only when the student chose it. */
  stored(lang) {
    const { backend, ...rest } = this.values;
    return { ...rest, lang, ...(this.backendChosen ? { backend } : {}) };
  }

  /** The sliders' values, beside their names. */
  #showValues() {
    this.#ui.temperatureValue.textContent = Number(this.values.temperature).toFixed(2);
    this.#ui.topPValue.textContent = Number(this.values.top_p).toFixed(2);
  }
}
