// One message's DOM, with its actions; the modes; the message length limit. Every element is
// made by ui/dom.js, whose texts are text nodes: a reply containing `<img onerror=…>` is shown as
// those characters and never runs. A reply says where it comes from: an answer from a source
// shows its citations (ui/citations.js), the model's own words say that they are.

import { citationList } from './citations.js';
import { button, h } from './dom.js';
import { format } from './strings.js';

export { button, h };

/** The modes, in chip order, with their label and input placeholder keys. */
export const MODES = [
  { mode: 'chat', key: 'modeChat', placeholder: 'placeholderChat' },
  { mode: 'lpg-id', key: 'modeLpgId', placeholder: 'placeholderLpgId' },
  { mode: 'id-lpg', key: 'modeIdLpg', placeholder: 'placeholderIdLpg' },
];

/** The longest message a student can write, in the input box and in the edit box alike. */
export const MESSAGE_LIMIT = 4000;

/**
 * A note for `box` (a textarea of MESSAGE_LIMIT), shown while its text is at the limit: past it
 * typed or pasted text is dropped, and the student should know. `show(t)` writes it in the
 * language `t` (the last one given, without `t`); call it after setting the box's value.
 */
export function limitNote(box, part, t = null) {
  const note = h('p', { class: 'limit', 'data-part': part, role: 'status', hidden: true });
  let words = t;
  const show = (next = words) => {
    words = next;
    if (!words) return;
    const limit = MESSAGE_LIMIT.toLocaleString(words.locale);
    note.textContent = format(words.inputLimit, { limit });
    note.hidden = box.value.length < MESSAGE_LIMIT;
  };
  box.addEventListener('input', () => show());
  show();
  return { note, show };
}

/** The mode an attribute names: `translate` is Lampung → Indonesian; anything unknown is chat. */
export function modeOf(attribute) {
  if (attribute === 'translate') return 'lpg-id';
  return MODES.some((m) => m.mode === attribute) ? attribute : 'chat';
}

const SOURCE_KEYS = {
  phrasebook: 'sourcePhrasebook',
  lexicon: 'sourceLexicon',
  morphology: 'sourceMorphology',
  rule: 'sourceRule',
  model: 'sourceModel',
  unknown: 'sourceUnknown',
  punctuation: 'sourcePunctuation',
};

/** One message of a thread, with its actions: { canEdit, canRegenerate, onEdit, onRegenerate }. */
export function renderMessage(message, index, t, actions) {
  const who =
    { user: t.you, assistant: t.assistant, translation: t.translation }[message.role] ??
    message.role;
  const view = h('article', {
    class: 'message',
    'data-part': 'message',
    'data-role': message.role,
    'data-index': index,
    'data-mode': message.mode,
  });
  const text =
    message.role === 'translation'
      ? translationText(message.tokens, t)
      : h('div', { class: 'text', 'data-part': 'text' }, message.content);
  view.append(h('div', { class: 'who' }, who), text);
  if (message.role === 'translation') view.append(sourceList(message.tokens, t));
  if (message.grounded) {
    view.dataset.grounded = message.grounded.abstained ? 'abstained' : 'cited';
    const cited = citationList(message, index, t);
    if (cited) view.append(cited);
  } else if (message.role === 'assistant') {
    // The model's own words are never presented as facts: each reply says what it is.
    view.append(h('p', { class: 'provenance', 'data-part': 'provenance' }, t.modelNote));
  }
  if (message.finish === 'abort') view.append(h('div', { class: 'note' }, t.stopped));
  if (message.finish === 'length') view.append(h('div', { class: 'note' }, t.cutShort));
  if (message.usage) {
    view.dataset.promptTokens = message.usage.prompt_tokens;
    view.dataset.reusedMessages = message.usage.reused_messages;
  }

  const buttons = messageActions(view, message, index, t, actions);
  if (buttons.childElementCount) view.append(buttons);
  return view;
}

