// The browser tests of www/siger.js, each against the real demo model (www/models/siger-demo).
// Each gets a fresh browser context (empty Cache API), the static server, and the test page.
// SwiftShader's WebGPU is slow: the WebGPU tests keep replies short.

import assert from 'node:assert/strict';
import { goToTestPage, openPage, requestsDuring } from './browser.mjs';
import { goldenReplies } from './golden.mjs';
import {
  BROKEN_LEXICON,
  MEIZANO_CITATION,
  TEACHER_LEXICON,
  checkKnownWords,
  shippedLexicon,
} from './lexicon.mjs';

const MODEL_FILES = ['config.json', 'tokenizer.json', 'model.safetensors'];
const MODEL_DIR = '/models/siger-demo/';
const TRANSLATION_DIR = '/translation/';
const GREEDY = { temperature: 0, max_tokens: 8 };
const ask = (content) => [{ role: 'user', content }];

export const cases = [];
function test(name, options, body) {
  cases.push({ name, webgpu: options.webgpu ?? true, timeout: options.timeout ?? 120_000, body });
}

test(
  'load (cpu): download progress for every file, verify, init, ready',
  {},
  async ({ context, server }) => {
    const page = await openPage(context, server);
    const loaded = await page.evaluate(() => loadEngine({ backend: 'cpu' }));
    assert.equal(loaded.backend, 'cpu');
    assert.match(loaded.backendReason, /CPU/);
    assert.equal(loaded.info.backend, 'cpu');
    assert.ok(loaded.info.vocab_size > 0, `vocab_size ${loaded.info.vocab_size}`);
    const phases = loaded.events.map((e) => e.phase);
    for (const file of MODEL_FILES) {
      const downloads = loaded.events.filter((e) => e.phase === 'download' && e.file === file);
      assert.ok(downloads.length >= 1, `no download event for ${file}`);
      const last = downloads.at(-1);
      assert.ok(
        last.total > 0 && last.loaded === last.total,
        `${file}: last event ${JSON.stringify(last)}`,
      );
      assert.ok(
        downloads.every((e) => e.fromCache === false),
        `${file} came from an empty cache`,
      );
      assert.ok(
        downloads.every((e, i) => i === 0 || e.loaded >= downloads[i - 1].loaded),
        `${file}: loaded went down`,
      );
    }
    const big = loaded.events.filter(
      (e) => e.phase === 'download' && e.file === 'model.safetensors',
    );
    assert.ok(
      big.length >= 2,
      `model.safetensors arrived in ${big.length} progress event(s): no progress shown`,
    );
    const order = ['verify', 'init', 'ready'].map((p) => phases.indexOf(p));
    assert.ok(
      order.every((i, k) => i > phases.lastIndexOf('download') && (k === 0 || i > order[k - 1])),
      `phases: ${phases}`,
    );
    assert.deepEqual(
      loaded.events.find((e) => e.phase === 'init'),
      { phase: 'init', backend: 'cpu' },
    );
  },
);

test(
  'stream (cpu): the reply grows chunk by chunk, and equals the non-streamed one',
  {},
  async ({ context, server }) => {
    const page = await openPage(context, server);
    await page.evaluate(() => loadEngine({ backend: 'cpu' }));
    const request = { messages: ask('Apa itu fotosintesis?'), ...GREEDY };
    const streamed = await page.evaluate((r) => streamReply(0, r), request);
    const withText = streamed.chunks.filter((c) => c.choices[0].delta.content);
    assert.ok(withText.length >= 2, `${withText.length} chunk(s) with text`);
    for (const chunk of streamed.chunks) {
      assert.equal(chunk.object, 'chat.completion.chunk');
      assert.equal(chunk.model, 'siger-demo');
      assert.match(chunk.id, /^chatcmpl-/);
    }
    assert.equal(streamed.chunks[0].choices[0].delta.role, 'assistant');
    assert.ok(
      ['stop', 'length'].includes(streamed.finish_reason),
      `finish_reason ${streamed.finish_reason}`,
    );
    assert.ok(
      streamed.usage.prompt_tokens > 0 && streamed.usage.completion_tokens > 0,
      JSON.stringify(streamed.usage),
    );
    // The demo has no recurrent-depth layer: its usage says nothing of loops.
    assert.ok(!('loops_per_token' in streamed.usage), JSON.stringify(streamed.usage));
    // The same request again, whole: the engine starts over from the same prompt, greedily.
    const whole = await page.evaluate((r) => reply(0, r), request);
    assert.equal(whole.text, streamed.text);
    assert.equal(whole.completion.object, 'chat.completion');
    assert.equal(whole.completion.choices[0].finish_reason, streamed.finish_reason);
  },
);

/** Greedy replies to the golden prompts through siger.js; they must equal the native decode. */
async function checkGolden(page, server, backend) {
  const golden = goldenReplies(`${server.root}/`);
  const loaded = await page.evaluate((b) => loadEngine({ backend: b }), backend);
  assert.equal(loaded.backend, backend);
  for (const { prompt, text } of golden.cases) {
    // Sampler::greedy(): no repetition penalty, no nucleus.
    const request = {
      messages: ask(prompt),
      temperature: 0,
      top_p: 1,
      repetition_penalty: 1,
      max_tokens: golden.maxTokens,
    };
    const streamed = await page.evaluate(([i, r]) => streamReply(i, r), [loaded.index, request]);
    assert.equal(streamed.text, text, `prompt ${JSON.stringify(prompt)}`);
    assert.equal(streamed.usage.completion_tokens, golden.maxTokens);
  }
}

