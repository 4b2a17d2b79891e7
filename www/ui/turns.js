// A turn of the conversation, one at a time: the student's message and its answer (a streamed
// chat reply; in a thread with a source, an answer from it, which the model has no part in; or
// a translation), with Stop, Regenerate and editing a sent message. A turn that fails leaves
// the thread as it was and what the student typed back in the box.

import { answerMessage } from './citations.js';
import { setState } from './layout.js';
import { showError } from './notices.js';
import { ReplyReader, chatMessages } from './reply.js';
import { titleOf } from './thread-list.js';

export class Turns {
  #generation = null; // { controller } while a reply or translation is being written
  #busy = null; // Promise: the turn running now, until it has ended and been saved
  #parts;
  #host;

  /**
   * `parts`: the element's ui (ui/layout.js), composer, threads, slot (the EngineSlot),
   * dictionary (the translation modes' Dictionary), grounding (answers from a source: the
   * Grounding), settings and log (the MessageLog).
   * `host`: strings() (the interface's words now) and render() (draws the shown thread's
   * messages).
   */
  constructor(parts, host) {
    this.#parts = parts;
    this.#host = host;
  }

  /** A reply or translation is being written. */
  get generating() {
    return Boolean(this.#generation);
  }

  /** Sends what the student typed, in the chosen mode. */
  async submit() {
    if (this.#generation) return;
    const { composer, threads } = this.#parts;
    const text = composer.take();
    if (!text) return;
    const thread = threads.current;
    const mode = composer.mode;
    const before = [...thread.messages];
    thread.messages.push({ role: 'user', content: text, mode });
    await this.#run(thread, mode, before, text);
  }

  /** Writes the last reply again (with the settings now). */
  async regenerate() {
    const thread = this.#parts.threads.current;
    if (this.#generation || thread.messages.at(-1)?.role !== 'assistant') return;
    const before = [...thread.messages];
    thread.messages.pop();
    await this.#run(thread, 'chat', before, '');
  }

  /** Sends `text` in place of the message at `index`, dropping the thread after it. */
  async resend(index, text) {
    const thread = this.#parts.threads.current;
    const original = thread.messages[index];
    const content = text.trim();
    if (this.#generation || original?.role !== 'user' || !content) return;
    const before = [...thread.messages];
    thread.messages.splice(index);
    thread.messages.push({ role: 'user', content, mode: original.mode });
    await this.#run(thread, original.mode, before, content);
  }

  stop() {
    this.#generation?.controller.abort();
  }

  /** Stops the reply being written, and waits until it and its saving have ended. */
  async settle() {
    this.stop();
    await this.#busy;
  }

  /**
   * Answers `thread`'s last user message in `mode`. On failure the thread goes back to
   * `before` and `typed` (what the student wrote, if anything) back into the input box: nothing
   * typed is lost. `#busy` is this work until it has ended, saving included.
   */
  #run(thread, mode, before, typed) {
    this.#busy = this.#answer(thread, mode, before, typed);
    return this.#busy;
  }

  async #answer(thread, mode, before, typed) {
    const { composer, threads, grounding } = this.#parts;
    const controller = new AbortController();
    this.#generation = { controller };
    const grounded = mode === 'chat' && grounding.has(thread);
    this.#showGenerating(true, mode === 'chat' && !grounded);
    if (!thread.title) thread.title = titleOf(thread);
    this.#host.render();
    let ok = false;
    try {
      if (mode !== 'chat') ok = await this.#translate(thread, mode);
      else if (grounded) ok = await this.#ground(thread);
      else ok = await this.#reply(thread, controller.signal);
    } finally {
      this.#generation = null;
      this.#showGenerating(false, true);
    }
    if (!ok) {
      thread.messages = before;
      if (typed) composer.giveBack(typed);
    }
    this.#host.render();
    await threads.save(thread);
    composer.focus();
  }

  /** Streams the assistant's reply to `thread`'s chat messages. Returns false on failure. */
  async #reply(thread, signal) {
    const { threads, slot, settings, log } = this.#parts;
    const history = chatMessages(thread.messages);
    const reply = { role: 'assistant', content: '', mode: 'chat' };
    thread.messages.push(reply);
    const index = thread.messages.length - 1;
    this.#host.render();
    // The message's element now: a redraw (language, mode) replaces it mid-reply.
    const view = () => (thread === threads.current ? log.message(index) : null);
    view()?.setAttribute('aria-busy', 'true');
    const reader = new ReplyReader(reply, () => log.showGrowing(view(), reply.content));
    try {
      const engine = await slot.ensure();
      await slot.restore(thread);
      const request = { messages: history, stream: true, signal, ...settings.sampling() };
      await reader.read(await engine.chat.completions.create(request));
      const usage = reply.usage;
      slot.showSpeed(
        usage?.completion_tokens ?? reader.pieces,
        reader.firstAt,
        usage?.loops_per_token,
      );
      await slot.keep(thread);
      return true;
    } catch (err) {
      if (err?.name !== 'AbortError') return this.#failed('replyFailed', err);
      reply.finish = 'abort';
      slot.showSpeed(reader.pieces, reader.firstAt);
      // The engine may have written a token the page never showed, so a saved state would
      // not match this text after a reload: the thread is read again then. (Right now the
      // engine still holds the state from before this reply, so the next one is cheap.)
      delete thread.session;
      return true;
    }
  }

  /**
   * Answers from the thread's source alone: the sentences that answer the question, quoted and
   * cited, or an abstention. No model is asked, so nothing it writes can pass for a fact.
   */
  async #ground(thread) {
    try {
      const question = thread.messages.at(-1).content;
      const answer = await this.#parts.grounding.ask(question, thread);
      thread.messages.push(answerMessage(answer));
      return true;
    } catch (err) {
      return err?.told ? false : this.#failed('askFailed', err, true);
    }
  }

  /** Translates with the dictionary, which needs no model (it may still be loading). */
  async #translate(thread, mode) {
    try {
      const text = thread.messages.at(-1).content;
      thread.messages.push(await this.#parts.dictionary.translate(text, mode));
      return true;
    } catch (err) {
      return this.#failed('translateFailed', err, true);
    }
  }

  /**
   * Says why the answer failed (the string `key`); returns false, the turn's outcome. A chat's
   * failure is not said when the model failed to load: that has its own notice (with Retry).
   */
  #failed(key, err, say = Boolean(this.#parts.slot.engine)) {
    const { ui } = this.#parts;
    if (say) {
      const t = this.#host.strings();
      showError(ui.notices, t, t[key], err);
    }
    return false;
  }

  /** Send off (and Stop on, for a chat reply) while a turn runs; the chat's state follows. */
  #showGenerating(on, stoppable) {
    const { ui, composer, slot, grounding } = this.#parts;
    composer.showGenerating(on, stoppable);
    ui.messages.setAttribute('aria-busy', String(on));
    const state = ui.app.dataset.state;
    // After a translation the model may still be loading (translation does not wait for it);
    // with the `source` attribute it is never loaded: the chat is ready while its source reads.
    if (on) setState(ui, 'generating');
    else if (grounding.fixed) setState(ui, grounding.ready ? 'ready' : 'error');
    else if (slot.engine) setState(ui, 'ready');
    else if (slot.loading) setState(ui, 'loading');
    else setState(ui, state === 'generating' ? 'idle' : state);
  }
}
