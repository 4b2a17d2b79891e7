// The indexed sources a Siger worker keeps (siger-worker.js) to answer `ask` requests: a wasm
// `Library` per set of sources, built on the first question about them (milliseconds for a
// lesson, a second or so for a book) and kept, keyed by the sources' content, for the questions
// that follow. Only the last few are kept; the rest are freed, since each holds its texts and
// their index in the wasm memory.

/** Libraries kept: the one asked now, and the one before (a lesson page and a thread's notes). */
const KEPT = 2;

export class KeptLibraries {
  #kept = []; // [{key, glue, library}], the one asked most recently first

  /**
   * The library of `sources` (`[{name, text, title?}]`) in the wasm module `glue`, built if no
   * kept one has the same content in that module. Throws the core's Error for sources it
   * refuses (two with one name, one without a name).
   */
  get(glue, sources) {
    const key = JSON.stringify(sources);
    const at = this.#kept.findIndex((kept) => kept.key === key && kept.glue === glue);
    if (at >= 0) {
      const [hit] = this.#kept.splice(at, 1);
      this.#kept.unshift(hit);
      return hit.library;
    }
    const library = new glue.Library(sources);
    this.#kept.unshift({ key, glue, library });
    for (const old of this.#kept.splice(KEPT)) free(old.library);
    return library;
  }

  /** Drops every library without freeing it: its wasm instance may have trapped. */
  forget() {
    this.#kept = [];
  }
}

function free(library) {
  try {
    library.free();
  } catch {
    // Of an instance replaced since (a lost GPU): nothing to free there.
  }
}
