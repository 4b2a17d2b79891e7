// Where the chat keeps its threads and settings: IndexedDB (database `siger-chat`), or memory
// when the browser gives no storage (a sandboxed iframe, private modes, blocked storage); and
// the deletion of the Cache API buckets (the files the worker cached) with them. A
// thread is a plain object:
//   { id, title, created, updated, messages: [{ role, content, mode, ... }],
//     session?: Uint8Array, source?: { name, text } }
// `session` is the engine's saved state after the thread's last reply (saveSession), so a
// thread continued after a reload is not read again. `source` is the text its questions are
// answered from (ui/source-panel.js), up to 5 MB.
//
// The text, the session and the source are kept apart (stores `threads`, `sessions` and
// `sources`, by thread id): the text is small and always written first, with its source in the
// same transaction (a thread is never saved without the source it answers from), and a source
// only when it changed; a session (~90 KB for the demo model) is only worth having, so when the
// quota has no room for it the text is still saved. Listing titles reads neither.

import { CACHES } from '../siger-protocol.js';

const DATABASE = 'siger-chat';
/** 1: a thread's session inside its record; 2: sessions in a store of their own; 3: sources. */
const VERSION = 3;

/** Deletes the Cache API buckets Siger fills (the model's, the dictionary's). */
export async function deleteCaches() {
  try {
    for (const name of CACHES) await globalThis.caches?.delete(name); // throws in opaque origins
  } catch {
    // no Cache API here: nothing was cached
  }
}

/** Opens the store; never rejects: without IndexedDB it returns a memory store (`persistent: false`). */
export async function openStore() {
  try {
    const db = await openDatabase();
    return new IndexedDbStore(db);
  } catch {
    return new MemoryStore();
  }
}

function openDatabase() {
  return new Promise((resolve, reject) => {
    const request = globalThis.indexedDB.open(DATABASE, VERSION); // throws in opaque origins
    request.onupgradeneeded = (event) => upgrade(request, event.oldVersion);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
    request.onblocked = () => reject(new Error('the database is held by another tab'));
  });
}

/** Creates the stores an older database lacks, moving a version-1 database's sessions out. */
function upgrade(request, oldVersion) {
  const db = request.result;
  if (oldVersion < 1) {
    db.createObjectStore('threads', { keyPath: 'id' });
    db.createObjectStore('settings');
  }
  if (oldVersion < 2) {
    db.createObjectStore('sessions');
    if (oldVersion === 1) moveSessions(request.transaction);
  }
  if (oldVersion < 3) db.createObjectStore('sources');
}

/** Version 1 kept a thread's session in its record: each moves to the `sessions` store. */
function moveSessions(transaction) {
  const sessions = transaction.objectStore('sessions');
  transaction.objectStore('threads').openCursor().onsuccess = (event) => {
    const cursor = event.target.result;
    if (!cursor) return;
    const { session, ...text } = cursor.value;
    if (session) {
      sessions.put(session, text.id);
      cursor.update(text);
    }
    cursor.continue();
  };
}

