// What the chat says of its engine: while the model loads, the progress bar and each step of
// loading; once it runs, the header's status (the backend, and the last reply's speed). The
// dictionary's download (ui/dictionary.js) shows in a progress bar of its own, in its own words.

import { megabytes } from '../siger-protocol.js';
import { format } from './strings.js';

/** A backend's name in the interface's words. */
export function backendName(backend, t) {
  return backend === 'webgpu' ? t.backendWebgpu : t.backendCpu;
}

/** The strings (keys of ui/strings.js) a progress bar says, the model's by default. */
export const MODEL_WORDS = Object.freeze({
  checking: 'checking',
  downloading: 'downloading',
  fromCache: 'fromCache',
  verifying: 'verifying',
});

/** A progress bar while files load: the bytes of every file so far, then each step. */
export class LoadProgress {
  #box;
  #bar;
  #label;
  #words;
  #files = new Map(); // file -> { loaded, total, fromCache }

  /** `parts`: the bar's `box`, `bar` (a <progress>) and `label` (ui/layout.js). */
  constructor({ box, bar, label }, words = MODEL_WORDS) {
    this.#box = box;
    this.#bar = bar;
    this.#label = label;
    this.#words = words;
  }

  begin(t) {
    this.#files.clear();
    this.#box.hidden = false;
    this.#bar.removeAttribute('value');
    this.#label.textContent = t[this.#words.checking];
  }

  /** Shows a `download`, `verify` or `init` progress event (siger.d.ts); ignores the others. */
  show(event, t) {
    if (event.phase === 'download') this.#download(event, t);
    else if (event.phase === 'verify') this.#label.textContent = t[this.#words.verifying];
    else if (event.phase === 'init') {
      this.#label.textContent = format(t.starting, { backend: backendName(event.backend, t) });
    }
  }

  end() {
    this.#box.hidden = true;
  }

  #download(event, t) {
    // The manifest, a few hundred bytes, is always asked of the network: it says nothing here.
    if (event.file === 'manifest.json') return;
    this.#files.set(event.file, event);
    const all = [...this.#files.values()];
    const loaded = all.reduce((sum, f) => sum + f.loaded, 0);
    const total = all.reduce((sum, f) => sum + f.total, 0);
    if (all.every((f) => f.fromCache)) {
      this.#label.textContent = t[this.#words.fromCache];
    } else {
      const percent = total ? Math.floor((100 * loaded) / total) : 0;
      this.#label.textContent = format(t[this.#words.downloading], {
        loaded: megabytes(loaded),
        total: megabytes(total),
        percent,
      });
    }
    this.#bar.max = total || 1;
    this.#bar.value = loaded;
  }
}

/** The header's status: the backend running the model, then its speed once a reply was timed. */
export class StatusLine {
  #el;
  #rate = null; // tokens per second of the last timed reply
  #loops = null; // loops per token of the last reply, for a recurrent-depth model

  constructor(el) {
    this.#el = el;
  }

  show(engine, t) {
    if (!engine) {
      this.#el.textContent = '';
      return;
    }
    const backend = backendName(engine.backend, t);
    this.#el.dataset.backend = engine.backend;
    this.#el.title = engine.backendReason ?? '';
    const depth =
      this.#loops == null ? '' : ` · ${format(t.depth, { loops: this.#loops.toFixed(1) })}`;
    this.#el.textContent =
      this.#rate == null
        ? `${backend} · ${t.ready}`
        : format(t.statusLine, {
            backend,
            speed: format(t.speed, { rate: this.#rate.toFixed(1) }),
          }) + depth;
  }

  /**
   * Decode speed: the tokens after the first, over the time since the first arrived. Returns
   * false when there is nothing to time (fewer than two tokens).
   */
  measure(tokens, firstAt, loops) {
    if (tokens < 2 || !firstAt) return false;
    this.#rate = (tokens - 1) / ((performance.now() - firstAt) / 1000);
    this.#el.dataset.tokensPerSecond = this.#rate.toFixed(2);
    this.#loops = loops ?? null;
    if (loops == null) delete this.#el.dataset.loopsPerToken;
    else this.#el.dataset.loopsPerToken = loops.toFixed(2);
    return true;
  }

  forget() {
    this.#rate = null;
    this.#loops = null;
  }
}
