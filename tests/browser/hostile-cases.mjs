// The browser tests of hostile input and faults (issue 18): a plain-HTTP school server (no secure
// context, so no SubtleCrypto and no Cache API), a storage quota too tight for the engine's
// saved state, a host page whose CSS aims at everything, internal errors, over-long edits.
// All against the real demo model on the CPU, through the interface as a student uses it.

import assert from 'node:assert/strict';
import { newPage, openPage } from './browser.mjs';
import {
  chooseMode,
  configure,
  messages,
  openChat,
  send,
  sendAndWait,
  texts,
  threadTitles,
  until,
  waitForDictionary,
  waitForState,
} from './chat-ui.mjs';
import { shippedLexicon } from './lexicon.mjs';
import { INSECURE_HOST, TEST_PAGE } from './server.mjs';

const SHORT = { max_tokens: 32 };

export const cases = [];
function test(name, options, body) {
  cases.push({ name, webgpu: options.webgpu ?? false, timeout: options.timeout ?? 60_000, body });
}

/** The Siger server under a name that is not localhost: plain HTTP there is not secure. */
const insecureBase = (server) => server.base.replace('127.0.0.1', INSECURE_HOST);

test(
  'sha256: the script SHA-256 gives the published vectors and equals SubtleCrypto',
  {},
  async ({ context, server }) => {
    const page = await newPage(context);
    await page.goto(server.base + TEST_PAGE);
    const result = await page.evaluate(async () => {
      const { sha256Script } = await import('/siger-sha256.js');
      const hex = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
      const text = (s) => hex(sha256Script(new TextEncoder().encode(s)));
      const vectors = {
        empty: text(''),
        abc: text('abc'),
        twoBlocks: text('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq'),
        million: hex(sha256Script(new Uint8Array(1e6).fill(0x61))),
      };
      // Every length around the block and padding edges, and a few large ones.
      const mismatched = [];
      const lengths = [...Array(200).keys(), 1000, 4095, 4096, 65537, 3_000_001];
      for (const length of lengths) {
        const bytes = new Uint8Array(length).map((_, i) => (i * 2654435761) >>> 24);
        const subtle = hex(new Uint8Array(await crypto.subtle.digest('SHA-256', bytes)));
        if (hex(sha256Script(bytes)) !== subtle) mismatched.push(length);
      }
      return { vectors, mismatched, secure: isSecureContext };
    });
    assert.equal(result.secure, true, 'the test page must be a secure context for SubtleCrypto');
    assert.deepEqual(result.vectors, {
      // FIPS 180-2 appendix B and the NIST example values.
      empty: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
      abc: 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
      twoBlocks: '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1',
      million: 'cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0',
    });
    assert.deepEqual(result.mismatched, [], 'lengths where it differs from SubtleCrypto');
  },
);

test(
  'insecure: on a plain-HTTP school server the page loads the model, answers and translates',
  {},
  async ({ context, server }) => {
    const page = await openChat(context, `${insecureBase(server)}/`);
    const where = await page.evaluate(() => ({
      secure: isSecureContext,
      subtle: typeof globalThis.crypto?.subtle,
      host: location.hostname,
    }));
    assert.deepEqual(where, { secure: false, subtle: 'undefined', host: INSECURE_HOST });
    assert.equal(await page.locator('[data-part=notice][data-kind=error]').count(), 0);
    await configure(page, SHORT);
    const reply = await sendAndWait(page, 'Halo');
    assert.ok((await reply.locator('[data-part=text]').textContent()).length > 0, 'no reply');
    await chooseMode(page, 'lpg-id');
    await waitForDictionary(page);
    const { resource } = shippedLexicon(server.root);
    assert.match(await page.locator('[data-part=dictionary]').textContent(), /meizano/);
    assert.equal(
      await page.locator('[data-part=notice][data-kind=error]').count(),
      0,
      `a resource failed: ${await page.locator('[data-part=notices]').textContent()}`,
    );
    const found = await sendAndWait(page, 'sekula');
    const source = await found.locator('span[data-part=token]').first().getAttribute('data-source');
    assert.equal(source, 'lexicon', `${resource.file} was not used`);
  },
);

