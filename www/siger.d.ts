// Type declarations for siger.js, Siger's browser runtime.
//
// The engine runs in a module Web Worker; every method here returns a promise and never blocks
// the page's thread. One engine is one conversation on one model: requests to it run one at a
// time, in the order they were made (a second request waits for the first, it is not refused).

/** Which engine runs the model. */
export type Backend = 'webgpu' | 'cpu';

/** Where a progress event comes from, in order: check, download…, verify, init, ready. */
export type ProgressEvent =
  /**
   * What the worker found before downloading: the backend chosen and why; whether new files
   * will be kept in the Cache API (`caching`), and why or why not (`cache`: no Cache API, or
   * too little storage quota).
   */
  | { phase: 'check'; backend: Backend; reason: string; cache: string; caching: boolean }
  /**
   * A file is arriving; `total` is its size from the manifest. `fromCache` files come from the
   * Cache API in one event with `loaded === total`; the manifest is always asked of the network
   * first (the cache serves it only when the network fails).
   */
  | { phase: 'download'; file: string; loaded: number; total: number; fromCache: boolean }
  /** Every file is being checked against the manifest's sha256. */
  | { phase: 'verify' }
  /** A cached file did not match its sha256; it was deleted and downloaded again. */
  | { phase: 'recovered'; file: string }
  /** The engine is being created (a second `init` with `'cpu'` means WebGPU would not start). */
  | { phase: 'init'; backend: Backend }
  /** The engine is ready. */
  | { phase: 'ready' }
  /**
   * The WebGPU engine failed (a lost device, a driver error, a panic): the CPU engine now runs
   * the model from the bytes the worker kept, and a reply in progress is run again from its
   * messages. Text already streamed is not sent twice; should the CPU's reply differ from it,
   * the request rejects with an Error (send it again). May come at any time after `ready`.
   */
  | { phase: 'fallback'; from: 'webgpu'; to: 'cpu'; reason: string };

export interface LoadOptions {
  /**
   * `'auto'` (the default) takes WebGPU when the browser offers an adapter whose
   * `maxBufferSize` and `maxStorageBufferBindingSize` are at least the weights file's size (an
   * upper bound on the largest tensor, since the manifest lists no tensor sizes), else the CPU;
   * if the WebGPU engine then fails to start, the CPU. A fallback (software) adapter such as
   * SwiftShader, far slower than the CPU engine, makes `'auto'` take the CPU, and so does a
   * WebGPU engine whose greedy reply to a fixed prompt differs from the CPU's. `'webgpu'`
   * rejects when WebGPU cannot be used (a fallback adapter it still uses); `'cpu'` never
   * touches the GPU.
   */
  backend?: 'auto' | Backend;
  /** Called with each step of loading, and later with `fallback`. Exceptions it throws are logged. */
  onProgress?: (event: ProgressEvent) => void;
  /** What `engine.translate` downloads on its first call (default: the shipped dictionary). */
  translation?: TranslationOptions;
  /** Gives the load up: downloads stop, the worker ends, and `load` rejects with the signal's reason. */
  signal?: AbortSignal;
  /**
   * Milliseconds a download may go without receiving a byte before the load fails with an
   * error that says it stalled (default 30000; `Infinity` for never).
   */
  stallTimeout?: number;
}

/**
 * Loads a model: fetches `manifest.json` from the checkpoint folder, checks the device (WebGPU
 * adapter and limits, storage quota, `navigator.deviceMemory` where reported: a model needing
 * more than a third of it is refused), then takes each file from the Cache API or the network,
 * verifies its sha256 against the manifest and starts the engine.
 *
 * Files are cached in the Cache API bucket `'siger-models-v1'` under their URL plus
 * `?sha256=<hash>`, so a new model at the same URL never reads an old file, and a second load
 * makes no request for them. A cached file whose hash is wrong is downloaded again.
 *
 * Rejects with an Error saying what is wrong (a missing or damaged file, `'webgpu'` requested
 * where it cannot run, a worker that cannot start because `pkg/` is not built).
 *
 * @param modelUrl the checkpoint folder (or its `manifest.json`), relative to the page
 */
export function load(modelUrl: string | URL, options?: LoadOptions): Promise<SigerEngine>;

