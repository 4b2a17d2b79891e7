// The message log: the greeting, then the shown thread's messages (each drawn by ui/view.js), and
// a reply's text as it is written.

import { h, renderMessage } from './view.js';

export class MessageLog {
  #log;
  #views = new WeakMap(); // message -> { key, el }: its element, while nothing it shows changed
  #intro = null; // { text, el }: the greeting's element

  constructor(log) {
    this.#log = log;
  }

  /**
   * Draws the greeting and `messages`, reusing each element whose message and actions are
   * unchanged and touching the DOM only from the first difference on: the log is a live region,
   * and a screen reader would otherwise read the whole conversation again after every reply.
   */
  render(messages, greeting, t, { generating, onEdit, onRegenerate }) {
    const lastAssistant = messages.findLastIndex((m) => m.role === 'assistant');
    const views = messages.map((m, index) =>
      this.#view(m, index, t, {
        canEdit: !generating && m.role === 'user',
        // An answer from a source would come out the same: there is nothing to write again.
        canRegenerate:
          !generating && index === lastAssistant && index === messages.length - 1 && !m.grounded,
        onEdit,
        onRegenerate,
      }),
    );
    const wanted = [this.#greeting(greeting), ...views];
    const shown = [...this.#log.children];
    let same = 0;
    while (same < wanted.length && shown[same] === wanted[same]) same += 1;
    for (const el of shown.slice(same)) el.remove();
    if (same < wanted.length) {
      this.#log.append(...wanted.slice(same));
      this.#log.scrollTop = this.#log.scrollHeight;
    }
  }

  /** The element of the message at `index` now (a redraw may have replaced it). */
  message(index) {
    return this.#log.querySelector(`[data-part=message][data-index="${index}"]`);
  }

  /** Writes a growing reply's text into its element `view` (if shown), as text, never HTML. */
  showGrowing(view, content) {
    view?.setAttribute('aria-busy', 'true');
    const text = view?.querySelector('[data-part=text]');
    if (text) text.textContent = content;
    this.#scrollToEnd();
  }

  /** Follows the end of the log, unless the student has scrolled up to read. */
  #scrollToEnd() {
    const log = this.#log;
    if (log.scrollHeight - log.scrollTop - log.clientHeight < 120) log.scrollTop = log.scrollHeight;
  }

  #greeting(text) {
    if (this.#intro?.text !== text) {
      const el = h(
        'div',
        { class: 'message', 'data-role': 'greeting', 'data-part': 'greeting' },
        h('div', { class: 'text' }, text),
      );
      this.#intro = { text, el };
    }
    return this.#intro.el;
  }

  #view(message, index, t, actions) {
    const key = JSON.stringify([
      t.you,
      index,
      message.content,
      message.finish,
      message.usage,
      actions.canEdit,
      actions.canRegenerate,
    ]);
    const cached = this.#views.get(message);
    if (cached?.key === key) return cached.el;
    const el = renderMessage(message, index, t, actions);
    this.#views.set(message, { key, el });
    return el;
  }
}
