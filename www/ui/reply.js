// The model's side of a turn: a chat reply, read from its stream as it is written, or a
// translation; and the part of a thread that the engine reads.

/** The user and assistant messages of chat mode, as the engine reads them. */
export function chatMessages(messages) {
  return messages
    .filter((m) => m.mode === 'chat' && (m.role === 'user' || m.role === 'assistant'))
    .map(({ role, content }) => ({ role, content }));
}

/**
 * Reads a streamed reply into the message `reply` (its content, finish reason and usage),
 * calling `onText` after each piece. Counts the pieces and times the first for the speed shown,
 * also when an abort ends the stream (`read` then rejects with an AbortError).
 */
export class ReplyReader {
  pieces = 0;
  firstAt = 0; // performance.now() when the first piece arrived
  #reply;
  #onText;

  constructor(reply, onText) {
    this.#reply = reply;
    this.#onText = onText;
  }

  async read(stream) {
    for await (const chunk of stream) {
      const { delta, finish_reason } = chunk.choices[0];
      if (delta.content) {
        this.pieces += 1;
        this.firstAt ||= performance.now();
        this.#reply.content += delta.content;
        this.#onText();
      }
      if (finish_reason) this.#reply.finish = finish_reason;
      if (chunk.usage) this.#reply.usage = chunk.usage;
    }
  }
}

/**
 * Translates `text` in a translation mode, into the thread's message (tokens with sources), with
 * `translator` (a SigerTranslator, or an engine: both have `translate`).
 */
export async function translation(translator, text, mode) {
  // `lpg-id` is Lampung → Indonesian, `id-lpg` the reverse (ui/view.js, MODES).
  const [from, to] = mode === 'lpg-id' ? ['lpg', 'id'] : ['id', 'lpg'];
  const result = await translator.translate(text, { from, to });
  return { role: 'translation', mode, content: result.text, tokens: result.tokens };
}