test(
  'golden (cpu): greedy replies equal the native decode of tests/reference/golden-demo.json',
  {},
  async ({ context, server }) => {
    await checkGolden(await openPage(context, server), server, 'cpu');
  },
);

test(
  'abort (cpu): aborting after the first chunk stops within one token',
  {},
  async ({ context, server }) => {
    const page = await openPage(context, server);
    await page.evaluate(() => loadEngine({ backend: 'cpu' }));
    const outcome = await page.evaluate(async () => {
      const controller = new AbortController();
      const stream = await engines[0].chat.completions.create({
        messages: [{ role: 'user', content: 'Ceritakan tentang sejarah Indonesia.' }],
        stream: true,
        temperature: 1,
        seed: 7,
        max_tokens: 200,
        signal: controller.signal,
      });
      let after = 0;
      let error = null;
      try {
        for await (const chunk of stream) {
          if (controller.signal.aborted) after += 1;
          else if (chunk.choices[0].delta.content) controller.abort();
        }
      } catch (err) {
        error = { name: err.name, isDOMException: err instanceof DOMException };
      }
      const finished = await stream.finished;
      // The engine is free again, and its conversation holds the partial reply.
      const next = await engines[0].chat.completions.create({
        messages: [{ role: 'user', content: 'Apa kabar?' }],
        temperature: 0,
        max_tokens: 4,
      });
      return { after, error, finished, next: next.choices[0].finish_reason };
    });
    assert.deepEqual(
      outcome.error,
      { name: 'AbortError', isDOMException: true },
      'iteration rejects like fetch',
    );
    assert.ok(outcome.after <= 1, `${outcome.after} chunks after the abort`);
    assert.equal(
      outcome.finished.finish_reason,
      'abort',
      `the reply ended by itself first: ${JSON.stringify(outcome.finished)}`,
    );
    assert.ok(
      outcome.finished.tokens_after_abort <= 1,
      `${outcome.finished.tokens_after_abort} tokens after the worker saw the abort`,
    );
    assert.ok(
      outcome.finished.usage.completion_tokens < 200,
      JSON.stringify(outcome.finished.usage),
    );
    assert.ok(['stop', 'length'].includes(outcome.next));
  },
);

test(
  'abort (cpu): an aborted whole reply, queued request or already-aborted signal rejects with AbortError',
  {},
  async ({ context, server }) => {
    const page = await openPage(context, server);
    await page.evaluate(() => loadEngine({ backend: 'cpu' }));
    const names = await page.evaluate(async () => {
      const { completions } = engines[0].chat;
      const outcome = (promise) =>
        promise.then(
          (c) => `resolved (${c.choices[0].finish_reason})`,
          (e) => e.name,
        );
      const messages = [{ role: 'user', content: 'Apa itu hujan?' }];
      const early = await outcome(completions.create({ messages, signal: AbortSignal.abort() }));
      // A request aborted while it waits behind another never runs; the one ahead is unharmed.
      const ahead = completions.create({ messages, max_tokens: 20, temperature: 1 });
      const waiting = new AbortController();
      const queued = outcome(completions.create({ messages, signal: waiting.signal }));
      waiting.abort();
      const [queuedName, aheadName] = await Promise.all([queued, outcome(ahead)]);
      const running = new AbortController();
      const pending = completions.create({
        messages,
        max_tokens: 200,
        temperature: 1,
        signal: running.signal,
      });
      setTimeout(() => running.abort(), 5);
      return { early, queuedName, aheadName, late: await outcome(pending) };
    });
    assert.equal(names.early, 'AbortError');
    assert.equal(names.queuedName, 'AbortError');
    assert.match(names.aheadName, /^resolved/);
    assert.equal(names.late, 'AbortError', 'the reply ended before the abort 5 ms in');
  },
);

test(
  'session (cpu): restored after a page reload, turn 2 equals the uninterrupted run',
  {},
  async ({ context, server }) => {
    const page = await openPage(context, server);
    await page.evaluate(() => loadEngine({ backend: 'cpu' }));
    const turn1 = ask('Apa itu gravitasi?');
    const reply1 = (await page.evaluate((m) => reply(0, m), { messages: turn1, ...GREEDY })).text;
    assert.ok(reply1.length > 0, 'reply 1 is empty');
    const session = await page.evaluate(() => saveSession(0));
    const turn2 = [
      ...turn1,
      { role: 'assistant', content: reply1 },
      { role: 'user', content: 'Mengapa benda jatuh?' },
    ];
    const uninterrupted = await page.evaluate((r) => reply(0, r), { messages: turn2, ...GREEDY });
    assert.equal(
      uninterrupted.completion.usage.reused_messages,
      2,
      'the uninterrupted run reread turn 1',
    );

    await goToTestPage(page, server);
    await page.evaluate(() => loadEngine({ backend: 'cpu' }));
    await page.evaluate((bytes) => restoreSession(0, bytes), session);
    const restored = await page.evaluate((r) => reply(0, r), { messages: turn2, ...GREEDY });
    assert.equal(restored.completion.usage.reused_messages, 2, 'the restored engine reread turn 1');
    assert.ok(uninterrupted.text.length > 0, 'reply 2 is empty: the comparison would mean nothing');
    assert.equal(restored.text, uninterrupted.text);
    // Without the session the same request reads everything: the check above can fail.
    await page.evaluate(() => loadEngine({ backend: 'cpu' }));
    const cold = await page.evaluate((r) => reply(1, r), { messages: turn2, ...GREEDY });
    assert.equal(cold.completion.usage.reused_messages, 0);
    const garbage = await page.evaluate(() =>
      engines[1].restoreSession(new Uint8Array([1, 2, 3])).then(
        () => null,
        (e) => e.message,
      ),
    );
    assert.ok(garbage, 'restoring garbage bytes succeeded');
  },
);

