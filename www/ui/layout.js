// The element's parts, built once: the thread panel, the header (title, status, language,
// settings), the model's and the dictionary's progress bars, the notices, the mode chips, the
// dictionary's line (translation modes), the source line and form (chat mode,
// ui/source-panel.js), the composer (ui/composer.js), the message log, the
// settings drawer (ui/settings.js) and, with `launcher`, the floating button. Their words come from `data-t` (text), `data-t-label` (aria-label) and
// `data-t-placeholder` attributes, which `writeStrings` fills in whenever the language changes.

import { buildComposer, buildModeChips } from './composer.js';
import { buildSettings } from './settings.js';
import { buildSourceParts } from './source-panel.js';
import { button, h } from './view.js';

/**
 * The parts, by name (`ui.input`, `ui.messages`, …). `options`: the element's `threads`,
 * `page` and `launcher` attributes, and `attachable` (a thread can be given a source). `on`
 * holds what the controls do: newThread(), toggleLanguage(), openSettings(open),
 * setMode(mode), typed(), submit(), stop(), toggleOpen(), settingChanged(field), clearAll(),
 * openSource(open), pasteSource(text), openSourceFile(file, input).
 */
export function buildLayout(options, on) {
  const ui = {};
  ui.threadList = h('ul', { 'data-part': 'thread-list' });
  ui.threads = h(
    'nav',
    {
      class: 'threads',
      'data-part': 'threads',
      'data-t-label': 'threads',
      hidden: !options.threads,
    },
    h(
      'header',
      {},
      button({
        class: 'primary',
        'data-action': 'new-thread',
        'data-t': 'newThread',
        onclick: () => on.newThread(),
      }),
    ),
    ui.threadList,
  );
  const top = topBar(ui, options, on);
  ui.progress = progressBar('progress');
  ui.dictionaryProgress = progressBar('dictionary-progress');
  ui.notices = h('div', { class: 'notices', 'data-part': 'notices' });
  const modes = buildModeChips(ui, on);
  ui.dictionary = h('p', { class: 'dictionary', 'data-part': 'dictionary', hidden: true });
  ui.messages = h('div', {
    class: 'messages',
    'data-part': 'messages',
    role: 'log',
    'aria-live': 'polite',
    tabindex: '0',
    'data-t-label': 'messagesLabel',
  });
  buildSourceParts(ui, options.attachable, on);
  const bars = [ui.progress.box, ui.dictionaryProgress.box];
  const lines = [ui.dictionary, ui.sourceBar];
  const composer = [ui.sourceForm, buildComposer(ui, on)];
  const main = [top, ...bars, ui.notices, modes, ...lines, ui.messages, ...composer];
  ui.main = h('section', { class: 'main' }, ...main);
  buildSettings(ui, on);
  const app = { class: 'app', 'data-part': 'app', 'data-state': 'idle' };
  ui.app = h('div', app, ui.threads, ui.main, ui.settingsForm);
  if (options.launcher) launcherButton(ui, on);
  return ui;
}

function topBar(ui, options, on) {
  ui.status = h('span', { class: 'status', 'data-part': 'status', role: 'status' });
  ui.langButton = button({
    class: 'text-button',
    'data-action': 'lang',
    'data-t': 'switchLanguage',
    'data-t-label': 'switchLanguageLabel',
    onclick: () => on.toggleLanguage(),
  });
  ui.settingsButton = button(
    {
      class: 'icon',
      'data-action': 'settings',
      'data-t-label': 'settings',
      'aria-expanded': 'false',
      onclick: () => on.openSettings(true),
    },
    '⚙',
  );
  const toggleThreads = () =>
    ui.threadsButton.setAttribute('aria-expanded', String(ui.threads.classList.toggle('open')));
  ui.threadsButton = button(
    {
      class: 'icon toggle-threads',
      'data-action': 'toggle-threads',
      'data-t-label': 'showThreads',
      'aria-expanded': 'false',
      hidden: !options.threads,
      onclick: toggleThreads,
    },
    '☰',
  );
  const title = h(options.page ? 'h1' : 'h2', { class: 'title' }, 'Siger');
  const parts = [ui.threadsButton, title, ui.status, ui.langButton, ui.settingsButton];
  return h('header', { class: 'top' }, ...parts);
}

/** A hidden progress bar: `{box, bar, label}`, whose `data-part`s start with `part`. */
function progressBar(part) {
  const label = h('span', { 'data-part': `${part}-label`, id: `${part}-label` });
  const bar = h('progress', {
    'data-part': `${part}-bar`,
    max: '1',
    'aria-labelledby': `${part}-label`,
  });
  const box = h('div', { class: 'progress', 'data-part': part, hidden: true }, label, bar);
  return { box, bar, label };
}

function launcherButton(ui, on) {
  ui.launcher = button(
    {
      class: 'launcher',
      'data-part': 'launcher',
      'aria-expanded': 'false',
      'data-t-label': 'openChat',
      onclick: () => on.toggleOpen(),
    },
    '💬',
  );
  ui.app.hidden = true;
}

/** Opens or closes the launcher's panel; returns whether it is open now. */
export function toggleLauncher(ui) {
  const open = ui.app.hidden;
  ui.app.hidden = !open;
  ui.launcher.setAttribute('aria-expanded', String(open));
  ui.launcher.textContent = open ? '✕' : '💬';
  ui.launcher.dataset.tLabel = open ? 'closeChat' : 'openChat';
  return open;
}

/** Writes the language `t`'s words into every part under `root` marked with `data-t*`. */
export function writeStrings(root, t) {
  for (const el of root.querySelectorAll('[data-t]')) el.textContent = t[el.dataset.t];
  for (const el of root.querySelectorAll('[data-t-label]')) {
    el.setAttribute('aria-label', t[el.dataset.tLabel]);
    if (el.tagName === 'BUTTON' && !el.dataset.t) el.title = t[el.dataset.tLabel];
  }
  for (const el of root.querySelectorAll('[data-t-placeholder]')) {
    el.placeholder = t[el.dataset.tPlaceholder];
  }
}

/** Sets the chat's state (`data-state`): idle, loading, ready, generating or error. */
export function setState(ui, state) {
  ui.app.dataset.state = state;
}