function done(request) {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

class IndexedDbStore {
  persistent = true;
  #db;
  #sources = new Map(); // thread id -> the source object last read or written for it

  constructor(db) {
    this.#use(db);
  }

  /** Another tab deleting the database (clear all data) closes this connection; the next call opens a new one. */
  #use(db) {
    this.#db = db;
    db.onversionchange = () => {
      db.close();
      this.#sources.clear(); // another tab may be deleting them: the next save writes them again
      if (this.#db === db) this.#db = null;
    };
  }

  async #connection() {
    if (!this.#db) this.#use(await openDatabase());
    return this.#db;
  }

  async #read(name, action) {
    return done(action((await this.#connection()).transaction(name, 'readonly').objectStore(name)));
  }

  /** Runs `action` on the store(s) `names` in one transaction, until it has committed. */
  async #write(names, action) {
    const tx = (await this.#connection()).transaction(names, 'readwrite');
    action(...[names].flat().map((name) => tx.objectStore(name)));
    await new Promise((resolve, reject) => {
      tx.oncomplete = resolve;
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error ?? new Error('the write was cancelled'));
    });
  }

  /** Every thread without its messages, newest first (no session is read). */
  async listThreads() {
    const all = await this.#read('threads', (store) => store.getAll());
    return all.map(summary).sort((a, b) => b.updated - a.updated);
  }

  /**
   * The thread `id` with its source and session, if they were saved; undefined if there is no
   * such thread.
   */
  async getThread(id) {
    const text = await this.#read('threads', (store) => store.get(id));
    if (!text) return undefined;
    const source = await this.#read('sources', (store) => store.get(id));
    const session = await this.#read('sessions', (store) => store.get(id)).catch(() => null);
    this.#sources.set(id, source ?? undefined);
    return { ...text, ...(source && { source }), ...(session && { session }) };
  }

  /**
   * Saves the thread's text and, if it changed, its source (rejecting if that fails), then its
   * session, best-effort: a session that does not fit is dropped (an older one would not match
   * the text) and said on the console only, since continuing the thread merely reads it again.
   */
  async putThread(thread) {
    const { session, source, ...text } = thread;
    const changed = !this.#sources.has(text.id) || this.#sources.get(text.id) !== source;
    await this.#write(['threads', 'sources'], (threads, sources) => {
      threads.put(text);
      if (changed && source) sources.put(source, text.id);
      else if (changed) sources.delete(text.id);
    });
    this.#sources.set(text.id, source);
    try {
      await this.#write('sessions', (store) =>
        session ? store.put(session, text.id) : store.delete(text.id),
      );
    } catch (err) {
      console.warn(`siger: the engine state of a thread was not saved (${err?.message ?? err})`);
      await this.#write('sessions', (store) => store.delete(text.id)).catch(() => {});
    }
  }

  deleteThread(id) {
    this.#sources.delete(id);
    return this.#write(['threads', 'sessions', 'sources'], (threads, sessions, sources) => {
      threads.delete(id);
      sessions.delete(id);
      sources.delete(id);
    });
  }

  async getSettings() {
    return (await this.#read('settings', (store) => store.get('settings'))) ?? {};
  }

  putSettings(settings) {
    return this.#write('settings', (store) => store.put(settings, 'settings'));
  }

  /** Deletes the whole database; other tabs close their connections when asked (#use). */
  async clear() {
    this.#db?.close();
    this.#db = null;
    this.#sources.clear();
    await new Promise((resolve, reject) => {
      const request = globalThis.indexedDB.deleteDatabase(DATABASE);
      request.onsuccess = resolve;
      request.onerror = () => reject(request.error);
      request.onblocked = () =>
        reject(new Error('another tab holds the database: close it and try again'));
    });
  }
}

class MemoryStore {
  persistent = false;
  #threads = new Map();
  #settings = {};

  async listThreads() {
    return [...this.#threads.values()].map(summary).sort((a, b) => b.updated - a.updated);
  }

  async getThread(id) {
    return structuredClone(this.#threads.get(id));
  }

  async putThread(thread) {
    this.#threads.set(thread.id, structuredClone(thread));
  }

  async deleteThread(id) {
    this.#threads.delete(id);
  }

  async getSettings() {
    return { ...this.#settings };
  }

  async putSettings(settings) {
    this.#settings = { ...settings };
  }

  async clear() {
    this.#threads.clear();
    this.#settings = {};
  }
}

function summary({ id, title, created, updated }) {
  return { id, title, created, updated };
}

/** A new, empty thread. */
export function newThread() {
  const now = Date.now();
  return {
    id: crypto.randomUUID?.() ?? `${now}-${Math.random().toString(36).slice(2)}`,
    title: '',
    created: now,
    updated: now,
    messages: [],
  };
}

/** A store that keeps nothing beyond the page's life (the widget without `threads`). */
export function memoryStore() {
  return new MemoryStore();
}