test(
  'cache: a reload loads with no request for model files, all fromCache',
  {},
  async ({ context, server }) => {
    const page = await openPage(context, server);
    await page.evaluate(() => loadEngine({ backend: 'cpu' }));
    const keys = await page.evaluate(() => cachedKeys());
    for (const file of MODEL_FILES) {
      assert.ok(
        keys.some((k) => k.includes(`${MODEL_DIR}${file}?sha256=`)),
        `${file} not cached: ${keys}`,
      );
    }
    const before = MODEL_FILES.map((f) => server.count(MODEL_DIR + f));
    await goToTestPage(page, server);
    let loaded;
    const paths = await requestsDuring(context, async () => {
      loaded = await page.evaluate(() => loadEngine({ backend: 'cpu' }));
    });
    const modelRequests = paths.filter((p) => MODEL_FILES.some((f) => p === MODEL_DIR + f));
    assert.deepEqual(modelRequests, [], 'the browser asked for model files');
    assert.deepEqual(
      MODEL_FILES.map((f) => server.count(MODEL_DIR + f)),
      before,
      'the server was asked for model files',
    );
    assert.ok(
      paths.includes(`${MODEL_DIR}manifest.json`),
      `the manifest was not revalidated: ${paths}`,
    );
    const downloads = loaded.events.filter(
      (e) => e.phase === 'download' && e.file !== 'manifest.json',
    );
    assert.equal(downloads.length, MODEL_FILES.length);
    assert.ok(
      downloads.every((e) => e.fromCache && e.loaded === e.total),
      JSON.stringify(downloads),
    );
    assert.ok(loaded.events.some((e) => e.phase === 'ready'));
  },
);

test(
  'cache: a copy an earlier manifest named is pruned on the next load',
  {},
  async ({ context, server }) => {
    const page = await openPage(context, server);
    await page.evaluate(() => loadEngine({ backend: 'cpu' }));
    // What an update at the same URL leaves: the file under its old sha256.
    const stale = await page.evaluate(async (dir) => {
      const cache = await caches.open('siger-models-v1');
      const url = new URL(`${dir}tokenizer.json?sha256=${'0'.repeat(64)}`, location.href).href;
      await cache.put(url, new Response(new Uint8Array(1000)));
      return url;
    }, MODEL_DIR);
    assert.ok((await page.evaluate(() => cachedKeys())).includes(stale));
    await goToTestPage(page, server);
    await page.evaluate(() => loadEngine({ backend: 'cpu' }));
    const keys = await page.evaluate(() => cachedKeys());
    assert.ok(!keys.includes(stale), 'the old copy is still cached');
    for (const file of MODEL_FILES) {
      assert.ok(
        keys.some((k) => k.includes(`${MODEL_DIR}${file}?sha256=`)),
        `${file} not cached`,
      );
    }
  },
);

test(
  'cache: a cached file whose body cannot be read is dropped and downloaded again',
  {},
  async ({ context, server }) => {
    const page = await openPage(context, server);
    await page.evaluate(() => loadEngine({ backend: 'cpu' }));
    const before = server.count(`${MODEL_DIR}model.safetensors`);
    // The worker's Cache then hands back the weights with a body that fails to read, as a disk
    // error would.
    await context.route('**/siger-worker.js', async (route) => {
      const response = await route.fetch();
      const body = `const realMatch = Cache.prototype.match;
Cache.prototype.match = async function (request, options) {
  const found = await realMatch.call(this, request, options);
  if (found && String(request.url ?? request).includes('model.safetensors')) {
    found.arrayBuffer = () => Promise.reject(new DOMException('simulated disk error', 'NotReadableError'));
  }
  return found;
};
${await response.text()}`;
      await route.fulfill({ response, body });
    });
    await goToTestPage(page, server);
    const loaded = await page.evaluate(() => loadEngine({ backend: 'cpu' }));
    assert.equal(loaded.backend, 'cpu');
    const weights = loaded.events.filter(
      (e) => e.phase === 'download' && e.file === 'model.safetensors',
    );
    assert.ok(weights.length > 0 && weights.every((e) => !e.fromCache), JSON.stringify(weights));
    assert.equal(server.count(`${MODEL_DIR}model.safetensors`), before + 1);
    const answer = await page.evaluate(() =>
      reply(0, { messages: [{ role: 'user', content: 'Halo' }], temperature: 0, max_tokens: 4 }),
    );
    assert.ok(answer.completion.usage.completion_tokens > 0);
    // The fresh copy is cached again: without the fault, the next load reads it from there.
    await context.unrouteAll();
    await goToTestPage(page, server);
    await page.evaluate(() => loadEngine({ backend: 'cpu' }));
    assert.equal(server.count(`${MODEL_DIR}model.safetensors`), before + 1);
  },
);