/**
 * A translator that needs no model: it runs in a Web Worker of its own, starts at once and
 * downloads nothing until its first `translate` (or `load`). Throws a TypeError on a malformed
 * option.
 */
export function translator(options?: TranslationOptions): SigerTranslator;

/** `Siger.load(...)` and `Siger.translator(...)`, the same functions as `load` and `translator`. */
export const Siger: { readonly load: typeof load; readonly translator: typeof translator };
export default Siger;

/**
 * What a translator adds to its built-in phrasebook. By default the shipped resources: the
 * `translation/` folder beside siger.js, which `pkg-scripts/build-web` writes from
 * `models/lexicon/resources.json` (the meizano Indonesian ↔ Lampung lexicon, GPL-3.0, and
 * Siger's Indonesian language model, which chooses among a word's senses).
 *
 * The shipped files are listed in that folder's `manifest.json` with their sizes and sha256;
 * each is taken from the Cache API bucket `'siger-translation-v1'` (under its URL plus
 * `?sha256=<hash>`, as the model's files are) or downloaded with progress, and checked against
 * the hash before use: a second visit downloads only the manifest (revalidated, a few hundred
 * bytes). A `lexicon` has no manifest: it is fetched through the HTTP cache (revalidated) and
 * checked by parsing it; a malformed row is an error naming the file and line.
 *
 * A resource that cannot be loaded never fails a translation: it is listed in
 * `TranslationStatus.failed` (and a `failed` progress event), and translation goes on with the
 * phrasebook and whatever did load.
 */
export interface TranslationOptions {
  /**
   * A translation resource folder (or its `manifest.json`), relative to the page; `null` or
   * `false` for none. Default: the shipped resources.
   */
  resources?: string | URL | null | false;
  /**
   * A lexicon file of your own, relative to the page: TSV, JSONL or meizano JSON, told apart
   * by content (the format: `models/lexicon/README.md`). It replaces the lexicons `resources`
   * lists (they are not downloaded); resources of other kinds (the language model) still load.
   * Its words cite its file name. On another origin its server must allow CORS.
   */
  lexicon?: string | URL | null;
  /** With `lexicon`: keep the lexicons of `resources` too, adding `lexicon` to them. */
  keepLexicons?: boolean;
  /** Called with each step of loading the resources. Exceptions it throws are logged. */
  onProgress?: (event: TranslationProgressEvent) => void;
}

/** The steps of loading translation resources: download…, verify, loaded or failed. */
export type TranslationProgressEvent =
  /** New files cannot be kept in the Cache API (`cache` says why): later visits download again. */
  | { phase: 'check'; caching: false; cache: string }
  /** A file is arriving (`manifest.json` first); a `lexicon`'s total is its Content-Length, if sent. */
  | { phase: 'download'; file: string; loaded: number; total: number; fromCache: boolean }
  /** A shipped file is being checked against the manifest's sha256. */
  | { phase: 'verify' }
  /** A cached file did not match its sha256; it was deleted and downloaded again. */
  | { phase: 'recovered'; file: string }
  /** A resource was added. */
  | ({ phase: 'loaded' } & LoadedResource)
  /** A resource could not be used; translation goes on without it. */
  | ({ phase: 'failed' } & FailedResource);

/** A translation resource that was added. */
export interface LoadedResource {
  /** `'lexicon'` (more kinds will come: a language model choosing among word senses). */
  kind: string;
  /** The file's name: what its words cite, unless the file names its own source. */
  name: string;
  url: string;
  /** Entries added, and rows skipped (a row with a word missing). */
  entries: number;
  skipped: number;
  /** For shipped resources: where it comes from, its licence and the licence's text. */
  source?: string;
  licence?: string;
  licence_url?: string;
}

/** A translation resource that could not be used, and why. */
export interface FailedResource {
  /** The resource's kind, or `'manifest'` when the manifest itself could not be read. */
  kind: string;
  name: string;
  url: string;
  /**
   * What went wrong, e.g. `'kamus.tsv:3: expected 6 or 7 tab-separated fields, found 1; fix or
   * delete the row'`, an HTTP status, or a sha256 that does not match the manifest.
   */
  reason: string;
  source?: string;
  licence?: string;
  licence_url?: string;
}