test(
  'insecure: there a damaged dictionary is still refused by its sha256, and a damaged model too',
  {},
  async ({ context, server }) => {
    const { resource, bytes } = shippedLexicon(server.root);
    const damaged = Buffer.from(bytes);
    damaged[damaged.indexOf('"sekolah"') + 1] = 'S'.charCodeAt(0); // same size, valid JSON
    await context.route(`**/translation/${resource.file}`, (route) =>
      route.fulfill({ status: 200, body: damaged }),
    );
    const model = new URL('../../www/models/siger-demo/model.safetensors', import.meta.url);
    const weights = Buffer.from(await (await import('node:fs/promises')).readFile(model));
    weights[weights.length - 1] ^= 1;
    await context.route('**/models/siger-demo/model.safetensors', (route) =>
      route.fulfill({ status: 200, body: weights }),
    );
    const page = await newPage(context);
    await page.goto(`${insecureBase(server)}/`);
    await waitForState(page, 'error');
    assert.equal(await page.evaluate(() => isSecureContext), false);
    await chooseMode(page, 'lpg-id');
    const dictionary = page.locator('[data-part=notice][data-kind=error][data-tag=dictionary]');
    await dictionary.first().waitFor();
    assert.deepEqual(
      (await dictionary.allTextContents()).map((t) => /^Kamus .*does not match the sha256/.test(t)),
      [true],
      'the damaged dictionary, and only it, is refused',
    );
    const load = page.locator('[data-part=notice][data-kind=error][data-tag=load]');
    assert.match(await load.locator('details').textContent(), /model\.safetensors.*sha256/);
    await send(page, 'sekula'); // the chat stays in its error state: translation needs no model
    const sekula = messages(page, 'translation');
    await sekula.waitFor();
    const source = await sekula
      .locator('span[data-part=token]')
      .first()
      .getAttribute('data-source');
    assert.equal(source, 'unknown', 'a word was taken from the damaged dictionary');
  },
);

/**
 * From the next page load on, IndexedDB refuses (QuotaExceededError) any write holding more
 * than 64 KB of binary data: room for the text of a thread, none for the engine's saved state.
 */
function tightQuota(page) {
  return page.addInitScript(() => {
    const binary = (value, depth = 0) => {
      if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) return value.byteLength;
      if (!value || typeof value !== 'object' || depth > 3) return 0;
      return Object.values(value).reduce((sum, v) => sum + binary(v, depth + 1), 0);
    };
    for (const method of ['put', 'add']) {
      const original = IDBObjectStore.prototype[method];
      IDBObjectStore.prototype[method] = function (value, ...rest) {
        if (binary(value) > 65536) {
          window.refusedWrites = (window.refusedWrites ?? 0) + 1;
          throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
        }
        return original.call(this, value, ...rest);
      };
    }
  });
}

test(
  'page: when the quota has no room for the engine state, the thread text is still saved whole',
  {},
  async ({ context, server }) => {
    const page = await newPage(context);
    await tightQuota(page);
    await page.goto(`${server.base}/`);
    await waitForState(page, 'ready');
    await configure(page, SHORT);
    await sendAndWait(page, 'Apa itu hujan?');
    await sendAndWait(page, 'Mengapa langit biru?');
    const before = { user: await texts(page, 'user'), assistant: await texts(page, 'assistant') };
    assert.ok((await page.evaluate(() => window.refusedWrites)) > 0, 'no write was refused');
    assert.equal(
      await page.locator('[data-part=notice][data-kind=error]').count(),
      0,
      'a lost engine state was shown as an error: the text is safe, it needs no notice',
    );
    await page.reload();
    await waitForState(page, 'ready');
    assert.deepEqual(
      { user: await texts(page, 'user'), assistant: await texts(page, 'assistant') },
      before,
      'the thread text did not survive the reload',
    );
    assert.deepEqual(await threadTitles(page), ['Apa itu hujan?']);
    const third = await sendAndWait(page, 'Terima kasih');
    assert.ok((await third.locator('[data-part=text]').textContent()).length > 0);
  },
);