/** Edit (a sent message), Regenerate (the last reply) and Copy (what the model wrote). */
function messageActions(view, message, index, t, { canEdit, canRegenerate, onEdit, onRegenerate }) {
  const actions = h('div', { class: 'actions' });
  if (canEdit) {
    const edit = () => editInPlace(view, message, index, t, onEdit);
    actions.append(button({ 'data-action': 'edit', onclick: edit }, t.edit));
  }
  if (canRegenerate) {
    actions.append(button({ 'data-action': 'regenerate', onclick: onRegenerate }, t.regenerate));
  }
  if (message.role !== 'user' && message.content && navigator.clipboard) {
    const copy = () => navigator.clipboard.writeText(message.content).catch(() => {});
    actions.append(button({ 'data-action': 'copy', onclick: copy }, t.copy));
  }
  return actions;
}

/** Replaces a sent message's text with an editor; Resend truncates the thread there. */
function editInPlace(view, message, index, t, onEdit) {
  const editor = h(
    'textarea',
    { 'data-part': 'edit-input', 'aria-label': t.edit, maxlength: MESSAGE_LIMIT },
    message.content,
  );
  const limit = limitNote(editor, 'edit-limit', t);
  const resend = h(
    'button',
    { type: 'button', 'data-action': 'resend', onclick: () => onEdit(index, editor.value) },
    t.saveEdit,
  );
  const cancel = h(
    'button',
    {
      type: 'button',
      'data-action': 'cancel-edit',
      onclick: () =>
        view.replaceWith(
          renderMessage(message, index, t, { canEdit: true, canRegenerate: false, onEdit }),
        ),
    },
    t.cancelEdit,
  );
  editor.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) resend.click();
    if (event.key === 'Escape') cancel.click();
  });
  view.replaceChildren(
    h('div', { class: 'who' }, t.you),
    editor,
    limit.note,
    h('div', { class: 'actions' }, resend, cancel),
  );
  editor.focus();
}

/** The translated sentence, each token underlined by where it came from. */
function translationText(tokens, t) {
  const line = h('div', { class: 'text', 'data-part': 'text' });
  tokens.forEach((token, i) => {
    if (
      i > 0 &&
      !token.joined &&
      !(token.source === 'punctuation' && /^[.,!?;:)\]]/.test(token.text))
    ) {
      line.append(' ');
    }
    line.append(
      h(
        'span',
        {
          class: 'token',
          'data-part': 'token',
          'data-source': token.source,
          'data-source-name': token.source_name,
          'data-input': token.input,
          title: describe(token, t),
        },
        token.text,
      ),
    );
  });
  return line;
}

/** Where each word came from, in words: the cited entry and resource, or why there is none. */
function sourceList(tokens, t) {
  const words = tokens.filter((token) => token.source !== 'punctuation');
  const list = h(
    'ol',
    {},
    ...words.map((token) =>
      h(
        'li',
        { 'data-part': 'source', 'data-source': token.source },
        `${token.input || token.text} → ${token.text}: `,
        h(
          'span',
          { class: 'src', 'data-source': token.source },
          t[SOURCE_KEYS[token.source]] ?? token.source,
        ),
        details(token, t),
      ),
    ),
  );
  const note = words.some((w) => w.source === 'model' || w.source === 'unknown')
    ? h('p', { class: 'note' }, t.sourceNote)
    : null;
  return h(
    'details',
    { class: 'sources', 'data-part': 'sources', open: true },
    h('summary', {}, t.sources),
    list,
    note,
  );
}

function details(token, t) {
  const parts = [];
  if (token.entry) parts.push(format(t.entry, { entry: token.entry }));
  if (token.rule) parts.push(token.rule);
  if (token.source_name) parts.push(format(t.origin, { origin: token.source_name }));
  if (token.dialect) parts.push(token.dialect);
  return parts.length ? ` (${parts.join('; ')})` : '';
}

function describe(token, t) {
  return `${t[SOURCE_KEYS[token.source]] ?? token.source}${details(token, t)}`;
}