/** What a translator has: entry counts, the resources added, those that failed. */
export interface TranslationStatus {
  /** Entries of the built-in phrasebook. */
  phrasebook: number;
  /** Entries of every lexicon added, together. */
  lexicon: number;
  loaded: LoadedResource[];
  failed: FailedResource[];
}

/** A translator without a model (`Siger.translator()`). */
export interface SigerTranslator {
  /** The resource folder and the lexicon it loads, as absolute URLs (or null). */
  readonly resources: string | null;
  readonly lexicon: string | null;
  /**
   * Downloads and adds the resources, once (later calls answer at once). Never rejects for a
   * resource (see `failed`); `retry: true` loads them all again if one had failed (what is
   * cached comes from the cache). Rejects only when the worker or the wasm cannot start.
   */
  load(options?: { retry?: boolean }): Promise<TranslationStatus>;
  /** As `SigerEngine.translate`; the resources are loaded first if they are not yet. */
  translate(text: string, languages: { from?: Language; to: Language }): Promise<Translation>;
  /** As `SigerEngine.ask`: no model is needed, and no translation resource is downloaded. */
  ask(question: string, options: AskOptions): Promise<Answer>;
  /** Ends the translator's worker; later calls reject. */
  close(): void;
}

/**
 * A text to answer from: a lesson, a chapter, notes, as plain text or markdown. `name` is what
 * its citations say (`lesson#p2.s3`): names must be unique and non-empty. `title` (a heading)
 * is matched against questions besides the text.
 */
export interface AskSource {
  name: string;
  text: string;
  title?: string;
}

export interface AskOptions {
  /**
   * What to answer from: a text, or several (`AskSource`s, or strings, named `sumber-1`,
   * `sumber-2`, … by their place). At most 5 MB of UTF-8 in all (a RangeError past it).
   */
  sources: string | Array<string | AskSource>;
  /** Score below which the answer abstains. Default 0.41 (calibrated); lower answers more, and more wrongly. */
  threshold?: number;
  /** Most sentences one answer quotes, at least 1. Default 2. */
  maxSentences?: number;
  /** How many nearby sentences an abstention offers (one per paragraph). Default 3. */
  closest?: number;
  /** Rejects the pending answer with `signal.reason`, as fetch does. */
  signal?: AbortSignal;
}

/** Where a quoted sentence is in its source. */
export interface Citation {
  /** The source's name. */
  source: string;
  /** The paragraph's id, e.g. `'lesson#p2'` (counted from 1 in the source's own text). */
  passage: string;
  /** The sentence's id, e.g. `'lesson#p2.s3'`. */
  sentence: string;
  /**
   * `[start, end)` of the sentence in the source's text, in UTF-16 code units (string
   * indices): `text.slice(span[0], span[1]) === citation.text`.
   */
  span: [number, number];
  /** `[start, end)` of its paragraph in the source's text, likewise (markdown markers excluded). */
  passage_span: [number, number];
  /** The sentence, exactly as the source writes it. */
  text: string;
  /** Its paragraph, exactly as the source writes it. */
  passage_text: string;
}

/**
 * An answer from sources: "cite or stay silent". Either the sentences of the source that answer
 * the question, quoted (`text`) with their `citations`, or an abstention (`abstained`): `text`
 * then says so in plain words ("Aku tidak menemukan jawabannya di sumber ini.") and `closest`
 * offers the nearest sentences to read. The model writes none of it.
 */