test('cache: a corrupted cached file is recovered', {}, async ({ context, server }) => {
  const page = await openPage(context, server);
  await page.evaluate(() => loadEngine({ backend: 'cpu' }));
  for (const file of ['model.safetensors', 'tokenizer.json']) {
    assert.ok(await page.evaluate((f) => corruptCached(f), file), `${file} was not cached`);
  }
  const before = server.count(`${MODEL_DIR}model.safetensors`);
  await goToTestPage(page, server);
  const loaded = await page.evaluate(() => loadEngine({ backend: 'cpu' }));
  const recovered = loaded.events
    .filter((e) => e.phase === 'recovered')
    .map((e) => e.file)
    .sort();
  assert.deepEqual(recovered, ['model.safetensors', 'tokenizer.json']);
  assert.equal(
    server.count(`${MODEL_DIR}model.safetensors`),
    before + 1,
    'model.safetensors was not fetched once more',
  );
  const answer = await page.evaluate(() =>
    reply(0, { messages: [{ role: 'user', content: 'Halo' }], temperature: 0, max_tokens: 4 }),
  );
  assert.ok(answer.completion.usage.completion_tokens > 0);
  // The repaired entries serve the next load.
  await goToTestPage(page, server);
  const again = await page.evaluate(() => loadEngine({ backend: 'cpu' }));
  assert.ok(!again.events.some((e) => e.phase === 'recovered'), 'the repaired entry was bad again');
  assert.equal(server.count(`${MODEL_DIR}model.safetensors`), before + 1);
});

test(
  'errors: a missing model, a bad request and a bad backend say what is wrong',
  {},
  async ({ context, server }) => {
    const page = await openPage(context, server);
    const missing = await page.evaluate(() => loadError({ url: '/models/no-such-model/' }));
    assert.ok(missing?.isError, 'loading a missing model did not reject with an Error');
    assert.match(missing.message, /manifest\.json.*HTTP 404/);
    const backend = await page.evaluate(() => loadError({ backend: 'gpu' }));
    assert.match(backend.message, /backend must be one of/);
    await page.evaluate(() => loadEngine({ backend: 'cpu' }));
    const bad = await page.evaluate(() =>
      engines[0].chat.completions
        .create({
          messages: [
            { role: 'user', content: 'a' },
            { role: 'assistant', content: 'b' },
          ],
        })
        .then(
          () => null,
          (e) => `${e.name}: ${e.message}`,
        ),
    );
    assert.match(bad ?? '', /TypeError: .*nothing to answer/);
    const unloaded = await page.evaluate(async () => {
      const running = engines[0].chat.completions.create({
        messages: [{ role: 'user', content: 'Halo' }],
        max_tokens: 200,
      });
      await engines[0].unload();
      const after = await engines[0].translate('nyak', { to: 'id' }).then(
        () => null,
        (e) => e.message,
      );
      return {
        running: await running.then(
          () => null,
          (e) => e.message,
        ),
        after,
      };
    });
    assert.match(unloaded.running ?? '', /unloaded/);
    assert.match(unloaded.after ?? '', /unloaded/);
  },
);

test(
  'queue (cpu): two requests at once both complete, in order',
  {},
  async ({ context, server }) => {
    const page = await openPage(context, server);
    await page.evaluate(() => loadEngine({ backend: 'cpu' }));
    const texts = await page.evaluate(async () => {
      const request = {
        messages: [{ role: 'user', content: 'Apa itu air?' }],
        temperature: 0,
        max_tokens: 6,
      };
      const [a, b] = await Promise.all([reply(0, request), reply(0, request)]);
      return [a.text, b.text];
    });
    assert.ok(texts[0].length > 0);
    assert.equal(texts[0], texts[1]);
  },
);

/** Loads the demo model on the CPU, its translation progress events kept on the engine. */
function loadWithTranslation(page, translation = {}) {
  return page.evaluate(async (options) => {
    const events = [];
    const engine = await Siger.load('/models/siger-demo/', {
      backend: 'cpu',
      translation: { ...options, onProgress: (e) => events.push(e) },
    });
    engine.translationEvents = events;
    return window.engines.push(engine) - 1;
  }, translation);
}

const SENTENCES = ['Sekula nyak ngeliak adek ku lagi tiduk', 'Nyak haga mengan di warung'];