/**
 * The raw records of the chat's database, by store: {store: [[key, value], ...]}, binary data
 * as arrays of numbers (what crosses from the page).
 */
function rawDatabase(page) {
  return page.evaluate(async () => {
    const db = await new Promise((ok, fail) => {
      const request = indexedDB.open('siger-chat');
      request.onsuccess = () => ok(request.result);
      request.onerror = () => fail(request.error);
    });
    const plain = (value) => (ArrayBuffer.isView(value) ? { binary: Array.from(value) } : value);
    const out = {};
    for (const name of db.objectStoreNames) {
      const store = db.transaction(name).objectStore(name);
      const [keys, values] = await Promise.all(
        [store.getAllKeys(), store.getAll()].map(
          (r) => new Promise((ok) => (r.onsuccess = () => ok(r.result))),
        ),
      );
      out[name] = keys.map((k, i) => [
        k,
        values[i] && typeof values[i] === 'object' && !ArrayBuffer.isView(values[i])
          ? Object.fromEntries(Object.entries(values[i]).map(([f, v]) => [f, plain(v)]))
          : plain(values[i]),
      ]);
    }
    db.close();
    return out;
  });
}

/** How many records each store of the chat's database holds. */
async function storeSizes(page) {
  const raw = await rawDatabase(page);
  return Object.fromEntries(Object.entries(raw).map(([name, rows]) => [name, rows.length]));
}

test(
  'page: a thread is stored apart from its engine state, the list reads no state, old threads move over',
  {},
  async ({ context, server }) => {
    const page = await openChat(context, `${server.base}/`);
    await configure(page, SHORT);
    await sendAndWait(page, 'Apa itu gravitasi?');
    await until(
      () => storeSizes(page),
      (sizes) => sizes.sessions === 1,
      'the engine state was not saved apart',
    );
    const raw = await rawDatabase(page);
    const [[id, text]] = raw.threads;
    assert.equal(raw.sessions[0][0], id);
    assert.ok(!('session' in text), 'the thread record still holds the engine state');
    const session = raw.sessions[0][1].binary;
    assert.ok(session?.length > 1000, `a session of ${session?.length} bytes`);
    const read = await page.evaluate(async () => {
      const stores = [];
      const objectStore = IDBTransaction.prototype.objectStore;
      IDBTransaction.prototype.objectStore = function (name) {
        stores.push(name);
        return objectStore.call(this, name);
      };
      const store = await (await import('/ui/store.js')).openStore();
      const listed = await store.listThreads();
      IDBTransaction.prototype.objectStore = objectStore;
      return { stores, listed: listed.map((t) => t.title) };
    });
    assert.deepEqual(read, { stores: ['threads'], listed: ['Apa itu gravitasi?'] });

    // An earlier version's database: one store, each thread with its session inside.
    const old = { ...text, session };
    await page.goto(server.base + TEST_PAGE);
    await page.evaluate(async (thread) => {
      const wait = (request) =>
        new Promise((ok, fail) => {
          request.onsuccess = () => ok(request.result);
          request.onerror = () => fail(request.error);
        });
      await wait(indexedDB.deleteDatabase('siger-chat'));
      const open = indexedDB.open('siger-chat', 1);
      open.onupgradeneeded = () => {
        open.result.createObjectStore('threads', { keyPath: 'id' });
        open.result.createObjectStore('settings');
      };
      const db = await wait(open);
      const tx = db.transaction('threads', 'readwrite');
      tx.objectStore('threads').put({ ...thread, session: new Uint8Array(thread.session) });
      await new Promise((ok) => (tx.oncomplete = ok));
      db.close();
    }, old);
    await page.goto(`${server.base}/`);
    await waitForState(page, 'ready');
    assert.deepEqual(await threadTitles(page), ['Apa itu gravitasi?']);
    assert.deepEqual(await texts(page, 'user'), ['Apa itu gravitasi?']);
    const migrated = await rawDatabase(page);
    assert.ok(!('session' in migrated.threads[0][1]), 'the old record was not split');
    assert.deepEqual(migrated.sessions[0][1].binary, session, 'the engine state was not moved');
    await configure(page, SHORT);
    const next = await sendAndWait(page, 'Mengapa benda jatuh?');
    const reused = Number(await next.getAttribute('data-reused-messages'));
    assert.ok(reused > 0, `the migrated engine state was not used (reused_messages ${reused})`);
  },
);