export interface Answer {
  /** The quoted sentences, or the abstention's words. */
  text: string;
  /** The sentences `text` quotes (empty when abstaining). */
  citations: Citation[];
  /** The sources were found not to answer the question. */
  abstained: boolean;
  /** Every content word of `text` is in the citations (always, for quoted sentences). */
  supported: boolean;
  /** With an abstention: up to `closest` nearby sentences, one per paragraph. */
  closest: Citation[];
  /** The best sentence's score, which `threshold` was compared with. */
  score: number;
}

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export interface ChatCompletionRequest {
  /**
   * The whole conversation, ending with a user (or system) message. The engine keeps the state
   * after the messages it has read: when they are a prefix of these, only the new messages are
   * read (cheap, whatever the conversation's length); otherwise it reads them all again. Pass
   * each reply back exactly as it was received to keep that prefix.
   */
  messages: ChatMessage[];
  /** `true`: resolve to a stream of chunks; `false` (default): resolve to the whole reply. */
  stream?: boolean;
  /** Sampling temperature; 0 is greedy (deterministic). Engine default 0.7. */
  temperature?: number;
  /** Nucleus sampling threshold in (0, 1]. Engine default 0.9. */
  top_p?: number;
  /** Sample among the k most likely tokens only. */
  top_k?: number;
  /** Most tokens in the reply. Engine default 256. */
  max_tokens?: number;
  /** Sampling seed: the same seed, request and model give the same reply. Engine default 0. */
  seed?: number;
  /** Penalty for repeating tokens (1 = none). Engine default 1.1. */
  repetition_penalty?: number;
  /**
   * Stops the reply within one token (the worker stops the engine before its next token). As
   * with fetch, the pending promise, or the stream's next read, rejects with `signal.reason` (an
   * `AbortError` DOMException unless you gave another reason). The engine counts the partial
   * reply as the assistant's message; `ChatCompletionStream.finished` then resolves with
   * `finish_reason: 'abort'`.
   */
  signal?: AbortSignal;
  /** Only 1. `stop`, `tools`, `tool_choice`, `functions`, `logprobs` and `response_format` are refused; other OpenAI fields are ignored. */
  n?: 1;
}

/** `'stop'`: the model ended its turn; `'length'`: `max_tokens` reached; `'abort'`: stopped by a signal. */
export type FinishReason = 'stop' | 'length' | 'abort';

export interface Usage {
  /** Tokens read for this request: only the new messages when the earlier ones were reused. */
  prompt_tokens: number;
  /** Pieces the engine returned: one per token, plus at most one closing piece of held-back text. */
  completion_tokens: number;
  total_tokens: number;
  /** Siger's own: messages not read again, thanks to the kept state. */
  reused_messages: number;
  /**
   * Siger's own, for models with a recurrent-depth layer only: the loops it ran per token, on
   * average, while writing the reply.
   */
  loops_per_token?: number;
}

export interface ChatCompletion {
  id: string;
  object: 'chat.completion';
  /** Unix time in seconds. */
  created: number;
  /** The model folder's name, e.g. `'siger-demo'`. */
  model: string;
  choices: [
    { index: 0; message: { role: 'assistant'; content: string }; finish_reason: 'stop' | 'length' },
  ];
  usage: Usage;
}

export interface ChatCompletionChunk {
  id: string;
  object: 'chat.completion.chunk';
  created: number;
  model: string;
  /**
   * Each chunk but the last carries new text (the first also `role: 'assistant'`); the last has
   * an empty delta and the finish reason. Chunks never carry empty text.
   */
  choices: [
    {
      index: 0;
      delta: { role?: 'assistant'; content?: string };
      finish_reason: null | 'stop' | 'length';
    },
  ];
  /** On the last chunk only. */
  usage?: Usage;
}

/**
 * A reply as it is written. Chunks are buffered as they arrive, so reading slowly never holds
 * the engine; leaving a `for await` loop early (`break`) stops the reply.
 */
export interface ChatCompletionStream extends AsyncIterable<ChatCompletionChunk> {
  /** What the engine reported when it began: tokens read and messages reused. */
  readonly started: { prompt_tokens: number; reused_messages: number };
  /**
   * Resolves once the worker has really ended the reply (also after an abort, with
   * `finish_reason: 'abort'` and `tokens_after_abort`: tokens generated after the worker saw
   * the abort, at most 1). Rejects if generation failed.
   */
  readonly finished: Promise<{
    finish_reason: FinishReason;
    usage: Usage;
    tokens_after_abort?: number;
  }>;
}

/**
 * One token of a translation. A field with nothing to say is `undefined` (present, but not
 * `null`).
 */
export interface TranslatedToken {
  /** The output text: one or more words, or one punctuation mark. */
  text: string;
  /** Where the word came from; `'unknown'` words are left as they were. */
  source: 'phrasebook' | 'lexicon' | 'morphology' | 'rule' | 'model' | 'unknown' | 'punctuation';
  /** The source-language entry matched (none for punctuation, unknown words and guesses). */
  entry: string | undefined;
  /**
   * The resource holding the entry, e.g. `'siger-phrasebook'`, `'meizano/lampung (2019,
   * GPL-3.0)'`, or a lexicon's file name.
   */
  source_name: string | undefined;
  /** The Lampung dialect of the entry, when it belongs to exactly one. */
  dialect: Dialect | undefined;
  /** The normalised input this token translates. */
  input: string;
  /** The spelling or morphological rule applied, e.g. `'nasal prefix ng- + lulih'`. */
  rule: string | undefined;
  /** Written directly after the previous token, without a space (clitics such as `-nya`). */
  joined: boolean;
}