test(
  'translate (cpu): engine.translate downloads the shipped dictionary on first use, checked and cached',
  {},
  async ({ context, server }) => {
    const { manifest, resource, lampung } = shippedLexicon(server.root);
    const file = `${TRANSLATION_DIR}${resource.file}`;
    const page = await openPage(context, server);
    let index;
    const loading = await requestsDuring(context, async () => {
      index = await loadWithTranslation(page);
    });
    assert.deepEqual(
      loading.filter((p) => p.startsWith(TRANSLATION_DIR)),
      [],
      'the dictionary was downloaded with the model',
    );
    const translate = (text) =>
      page.evaluate(([i, t]) => engines[i].translate(t, { from: 'lpg', to: 'id' }), [index, text]);
    let first;
    const translating = await requestsDuring(context, async () => {
      first = await translate(SENTENCES[0]);
    });
    assert.ok(translating.includes(`${TRANSLATION_DIR}manifest.json`), `${translating}`);
    assert.ok(translating.includes(file), `the dictionary was not downloaded: ${translating}`);
    for (const [sentence, result] of [
      [SENTENCES[0], first],
      [SENTENCES[1], await translate(SENTENCES[1])],
    ]) {
      const { known, problems } = checkKnownWords(sentence, result.tokens, lampung);
      assert.ok(known.length >= 3, `only ${known} of "${sentence}" are in the lexicon`);
      assert.deepEqual(problems, [], `"${sentence}" → ${JSON.stringify(result.tokens)}`);
      const cited = result.tokens.filter((t) => t.source === 'lexicon');
      assert.ok(cited.length >= 1, `no lexicon word in "${sentence}"`);
      assert.ok(
        cited.every((t) => t.source_name === MEIZANO_CITATION),
        JSON.stringify(cited),
      );
    }
    const status = await page.evaluate((i) => engines[i].loadTranslation(), index);
    assert.deepEqual(status.failed, []);
    assert.deepEqual(
      status.loaded.map((r) => [r.kind, r.name]),
      manifest.resources.map((r) => [r.kind, r.file]),
      'not every shipped resource was loaded',
    );
    const loaded = status.loaded.find((r) => r.name === resource.file);
    assert.equal(loaded.name, resource.file);
    assert.equal(loaded.licence, 'GPL-3.0');
    assert.equal(loaded.source, resource.source);
    assert.equal(
      new URL(loaded.licence_url).pathname,
      `${TRANSLATION_DIR}${resource.licence_file}`,
    );
    assert.ok(loaded.entries > 10_000 && status.lexicon === loaded.entries, JSON.stringify(status));
    const events = await page.evaluate((i) => engines[i].translationEvents, index);
    const downloads = events.filter((e) => e.phase === 'download' && e.file === resource.file);
    assert.ok(downloads.length >= 1, 'no progress event for the dictionary');
    assert.deepEqual(
      [downloads.at(-1).loaded, downloads.at(-1).total, downloads.at(-1).fromCache],
      [resource.bytes, resource.bytes, false],
    );
    assert.ok(events.some((e) => e.phase === 'verify') && events.some((e) => e.phase === 'loaded'));
    const keys = await page.evaluate(() => cachedKeys('siger-translation-v1'));
    assert.ok(
      keys.some((k) => k.endsWith(`${file}?sha256=${resource.sha256}`)),
      `not cached: ${keys}`,
    );

    // Another visit: the dictionary comes from the cache; only the manifest is asked again.
    const before = server.count(file);
    await goToTestPage(page, server);
    const again = await loadWithTranslation(page);
    const result = await page.evaluate(
      (i) => engines[i].translate('sekula', { from: 'lpg', to: 'id' }),
      again,
    );
    assert.equal(result.tokens[0].source, 'lexicon');
    assert.equal(server.count(file), before, 'the dictionary was downloaded again');
    const cached = await page.evaluate((i) => engines[i].translationEvents, again);
    assert.ok(
      cached.some((e) => e.phase === 'download' && e.file === resource.file && e.fromCache),
      JSON.stringify(cached),
    );
  },
);

test(
  'translator: translates without a model; a lexicon of your own replaces the shipped lexicon or adds to it',
  {},
  async ({ context, server }) => {
    const { manifest, resource } = shippedLexicon(server.root);
    const others = manifest.resources.filter((r) => r.kind !== 'lexicon');
    const own = server.fixture('kamus.tsv', TEACHER_LEXICON);
    const page = await openPage(context, server);
    const lpgId = { from: 'lpg', to: 'id' };
    let replaced;
    const paths = await requestsDuring(context, async () => {
      replaced = await page.evaluate(
        async ([url, languages]) => {
          const translator = Siger.translator({ lexicon: url });
          const status = await translator.load();
          const result = await translator.translate('zumbalo sekula', languages);
          translator.close();
          return { status, tokens: result.tokens, lexicon: translator.lexicon };
        },
        [own, lpgId],
      );
    });
    assert.deepEqual(
      paths.filter((p) => p.startsWith('/models/') || p === TRANSLATION_DIR + resource.file),
      [],
      'the translator asked for the model or the shipped lexicon',
    );
    assert.ok(paths.includes(own), `the lexicon was not downloaded: ${paths}`);
    assert.equal(replaced.lexicon, server.base + own);
    assert.deepEqual(replaced.status.failed, []);
    assert.deepEqual(
      replaced.status.loaded.map(({ kind, name }) => [kind, name]),
      [...others.map((r) => [r.kind, r.file]), ['lexicon', 'kamus.tsv']],
      'the shipped resources of other kinds (the language model) should still load',
    );
    assert.equal(replaced.status.loaded.at(-1).entries, 1);
    const [zumbalo, sekula] = replaced.tokens;
    assert.deepEqual(
      [zumbalo.text, zumbalo.source, zumbalo.source_name],
      ['kucing', 'lexicon', 'kamus.tsv'],
    );
    assert.equal(sekula.source, 'unknown', 'the shipped dictionary was loaded too');

    const added = await page.evaluate(
      async ([url, languages]) => {
        const translator = Siger.translator({ lexicon: url, keepLexicons: true });
        const result = await translator.translate('zumbalo sekula', languages);
        const none = Siger.translator({ resources: null });
        const phrasebook = await none.translate('Nyak haga mengan!', languages);
        const status = await none.load();
        translator.close();
        none.close();
        return { sources: result.tokens.map((t) => t.source_name), phrasebook, status };
      },
      [own, lpgId],
    );
    assert.deepEqual(added.sources, ['kamus.tsv', MEIZANO_CITATION]);
    assert.equal(added.phrasebook.text.toLowerCase(), 'saya mau makan!');
    assert.deepEqual([added.status.loaded, added.status.lexicon], [[], 0]);
    assert.ok(added.status.phrasebook > 0);
  },
);

