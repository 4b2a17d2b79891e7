// Notices above the messages: a warning or an error in the interface's words, with at most one
// action (Retry) and a dismiss button. Notices of one `tag` are cleared together. An error is
// told in plain words (`explain`); its technical text waits, folded, under "Technical details"
// for whoever helps the student.

import { format } from './strings.js';
import { button, h } from './view.js';

/**
 * Shows a notice; `action` adds a button; `detail` (the technical reason) is folded away under
 * a summary.
 */
export function showNotice(notices, t, kind, text, { tag = '', action = null, detail = '' } = {}) {
  const body = h('div', { class: 'body' }, h('p', {}, text));
  if (detail) {
    const code = h('code', { 'data-part': 'notice-detail' }, detail);
    body.append(h('details', {}, h('summary', {}, t.technicalDetails), code));
  }
  const box = h(
    'div',
    {
      class: `notice ${kind}`,
      role: kind === 'error' ? 'alert' : 'status',
      'data-part': 'notice',
      'data-kind': kind,
      'data-tag': tag,
    },
    body,
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

/** Shows the error notice `template` ({reason}) for `err`, in plain words, its detail folded. */
export function showError(notices, t, template, err, options = {}) {
  const { reason, detail } = explain(err, t);
  showNotice(notices, t, 'error', format(template, { reason }), { ...options, detail });
}

export function clearNotices(notices, tag) {
  for (const box of notices.querySelectorAll(`[data-tag="${tag}"]`)) box.remove();
}

/** What a notice says of an error: its message's first line. */
export function reasonOf(err) {
  return String(err?.message ?? err).split('\n')[0];
}

/** What went wrong, by the words of an error's message (Siger's own name what they are about). */
const KINDS = [
  ['reasonStorage', /quota|QuotaExceeded|storage is full|disk is full/i],
  ['reasonMemory', /out of memory|allocation failed|GiB of memory/i],
  [
    'reasonDamaged',
    /sha256|corrupted|truncated|damaged|larger than the \d+ bytes|is not JSON|not a Siger/i,
  ],
  ['reasonNetwork', /cannot download|check the network|Failed to fetch|NetworkError|HTTP \d{3}/i],
];

/**
 * An error told to a student: `reason`, plain words in `t`'s language, and `detail`, the
 * error's own technical text. What no kind's words match (a TypeError, a wasm trap, a message
 * never foreseen) is a fault inside Siger.
 */
export function explain(err, t) {
  const detail = reasonOf(err);
  const kind = KINDS.find(([, words]) => words.test(detail))?.[0] ?? 'reasonInternal';
  const status = kind === 'reasonNetwork' && detail.match(/HTTP (\d{3})/)?.[1];
  return { reason: status ? format(t.reasonHttp, { status }) : t[kind], detail };
}