/** A Lampung dialect: `'nyo'` (O: Abung, Menggala), `'api'` (A: Pesisir), or not decided. */
export type Dialect = 'nyo' | 'api' | 'unknown';

/** A language as a translation reports it (where `Language` is the code it was asked in). */
export type TranslationLanguage = 'indonesian' | 'english' | { lampung: Dialect };

export interface Translation {
  /** The translated text: the tokens' texts, spaced as the language writes them. */
  text: string;
  tokens: TranslatedToken[];
  /** The language read: the one asked for, or the one detected. */
  from: TranslationLanguage;
  to: TranslationLanguage;
  /** What detection found, when `from` was left out (`undefined` otherwise). */
  detected:
    | {
        /** The most likely language (Indonesian when no word gave any evidence). */
        lang: TranslationLanguage;
        has_evidence: boolean;
        /** The votes for each language and Lampung dialect. */
        scores: { lampung: number; indonesian: number; english: number; nyo: number; api: number };
      }
    | undefined;
}

/** `'id'` Indonesian; `'en'` English; `'lpg'` Lampung (any dialect); `'lpg-nyo'` Nyo (O); `'lpg-api'` Api (A). */
export type Language = 'id' | 'en' | 'lpg' | 'lpg-nyo' | 'lpg-api';

export interface SigerEngine {
  /** The backend running the model now (it becomes `'cpu'` after a `fallback`). */
  readonly backend: Backend;
  /** Why that backend: the adapter and its limits, or what ruled WebGPU out. */
  readonly backendReason: string;
  /** What the engine reports about the model. */
  readonly info: {
    backend: Backend;
    vocab_size: number;
    parameters: number;
    quantization: 'f32' | 'int8' | 'int4';
  };
  /** The model folder's name, used as `model` in completions. */
  readonly model: string;

  readonly chat: {
    readonly completions: {
      /**
       * Writes the assistant's reply to `messages`, OpenAI-style. Rejects at once (TypeError,
       * RangeError) on a malformed request; a stream's promise resolves once the prompt is read.
       */
      create(request: ChatCompletionRequest & { stream: true }): Promise<ChatCompletionStream>;
      create(request: ChatCompletionRequest & { stream?: false }): Promise<ChatCompletion>;
    };
  };

  /**
   * Lookup-first Lampung ↔ Indonesian translation; each output token names its source. `to` is
   * required; leave `from` out to have it detected. Rejects on an unknown language code. The
   * first call downloads the translation resources (`LoadOptions.translation`; by default the
   * shipped dictionary); one that fails leaves the phrasebook and whatever did load.
   */
  translate(text: string, languages: { from?: Language; to: Language }): Promise<Translation>;
  /** Loads the translation resources now (else the first `translate` does), as `SigerTranslator.load`. */
  loadTranslation(options?: { retry?: boolean }): Promise<TranslationStatus>;

  /**
   * Answers `question` from `options.sources` only, never from the model: the sentences that
   * answer it, quoted with their citations, or an abstention with the closest sentences. The
   * sources are indexed in the worker on their first question (milliseconds for a lesson, about
   * a second for a book) and kept for the next ones: the last two sets of sources asked about.
   * Runs in turn with the engine's other requests. Rejects at once with a TypeError on a
   * malformed call (an empty question, sources of the wrong shape or with one name twice, an
   * unknown option), a RangeError past 5 MB of sources.
   */
  ask(question: string, options: AskOptions): Promise<Answer>;

  /** The conversation read so far and the model's state after it (a small file: keep it in IndexedDB). */
  saveSession(): Promise<Uint8Array>;
  /**
   * Continues from `saveSession()` bytes of the same model: the next request whose messages
   * start with the saved conversation reads only what is new. Rejects on another model's session.
   */
  restoreSession(bytes: Uint8Array | ArrayBuffer): Promise<void>;
  /** Frees the model and ends the worker. Requests still pending, and later calls, reject with an Error. */
  unload(): Promise<void>;
}