test(
  'translator: a malformed lexicon is reported with its file and line, and translation goes on',
  {},
  async ({ context, server }) => {
    const broken = server.fixture('rusak.tsv', BROKEN_LEXICON);
    const page = await openPage(context, server);
    const outcome = await page.evaluate(async (url) => {
      const events = [];
      const translator = Siger.translator({ lexicon: url, onProgress: (e) => events.push(e) });
      const status = await translator.load();
      const result = await translator.translate('Nyak haga mengan!', { from: 'lpg', to: 'id' });
      const fail = (promise) =>
        promise.then(
          () => null,
          (e) => `${e.name}: ${e.message}`,
        );
      const language = await fail(translator.translate('nyak', { to: 'xx' }));
      const option = await fail((async () => Siger.translator({ lexicon: 42 }))());
      translator.close();
      const closed = await fail(translator.translate('nyak', { to: 'id' }));
      // Neither an address that is no URL nor a missing file stops the phrasebook.
      const others = [];
      for (const lexicon of ['http://[no-url', '/__siger_test__/missing.tsv']) {
        const other = Siger.translator({ lexicon, resources: null });
        const translated = await other.translate('Nyak haga mengan!', { from: 'lpg', to: 'id' });
        others.push({ failed: (await other.load()).failed, text: translated.text });
        other.close();
      }
      return { status, events, text: result.text, language, option, closed, others };
    }, broken);
    assert.deepEqual(
      outcome.status.loaded.filter((r) => r.kind === 'lexicon'),
      [],
    );
    assert.equal(outcome.status.failed.length, 1);
    assert.match(outcome.status.failed[0].reason, /^rusak\.tsv:3: .*fix or delete the row/);
    assert.ok(outcome.events.some((e) => e.phase === 'failed' && e.name === 'rusak.tsv'));
    assert.equal(outcome.text.toLowerCase(), 'saya mau makan!', 'the phrasebook stopped working');
    assert.match(outcome.language ?? '', /unknown language `xx`/);
    assert.match(outcome.option ?? '', /^TypeError: translation: lexicon must be a URL/);
    const [noUrl, missing] = outcome.others;
    assert.match(noUrl.failed[0]?.reason ?? '', /"http:\/\/\[no-url" is not a URL/);
    assert.match(missing.failed[0]?.reason ?? '', /missing\.tsv: HTTP 404/);
    for (const other of outcome.others) assert.equal(other.text.toLowerCase(), 'saya mau makan!');
    assert.match(outcome.closed ?? '', /closed/);
  },
);

/** The engine's backend now and any fallback so far: a WebGPU test must not pass on the CPU. */
async function assertStillOnWebGpu(page, index) {
  const state = await page.evaluate(
    (i) => ({ backend: engines[i].backend, events: engines[i].events }),
    index,
  );
  const fallback = state.events.find((e) => e.phase === 'fallback');
  assert.ok(!fallback, `the WebGPU engine failed and fell back to the CPU: ${fallback?.reason}`);
  assert.equal(state.backend, 'webgpu');
}

test(
  "backend: auto takes the CPU on SwiftShader's fallback adapter and says why; webgpu by name still runs there and answers like the CPU",
  { timeout: 400_000 },
  async ({ context, server }) => {
    const page = await openPage(context, server);
    const auto = await page.evaluate(() => loadEngine({ backend: 'auto' }));
    assert.equal(auto.backend, 'cpu', auto.backendReason);
    assert.match(
      auto.backendReason,
      /^WebGPU adapter '.*swiftshader.*' .* is a fallback \(software\) adapter, slower than the CPU engine; using the CPU$/,
    );
    await page.evaluate(() => engines.pop().unload());
    const gpu = await page.evaluate(() => loadEngine({ backend: 'webgpu' }));
    assert.equal(gpu.backend, 'webgpu', gpu.backendReason);
    assert.match(
      gpu.backendReason,
      /^WebGPU was requested: WebGPU adapter .*; its greedy reply to a test prompt equals the CPU's$/,
    );
    assert.equal(gpu.info.backend, 'webgpu');
    const request = { messages: ask('Apa itu fotosintesis?'), temperature: 0, max_tokens: 6 };
    const onGpu = await page.evaluate((r) => streamReply(0, r), request);
    await assertStillOnWebGpu(page, 0);
    await page.evaluate(() => loadEngine({ backend: 'cpu' }));
    const onCpu = await page.evaluate((r) => streamReply(1, r), request);
    assert.ok(onCpu.text.length > 0);
    assert.equal(onGpu.text, onCpu.text, 'greedy decoding differs between WebGPU and the CPU');
  },
);