test(
  'widget: a host page styling * with !important cannot blow it up: its own type, every chip shown',
  {},
  async ({ context, host }) => {
    const page = await newPage(context);
    await page.setViewportSize({ width: 900, height: 800 });
    await page.goto(`${host.base}/hostile.html`);
    await waitForState(page, 'ready');
    const inside = await page.locator('siger-chat').evaluate((element) => {
      const root = element.shadowRoot;
      const style = (selector) => getComputedStyle(root.querySelector(selector));
      const box = (e) => e.getBoundingClientRect().toJSON();
      const app = root.querySelector('[data-part=app]');
      return {
        app: box(app),
        chips: [...root.querySelectorAll('button[data-mode]')].map(box),
        modes: box(root.querySelector('.modes')),
        main: {
          fontSize: style('[data-part=messages]').fontSize,
          lineHeight: style('[data-part=messages]').lineHeight,
          fontFamily: style('[data-part=messages]').fontFamily,
          color: style('[data-part=messages]').color,
        },
        chipFont: style('button[data-mode]').fontSize,
        hostFont: getComputedStyle(document.body).fontSize,
      };
    });
    await page.screenshot({ path: '/tmp/hostile.png' });
    assert.equal(inside.hostFont, '40px', 'the host page is not hostile: the check means nothing');
    assert.equal(inside.main.fontSize, '16px', 'the host font size reached in');
    assert.equal(inside.main.lineHeight, '24px', 'the host line height reached in');
    assert.doesNotMatch(inside.main.fontFamily, /fantasy/, 'the host font reached in');
    assert.notEqual(inside.main.color, 'rgb(255, 0, 0)', 'the host colour reached in');
    assert.equal(inside.chipFont, '14.4px');
    for (const chip of inside.chips) {
      for (const [outer, name] of [
        [inside.app, 'widget'],
        [inside.modes, 'chip row'],
      ]) {
        const within =
          chip.left >= outer.left - 0.5 &&
          chip.right <= outer.right + 0.5 &&
          chip.top >= outer.top - 0.5 &&
          chip.bottom <= outer.bottom + 0.5;
        assert.ok(within, `a chip ${JSON.stringify(chip)} is cut off by the ${name}`);
      }
    }
    await chooseMode(page, 'lpg-id');
    const translation = await sendAndWait(page, 'Nyak haga mengan!');
    assert.equal(
      (await translation.locator('[data-part=text]').textContent()).toLowerCase(),
      'saya mau makan!',
    );
  },
);

test(
  'page: a fault inside Siger is told in plain words, its technical text kept in a details element',
  {},
  async ({ context, server }) => {
    // The worker's file code fails as a script bug would (a TypeError), as SubtleCrypto's
    // absence once made it fail.
    await context.route('**/siger-files.js', async (route) => {
      const body = (await (await route.fetch()).text()).replace(
        'export async function obtainFiles(base, files, store, progress) {',
        '$&\n  undefined.digest();',
      );
      assert.ok(body.includes('undefined.digest'), 'siger-files.js has no obtainFiles to break');
      await route.fulfill({ status: 200, body, contentType: 'text/javascript' });
    });
    const page = await newPage(context);
    await page.goto(`${server.base}/`);
    await waitForState(page, 'error');
    const notice = page.locator('[data-part=notice][data-kind=error][data-tag=load]');
    const said = await notice.locator('p').textContent();
    assert.doesNotMatch(said, /Cannot read|undefined|digest|TypeError/, said);
    assert.match(said, /^Model gagal dimuat: terjadi kesalahan di dalam Siger\./);
    const details = notice.locator('details');
    assert.ok(await details.locator('summary').isVisible(), 'no technical details to open');
    assert.ok(!(await details.evaluate((d) => d.open)), 'the details are open from the start');
    assert.match(await details.textContent(), /Cannot read properties of undefined.*digest/);
  },
);

