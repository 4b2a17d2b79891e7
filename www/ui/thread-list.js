// The thread list (with the `threads` attribute): a thread's title opens it, ✎ renames it in
// place, × asks before deleting it.

import { format } from './strings.js';
import { button, h } from './view.js';

/** A thread's title from its first message. */
export function titleOf(thread) {
  const first = thread.messages.find((m) => m.role === 'user');
  return first ? first.content.replace(/\s+/g, ' ').slice(0, 48) : '';
}

/**
 * Draws `threads` (summaries: id and title) into the list `list`, marking the one of
 * `currentId`. `on` holds open(id), rename(id, title), remove(id), and redraw(), which leaves a
 * rename or a confirmation unfinished.
 */
export function renderThreadList(list, threads, currentId, t, on) {
  list.replaceChildren(
    ...threads.map((summary) => threadItem(summary, summary.id === currentId, t, on)),
  );
}

function threadItem(summary, current, t, on) {
  const title = summary.title || t.untitled;
  const item = h('li', {
    'data-part': 'thread',
    'data-id': summary.id,
    'aria-current': String(current),
  });
  const open = button(
    { class: 'open', 'data-action': 'open-thread', onclick: () => on.open(summary.id) },
    title,
  );
  const rename = button(
    {
      class: 'icon',
      'data-action': 'rename-thread',
      'aria-label': `${t.rename}: ${title}`,
      title: t.rename,
      onclick: () => editTitle(item, summary, t, on),
    },
    '✎',
  );
  const remove = button(
    {
      class: 'icon',
      'data-action': 'delete-thread',
      'aria-label': `${t.delete}: ${title}`,
      title: t.delete,
      onclick: () => confirmDelete(item, summary.id, title, t, on),
    },
    '×',
  );
  item.append(open, rename, remove);
  return item;
}

/** Replaces the item with a title box: Enter or leaving it renames, Escape cancels. */
function editTitle(item, summary, t, on) {
  const input = h('input', {
    type: 'text',
    value: summary.title,
    'aria-label': t.renamePrompt,
    'data-part': 'rename-input',
    maxlength: '80',
  });
  const finish = (save) =>
    save && input.value.trim() ? on.rename(summary.id, input.value) : on.redraw();
  input.addEventListener('keydown', (event) => {
    if (event.key === 'Enter') finish(true);
    if (event.key === 'Escape') finish(false);
  });
  input.addEventListener('blur', () => finish(true), { once: true });
  item.replaceChildren(input);
  input.focus();
  input.select();
}

function confirmDelete(item, id, title, t, on) {
  const ask = h(
    'div',
    { class: 'notice error', 'data-part': 'confirm-delete' },
    h('p', {}, format(t.deleteConfirm, { title })),
    button(
      { class: 'danger', 'data-action': 'confirm-delete', onclick: () => on.remove(id) },
      t.delete,
    ),
    button({ class: 'text-button', onclick: () => on.redraw() }, t.cancelEdit),
  );
  item.replaceChildren(ask);
  ask.querySelector('button').focus();
}