test(
  'backend: a GPU that reads back wrong numbers fails the canary: webgpu by name is refused, saying why',
  { timeout: 400_000 },
  async ({ context, server }) => {
    // Every buffer read back from the GPU comes back zeroed: results wrong, and no error.
    await context.route('**/siger-worker.js', async (route) => {
      // The response's own headers are kept: the isolated page needs the worker's COEP header.
      const response = await route.fetch();
      const body = `const mapped = GPUBuffer.prototype.getMappedRange;
GPUBuffer.prototype.getMappedRange = function (...args) {
  const range = mapped.apply(this, args);
  if (this.mapState === 'mapped' && this.usage & GPUBufferUsage.MAP_READ) new Uint8Array(range).fill(0);
  return range;
};
${await response.text()}`;
      await route.fulfill({ response, body });
    });
    const page = await openPage(context, server);
    const refused = await page.evaluate(() => loadError({ backend: 'webgpu' }));
    assert.match(
      refused?.message ?? '',
      /^WebGPU was requested, but the WebGPU engine's greedy reply to a test prompt \(.*\) differs from the CPU engine's \(.*\): this GPU's results are wrong$/,
    );
  },
);

/**
 * The worker sees an adapter whose buffers are capped at `cap` bytes (the device wgpu then asks
 * for gets that limit too) and that is not a fallback adapter, so 'auto' would take it.
 */
async function capGpuBuffers(context, cap) {
  await context.unrouteAll();
  await context.route('**/siger-worker.js', async (route) => {
    const response = await route.fetch();
    const body = `const realLimits = Object.getOwnPropertyDescriptor(GPUAdapter.prototype, 'limits').get;
Object.defineProperty(GPUAdapter.prototype, 'limits', {
  get() {
    const limits = realLimits.call(this);
    return new Proxy(limits, {
      get: (target, key) => ['maxStorageBufferBindingSize', 'maxBufferSize'].includes(key)
        ? Math.min(${cap}, target[key]) : Reflect.get(target, key, target),
    });
  },
});
const realInfo = Object.getOwnPropertyDescriptor(GPUAdapter.prototype, 'info').get;
Object.defineProperty(GPUAdapter.prototype, 'info', {
  get() {
    const info = realInfo.call(this);
    return new Proxy(info, {
      get: (target, key) => key === 'isFallbackAdapter' ? false : Reflect.get(target, key, target),
    });
  },
});
${await response.text()}`;
    await route.fulfill({ response, body });
  });
}

test(
  "backend: the GPU's buffer limit is checked against the largest weight, not the whole file",
  { timeout: 400_000 },
  async ({ context, server }) => {
    // The demo int4 bundle: a 5.39 MB weights file whose largest weight, the embedding (int8
    // values and their f16 block scales, held as f32), takes 2.36 MB on the GPU.
    await capGpuBuffers(context, 3_000_000);
    let page = await openPage(context, server);
    const fits = await page.evaluate(() => loadEngine({ backend: 'webgpu' }));
    assert.equal(fits.backend, 'webgpu', fits.backendReason);
    assert.match(fits.backendReason, /buffers up to 3\.0 MB/);
    await page.close();

    await capGpuBuffers(context, 1_000_000);
    page = await openPage(context, server);
    const refused = await page.evaluate(() => loadError({ backend: 'webgpu' }));
    assert.match(
      refused?.message ?? '',
      /^WebGPU was requested but cannot be used: the WebGPU adapter .* allows buffers of 1\.0 MB, less than the 2\.4 MB of the model's largest weight, embedding\.weight$/,
    );
    const auto = await page.evaluate(() => loadEngine({ backend: 'auto' }));
    assert.equal(auto.backend, 'cpu');
    assert.match(auto.backendReason, /largest weight, embedding\.weight; using the CPU$/);
  },
);

test(
  'golden (webgpu): greedy replies equal the native decode',
  { timeout: 400_000 },
  async ({ context, server }) => {
    const page = await openPage(context, server);
    await checkGolden(page, server, 'webgpu');
    await assertStillOnWebGpu(page, 0);
  },
);

test(
  'webgpu: abort stops within one token; the session saves and restores',
  { timeout: 400_000 },
  async ({ context, server }) => {
    const page = await openPage(context, server);
    await page.evaluate(() => loadEngine({ backend: 'webgpu' }));
    const outcome = await page.evaluate(async () => {
      const controller = new AbortController();
      const stream = await engines[0].chat.completions.create({
        messages: [{ role: 'user', content: 'Ceritakan tentang sejarah Indonesia.' }],
        stream: true,
        temperature: 1,
        seed: 7,
        max_tokens: 40,
        signal: controller.signal,
      });
      let error = null;
      try {
        for await (const chunk of stream) if (chunk.choices[0].delta.content) controller.abort();
      } catch (err) {
        error = err.name;
      }
      const session = await engines[0].saveSession();
      await engines[0].restoreSession(session);
      return { error, finished: await stream.finished, sessionBytes: session.length };
    });
    assert.equal(outcome.error, 'AbortError');
    assert.equal(outcome.finished.finish_reason, 'abort', JSON.stringify(outcome.finished));
    assert.ok(
      outcome.finished.tokens_after_abort <= 1,
      `${outcome.finished.tokens_after_abort} tokens after the abort`,
    );
    assert.ok(outcome.sessionBytes > 0);
    await assertStillOnWebGpu(page, 0);
  },
);

