// Notices above the messages: a warning or an error in the interface's words, with at most one
// action (Retry) and a dismiss button. Notices of one `tag` are cleared together.

import { button, h } from './view.js';

/** Shows a notice; `action` adds a button; `detail` (the technical reason) is its tooltip. */
export function showNotice(notices, t, kind, text, { tag = '', action = null, detail = '' } = {}) {
  const box = h(
    'div',
    {
      class: `notice ${kind}`,
      role: kind === 'error' ? 'alert' : 'status',
      'data-part': 'notice',
      'data-kind': kind,
      'data-tag': tag,
      title: detail || null,
    },
    h('p', {}, text),
  );
  if (action) {
    const run = () => (box.remove(), action.run());
    box.append(
      button({ class: 'text-button', 'data-action': 'notice-action', onclick: run }, action.label),
    );
  }
  const dismiss = { class: 'icon', 'aria-label': t.dismiss, title: t.dismiss };
  box.append(button({ ...dismiss, onclick: () => box.remove() }, '✕'));
  notices.append(box);
}

export function clearNotices(notices, tag) {
  for (const box of notices.querySelectorAll(`[data-tag="${tag}"]`)) box.remove();
}

/** What a notice says of an error: its message's first line. */
export function reasonOf(err) {
  return String(err?.message ?? err).split('\n')[0];
}