test(
  'page: the edit box takes no more than the input box, and both say when the limit is reached',
  {},
  async ({ context, server }) => {
    const page = await openChat(context, `${server.base}/`);
    await configure(page, SHORT);
    await sendAndWait(page, 'Halo');
    const input = page.locator('textarea[data-part=input]');
    const limit = Number(await input.getAttribute('maxlength'));
    assert.ok(limit > 0, 'the input box has no limit');
    const long = 'kata '.repeat(limit); // five times the limit
    await input.fill(long);
    assert.equal((await input.inputValue()).length, limit);
    const inputHint = page.locator('[data-part=input-limit]');
    assert.match(await inputHint.textContent(), new RegExp(`${limit.toLocaleString('id-ID')}`));
    assert.ok(await inputHint.isVisible(), 'the input box did not say its limit was reached');
    await input.fill('');
    assert.ok(await inputHint.isHidden(), 'the limit notice stayed on an empty box');

    await page.locator('article[data-role=user] button[data-action=edit]').click();
    const editor = page.locator('textarea[data-part=edit-input]');
    assert.equal(await editor.getAttribute('maxlength'), String(limit));
    await editor.fill(long);
    assert.equal((await editor.inputValue()).length, limit);
    const editHint = page.locator('[data-part=edit-limit]');
    assert.ok(await editHint.isVisible(), 'the edit box did not say its limit was reached');
    assert.equal(await editHint.textContent(), await inputHint.textContent());
    await page.locator('button[data-action=resend]').click();
    await waitForState(page, 'ready');
    const sent = await texts(page, 'user');
    assert.equal(sent.length, 1);
    assert.ok(sent[0].length <= limit, `a message of ${sent[0].length} characters was sent`);
    assert.equal(await messages(page, 'assistant').count(), 1);
  },
);

test(
  'load: a server that stops sending fails the load after stallTimeout, saying so; an AbortSignal gives a load up at once',
  {},
  async ({ context, server }) => {
    const weights = '/models/siger-demo/model.safetensors';
    server.stall(weights, 4096);
    try {
      const page = await openPage(context, server);
      const stalled = await page.evaluate(async () => {
        const started = performance.now();
        try {
          await Siger.load('/models/siger-demo/', { backend: 'cpu', stallTimeout: 1500 });
          return { loaded: true };
        } catch (err) {
          return { message: err.message, ms: performance.now() - started };
        }
      });
      assert.match(
        stalled.message ?? '',
        /model\.safetensors sent nothing for 1\.5 s: the download stalled\. Check the network/,
      );
      // The timer runs from the last byte: well before the test's own timeout.
      assert.ok(stalled.ms < 20_000, `took ${stalled.ms} ms`);

      const aborted = await page.evaluate(async () => {
        const controller = new AbortController();
        const events = [];
        const loading = Siger.load('/models/siger-demo/', {
          backend: 'cpu',
          stallTimeout: Infinity,
          signal: controller.signal,
          onProgress: (e) => {
            events.push(e.phase);
            if (e.phase === 'download' && e.file === 'model.safetensors') controller.abort();
          },
        });
        try {
          await loading;
          return { loaded: true };
        } catch (err) {
          return { name: err.name, events };
        }
      });
      assert.equal(aborted.name, 'AbortError', JSON.stringify(aborted));
      const before = await page.evaluate(async () => {
        try {
          await Siger.load('/models/siger-demo/', { signal: AbortSignal.abort() });
          return 'loaded';
        } catch (err) {
          return err.name;
        }
      });
      assert.equal(before, 'AbortError', 'an aborted signal refuses the load before it starts');
      const bad = await page.evaluate(() =>
        Siger.load('/models/siger-demo/', { stallTimeout: -1 }).catch((e) => e.constructor.name),
      );
      assert.equal(bad, 'TypeError');
    } finally {
      server.unstall(weights);
    }
    // Once the server sends again, the same page loads the model.
    const page = context.pages()[0];
    const loaded = await page.evaluate(() => loadEngine({ backend: 'cpu' }).then((e) => e.backend));
    assert.equal(loaded, 'cpu');
  },
);