test(
  'webgpu: a refused request is an error, and the engine stays on the GPU',
  { timeout: 400_000 },
  async ({ context, server }) => {
    const page = await openPage(context, server);
    const gpu = await page.evaluate(() => loadEngine({ backend: 'webgpu' }));
    assert.equal(gpu.backend, 'webgpu');
    const refused = (request) =>
      page.evaluate(
        (r) =>
          reply(0, r).then(
            () => 'accepted',
            (e) => String(e),
          ),
        request,
      );
    // Values that once passed siger.js and failed inside the engine, counted as GPU failures.
    assert.match(await refused({ messages: ask('Halo'), temperature: 1e39 }), /temperature/);
    assert.match(await refused({ messages: ask('Halo'), repetition_penalty: 1e-46 }), /penalty/);
    assert.match(await refused({ messages: ask('Halo'), top_k: 2 ** 32 }), /top_k/);
    assert.match(await refused({ messages: ask('Halo'), max_tokens: 2 ** 32 }), /max_tokens/);
    // Refused by the engine itself: a message longer than one request may read.
    const long = await refused({ messages: ask('zq '.repeat(40_000)), max_tokens: 2 });
    assert.match(long, /too long/);
    await assertStillOnWebGpu(page, 0);
    const answer = await page.evaluate((r) => reply(0, r), { messages: ask('Halo'), ...GREEDY });
    assert.equal(typeof answer.text, 'string');
    await assertStillOnWebGpu(page, 0);
  },
);

test(
  'backend: a lost GPU mid-chat falls back to the CPU and the reply still comes',
  { timeout: 400_000 },
  async ({ context, server }) => {
    const page = await openPage(context, server);
    const gpu = await page.evaluate(() => loadEngine({ backend: 'webgpu' }));
    assert.equal(gpu.backend, 'webgpu');
    const first = ask('Apa itu fotosintesis?');
    const reply1 = await page.evaluate((r) => reply(0, r), {
      messages: first,
      temperature: 0,
      max_tokens: 4,
    });
    await assertStillOnWebGpu(page, 0);
    const worker = page.workers().find((w) => w.url().endsWith('/siger-worker.js'));
    assert.ok(worker, 'the engine worker was not found');
    // After three more reads back from the GPU, every read fails, as it does once the device
    // is lost: the loss comes mid-reply, after some text was sent.
    await worker.evaluate(() => {
      const map = GPUBuffer.prototype.mapAsync;
      self.readsBeforeLoss = 0;
      GPUBuffer.prototype.mapAsync = function (...args) {
        if (self.readsBeforeLoss >= 3) {
          return Promise.reject(new DOMException('simulated device loss', 'OperationError'));
        }
        self.readsBeforeLoss += 1;
        return map.apply(this, args);
      };
    });
    const second = [
      ...first,
      { role: 'assistant', content: reply1.text },
      { role: 'user', content: 'Lalu?' },
    ];
    const request = { messages: second, temperature: 0, max_tokens: 8 };
    const answer = await page.evaluate((r) => streamReply(0, r), request);
    const after = await page.evaluate(() => ({
      backend: engines[0].backend,
      reason: engines[0].backendReason,
      events: engines[0].events,
    }));
    const fallback = after.events.find((e) => e.phase === 'fallback');
    assert.ok(fallback, 'no fallback event');
    assert.deepEqual([fallback.from, fallback.to], ['webgpu', 'cpu']);
    assert.equal(after.backend, 'cpu');
    assert.equal(after.reason, fallback.reason);
    assert.equal(
      await worker.evaluate(() => self.readsBeforeLoss),
      3,
      'the device was not lost mid-reply',
    );
    // The retried request reread the whole conversation on the CPU; a fresh CPU engine agrees.
    assert.equal(answer.usage.reused_messages, 0);
    await page.evaluate(() => loadEngine({ backend: 'cpu' }));
    const onCpu = await page.evaluate((r) => streamReply(1, r), request);
    assert.ok(onCpu.text.length > 0);
    assert.equal(answer.text, onCpu.text);
  },
);

test(
  'backend: without --enable-unsafe-webgpu, auto picks the CPU and says why',
  { webgpu: false },
  async ({ context, server }) => {
    const page = await openPage(context, server);
    const loaded = await page.evaluate(() => loadEngine({ backend: 'auto' }));
    assert.equal(loaded.backend, 'cpu');
    assert.match(loaded.backendReason, /WebGPU/);
    assert.match(loaded.backendReason, /CPU/);
    const refused = await page.evaluate(() => loadError({ backend: 'webgpu' }));
    assert.match(refused?.message ?? '', /WebGPU was requested but cannot be used/);
  },
);
