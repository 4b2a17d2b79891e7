// An answer from a source, as the log shows it: the quoted sentences (or the abstention's words),
// then under "Sumber" each sentence cited — for an abstention, under "Bagian yang paling dekat",
// the closest ones — as a button that opens its paragraph with the sentence marked. The chat
// page and the widget draw it alike (ui/view.js); nothing of it is the model's.

import { button, h } from './dom.js';
import { format } from './strings.js';

/** The thread message of `answer` (siger.d.ts, Answer): what the store keeps, the log draws. */
export function answerMessage(answer) {
  const { text, citations, abstained, supported, closest, score } = answer;
  return {
    role: 'assistant',
    mode: 'chat',
    content: text,
    grounded: { abstained, supported, score, citations, closest },
  };
}

/**
 * The cited sentences under the grounded message `message` (at `index` in its thread), or the
 * closest ones when it abstained; null when there are none to show.
 */
export function citationList(message, index, t) {
  const { abstained, citations, closest } = message.grounded;
  const cited = abstained ? closest : citations;
  if (!cited?.length) return null;
  const label = abstained ? t.closestParts : t.citations;
  const items = cited.map((citation, i) => citationItem(citation, `passage-${index}-${i}`, t));
  return h(
    'section',
    { class: 'citations', 'data-part': abstained ? 'closest' : 'citations', 'aria-label': label },
    h('p', { class: 'label' }, label),
    h('ol', {}, ...items),
  );
}

/** A cited sentence, whose button shows and hides its paragraph (`aria-expanded`). */
function citationItem(citation, id, t) {
  const passage = passageView(citation, id, t);
  const toggle = button(
    {
      class: 'citation',
      'data-part': 'citation',
      'data-sentence': citation.sentence,
      'aria-expanded': 'false',
      'aria-controls': id,
      title: t.showPassage,
      onclick: () => {
        passage.hidden = !passage.hidden;
        toggle.setAttribute('aria-expanded', String(!passage.hidden));
        if (!passage.hidden) passage.scrollIntoView({ block: 'nearest' });
      },
    },
    h('q', { 'data-part': 'citation-text' }, citation.text),
    ' ',
    h('span', { class: 'where' }, where(citation, t)),
  );
  return h('li', {}, toggle, passage);
}

/** The paragraph, the cited sentence in it marked. */
function passageView(citation, id, t) {
  const [before, cited, after] = around(citation);
  return h(
    'blockquote',
    { class: 'passage', 'data-part': 'passage', id, hidden: true },
    h('p', {}, before, cited && h('mark', { 'data-part': 'cited' }, cited), after),
    h('footer', {}, where(citation, t)),
  );
}

/**
 * The paragraph's text before, of and after the sentence, by their spans (offsets into the
 * source: the paragraph's start is subtracted); by the sentence's text should a span not match.
 */
function around({ span, passage_span, text, passage_text }) {
  let start = span[0] - passage_span[0];
  if (passage_text.slice(start, start + text.length) !== text) start = passage_text.indexOf(text);
  if (start < 0) return [passage_text, '', ''];
  return [passage_text.slice(0, start), text, passage_text.slice(start + text.length)];
}

/** Where a sentence is, in words: its source and paragraph (`lesson, paragraf 2`). */
function where(citation, t) {
  const paragraph = /#p(\d+)$/.exec(citation.passage)?.[1];
  return paragraph ? format(t.passageOf, { source: citation.source, paragraph }) : citation.passage;
}
