// The browser tests of the chat page (www/index.html) and the <siger-chat> widget, driven through
// the interface as a student uses it, against the real demo model on the CPU (Chromium without
// WebGPU). Replies are kept short in settings (max_tokens); the demo model writes ~250 tokens/s.
// `host` is a teacher's site on another origin (server.mjs, startHostServer).

import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { newPage, requestsDuring } from './browser.mjs';
import {
  chooseMode,
  configure,
  messages,
  openChat,
  putThread,
  recordLengths,
  recordProgressLabels,
  savedSettings,
  send,
  sendAndWait,
  stopAtFirstText,
  texts,
  threadTitles,
  tokensOf,
  until,
  waitForDictionary,
  waitForState,
} from './chat-ui.mjs';
import {
  BROKEN_LEXICON,
  MEIZANO_CITATION,
  TEACHER_LEXICON,
  checkKnownWords,
  shippedLexicon,
} from './lexicon.mjs';
import { TEST_PAGE } from './server.mjs';

const SHORT = { max_tokens: 32 };
const MODEL_FILES = ['config.json', 'tokenizer.json', 'model.safetensors'];

export const cases = [];
function test(name, options, body) {
  cases.push({ name, webgpu: options.webgpu ?? false, timeout: options.timeout ?? 60_000, body });
}

const chatPage = (server) => `${server.base}/`;

test(
  'page: loads the model with download progress under its strict CSP, then says the backend',
  {},
  async ({ context, server }) => {
    const page = await newPage(context);
    // Every text the progress label shows, from the shadow root's creation on (kept on the host),
    // and every CSP violation (the page's meta policy allows no inline script or style).
    await page.addInitScript(() => {
      window.cspViolations = [];
      document.addEventListener('securitypolicyviolation', (e) =>
        window.cspViolations.push(`${e.violatedDirective} ${e.blockedURI}`),
      );
      const attachShadow = Element.prototype.attachShadow;
      Element.prototype.attachShadow = function (init) {
        const root = attachShadow.call(this, init);
        const labels = (this.progressLabels = []);
        new MutationObserver(() => {
          const label = root.querySelector('[data-part=progress-label]')?.textContent;
          if (label && label !== labels.at(-1)) labels.push(label);
        }).observe(root, { subtree: true, childList: true, characterData: true });
        return root;
      };
    });
    await page.goto(chatPage(server));
    await waitForState(page, 'ready');
    const labels = await page.locator('siger-chat').evaluate((host) => host.progressLabels);
    assert.ok(
      labels.some((l) => /^Mengunduh model: \d+\.\d MB dari \d+\.\d MB \(\d+%\)$/.test(l)),
      `no download progress shown: ${JSON.stringify(labels)}`,
    );
    assert.ok(
      labels.some((l) => /\(100%\)/.test(l)),
      `the download never reached 100%: ${JSON.stringify(labels)}`,
    );
    assert.ok(
      await page.locator('[data-part=progress]').isHidden(),
      'the progress bar stayed after loading',
    );
    const status = page.locator('[data-part=status]');
    assert.equal(await status.getAttribute('data-backend'), 'cpu');
    assert.match(await status.textContent(), /^CPU · /);
    assert.equal(
      await page.locator('[data-part=notice][data-kind=error]').count(),
      0,
      'an error notice is shown',
    );
    assert.match(
      await page.locator('meta[http-equiv=Content-Security-Policy]').getAttribute('content'),
      /script-src 'self' 'wasm-unsafe-eval';/,
    );
    assert.deepEqual(
      await page.evaluate(() => window.cspViolations),
      [],
      'the page broke its own CSP',
    );
    assert.deepEqual(
      page.logs.filter((l) => /error/i.test(l)),
      [],
      'errors in the console',
    );
  },
);

test(
  'page: a reply streams in, piece by piece, and the header shows the speed',
  {},
  async ({ context, server }) => {
    const page = await openChat(context, chatPage(server));
    await configure(page, SHORT);
    const lengths = await recordLengths(page);
    const reply = await sendAndWait(page, 'Apa itu fotosintesis?');
    const seen = (await lengths()).filter((n) => n > 0);
    assert.ok(seen.length >= 2, `the reply appeared in ${seen.length} step(s): ${seen}`);
    assert.ok(
      seen.every((n, i) => i === 0 || n > seen[i - 1]),
      `the text did not only grow: ${seen}`,
    );
    assert.equal(seen.at(-1), (await reply.locator('[data-part=text]').textContent()).length);
    assert.equal(await reply.getAttribute('data-role'), 'assistant');
    assert.ok(
      Number(await reply.getAttribute('data-prompt-tokens')) > 0,
      'no usage on the finished reply',
    );
    const status = page.locator('[data-part=status]');
    assert.ok(Number(await status.getAttribute('data-tokens-per-second')) > 0);
    assert.match(await status.textContent(), /^CPU · \d+\.\d token\/detik$/);
  },
);

test(
  'page: Stop ends the reply, marks it stopped, and the text stops growing',
  {},
  async ({ context, server }) => {
    const page = await openChat(context, chatPage(server));
    // This prompt and seed give a 111-token reply when left alone (top_p 0.9, the default).
    await configure(page, { max_tokens: 400, temperature: 1, seed: 36 });
    await stopAtFirstText(page);
    const reply = await sendAndWait(page, 'Ceritakan sebuah cerita panjang.');
    assert.equal(await reply.locator('.note').textContent(), '(dihentikan)');
    const stopped = await reply.locator('[data-part=text]').textContent();
    assert.ok(stopped.length > 0, 'the stopped reply lost its text');
    await page.waitForTimeout(500);
    assert.equal(
      await messages(page, 'assistant').last().locator('[data-part=text]').textContent(),
      stopped,
      'the text grew after Stop',
    );
    assert.ok(await page.locator('button[data-action=stop]').isHidden());
    assert.ok(await page.locator('button[data-action=send]').isEnabled());
  },
);

test('page: Regenerate replaces the last reply with a new one', {}, async ({ context, server }) => {
  const page = await openChat(context, chatPage(server));
  await configure(page, { ...SHORT, temperature: 1, seed: 1 });
  const first = await sendAndWait(page, 'Apa itu air?');
  const before = await first.locator('[data-part=text]').textContent();
  await first.evaluate((element) => element.setAttribute('data-old-reply', ''));
  await configure(page, { seed: 2 });
  const lengths = await recordLengths(page);
  await page.locator('button[data-action=regenerate]').click();
  await waitForState(page, 'ready');
  assert.equal(await page.locator('[data-old-reply]').count(), 0, 'the old reply is still shown');
  assert.deepEqual(await texts(page, 'user'), ['Apa itu air?']);
  const after = await texts(page, 'assistant');
  assert.equal(after.length, 1, `${after.length} replies after regenerating`);
  assert.notEqual(after[0], before, 'seed 2 wrote the same reply as seed 1');
  const seen = await lengths();
  assert.ok(
    seen[0] === 0 && seen.filter((n) => n > 0).length >= 2,
    `the new reply did not stream in: ${seen}`,
  );
});

test(
  'page: editing a sent message truncates the thread there and answers it anew',
  {},
  async ({ context, server }) => {
    const page = await openChat(context, chatPage(server));
    await configure(page, SHORT);
    await sendAndWait(page, 'Halo');
    await sendAndWait(page, 'Apa itu air?');
    assert.equal(await messages(page, 'assistant').count(), 2);
    await page.locator('article[data-role=user][data-index="0"] button[data-action=edit]').click();
    await page.locator('textarea[data-part=edit-input]').fill('Apa itu api?');
    await page.locator('button[data-action=resend]').click();
    await waitForState(page, 'ready');
    assert.deepEqual(await texts(page, 'user'), ['Apa itu api?']);
    const replies = messages(page, 'assistant');
    assert.equal(await replies.count(), 1);
    assert.equal(await replies.getAttribute('data-index'), '1');
    assert.ok(
      (await replies.locator('[data-part=text]').textContent()).length > 0,
      'the new reply is empty',
    );
    assert.ok(Number(await replies.getAttribute('data-prompt-tokens')) > 0);
  },
);

test(
  'page: a thread survives a reload, and continuing it reuses the saved engine state',
  {},
  async ({ context, server }) => {
    const page = await openChat(context, chatPage(server));
    await configure(page, SHORT);
    await sendAndWait(page, 'Apa itu gravitasi?');
    const before = { user: await texts(page, 'user'), assistant: await texts(page, 'assistant') };
    await until(
      () => threadTitles(page),
      (t) => t[0] === 'Apa itu gravitasi?',
      'the thread was not saved',
    );
    await page.reload();
    await waitForState(page, 'ready');
    assert.deepEqual(
      { user: await texts(page, 'user'), assistant: await texts(page, 'assistant') },
      before,
    );
    assert.deepEqual(await threadTitles(page), ['Apa itu gravitasi?']);
    assert.equal(await page.locator('li[data-part=thread][aria-current=true]').count(), 1);
    const second = await sendAndWait(page, 'Mengapa benda jatuh?');
    const reused = Number(await second.getAttribute('data-reused-messages'));
    assert.ok(
      reused > 0,
      `the reply after the reload reread the whole thread (reused_messages ${reused})`,
    );
  },
);

test(
  'page: threads can be made, renamed, switched and deleted',
  {},
  async ({ context, server }) => {
    const page = await openChat(context, chatPage(server));
    await chooseMode(page, 'lpg-id'); // translations: quick, and they make threads all the same
    await sendAndWait(page, 'nyak');
    await until(
      () => threadTitles(page),
      (t) => t.join() === 'nyak',
      'the first thread',
    );
    await page.locator('button[data-action=new-thread]').click();
    await until(
      () => threadTitles(page),
      (t) => t.join() === 'Percakapan tanpa judul,nyak',
      'after New',
    );
    assert.equal(
      await messages(page, 'translation').count(),
      0,
      'the new thread shows old messages',
    );
    const current = page.locator('li[data-part=thread][aria-current=true]');
    await sendAndWait(page, 'mengan');
    await until(
      () => threadTitles(page),
      (t) => t.join() === 'mengan,nyak',
      'the second thread',
    );
    assert.equal(
      await current.locator('[data-action=open-thread]').textContent(),
      'mengan',
      'aria-current is not on the new thread',
    );

    await current.locator('button[data-action=rename-thread]').click();
    await page.locator('input[data-part=rename-input]').fill('Kedua');
    await page.locator('input[data-part=rename-input]').press('Enter');
    await until(
      () => threadTitles(page),
      (t) => t.join() === 'Kedua,nyak',
      'after renaming',
    );

    await page
      .locator('li[data-part=thread]', { hasText: 'nyak' })
      .locator('button[data-action=open-thread]')
      .click();
    await until(
      () => current.locator('[data-action=open-thread]').textContent(),
      (t) => t === 'nyak',
      'aria-current after switching',
    );
    assert.deepEqual(await texts(page, 'user'), ['nyak']);
    assert.equal(await page.locator('li[data-part=thread][aria-current=true]').count(), 1);

    const second = page.locator('li[data-part=thread]', { hasText: 'Kedua' });
    await second.locator('button[data-action=delete-thread]').click();
    await page.locator('button[data-action=confirm-delete]').click();
    // Until the list is drawn again: while the confirmation shows, its item has no title button.
    const items = page.locator('li[data-part=thread]');
    await until(
      async () => [await items.count(), await threadTitles(page)],
      ([n, t]) => n === 1 && t.join() === 'nyak',
      'after deleting',
    );
    await page.reload();
    await waitForState(page, 'ready');
    assert.deepEqual(await threadTitles(page), ['nyak'], 'after a reload');
  },
);

test('page: temperature and seed in settings decide the reply', {}, async ({ context, server }) => {
  const page = await openChat(context, chatPage(server));
  const replyWithSeed = async (seed) => {
    await configure(page, { ...SHORT, temperature: 1, seed });
    const reply = await sendAndWait(page, 'Apa itu hujan?');
    return reply.locator('[data-part=text]').textContent();
  };
  const a = await replyWithSeed(1);
  await page.locator('button[data-action=new-thread]').click();
  const b = await replyWithSeed(2);
  await page.locator('button[data-action=new-thread]').click();
  const again = await replyWithSeed(1);
  assert.ok(a.length > 0, 'reply A is empty');
  assert.notEqual(b, a, 'seed 2 gave the same reply as seed 1');
  assert.equal(again, a, 'seed 1 gave another reply the second time');
  assert.deepEqual(
    await savedSettings(page).then(({ temperature, seed, max_tokens }) => ({
      temperature,
      seed,
      max_tokens,
    })),
    { temperature: 1, seed: 1, max_tokens: 32 },
  );
});

test(
  'page: translation mode translates and says where each word came from',
  {},
  async ({ context, server }) => {
    const page = await openChat(context, chatPage(server));
    await chooseMode(page, 'lpg-id');
    assert.equal(
      await page.locator('button[data-mode=lpg-id]').getAttribute('aria-pressed'),
      'true',
    );
    await checkTranslation(page);
    const unknown = await sendAndWait(page, 'xqzv');
    assert.equal(await unknown.locator('[data-part=text]').textContent(), 'xqzv');
    assert.deepEqual(
      await unknown
        .locator('[data-part=token]')
        .evaluateAll((spans) => spans.map((s) => s.dataset.source)),
      ['unknown'],
    );
    assert.equal(await unknown.locator('li[data-part=source][data-source=unknown]').count(), 1);
  },
);

/** "Nyak haga mengan!" is in the phrasebook: the translation and its cited source. */
async function checkTranslation(scope) {
  const translation = await sendAndWait(scope, 'Nyak haga mengan!');
  assert.equal(await translation.getAttribute('data-role'), 'translation');
  assert.equal(
    (await translation.locator('[data-part=text]').textContent()).toLowerCase(),
    'saya mau makan!',
  );
  assert.ok(
    (await translation.locator('span[data-part=token][data-source=phrasebook]').count()) >= 1,
    'no phrasebook token',
  );
  assert.ok(
    (await translation
      .locator('details[data-part=sources] li[data-part=source][data-source=phrasebook]')
      .count()) >= 1,
    'no cited source',
  );
}

const SENTENCES = ['Sekula nyak ngeliak adek ku lagi tiduk', 'Nyak haga mengan di warung'];
const TRANSLATION_DIR = '/translation/';
const dictionaryNotice = (scope) =>
  scope.locator('[data-part=notice][data-kind=error][data-tag=dictionary]');

test(
  'page: Lampung → Indonesia translates with the shipped dictionary, each known word found and cited',
  {},
  async ({ context, server }) => {
    const { manifest, resource, lampung } = shippedLexicon(server.root);
    const page = await openChat(context, chatPage(server));
    await chooseMode(page, 'lpg-id');
    for (const sentence of SENTENCES) {
      const message = await sendAndWait(page, sentence);
      const tokens = await tokensOf(message);
      const { known, problems } = checkKnownWords(sentence, tokens, lampung);
      assert.ok(known.length >= 3, `only ${known} of "${sentence}" are in the lexicon`);
      assert.deepEqual(problems, [], `"${sentence}" → ${JSON.stringify(tokens)}`);
      const cited = tokens.filter((t) => t.source === 'lexicon');
      assert.ok(cited.length >= 1, `no lexicon word in "${sentence}"`);
      for (const token of cited) {
        assert.equal(token.sourceName, MEIZANO_CITATION);
        assert.ok(token.title.includes(MEIZANO_CITATION), `tooltip: ${token.title}`);
      }
      const listed = await message
        .locator('li[data-part=source][data-source=lexicon]')
        .allTextContents();
      assert.equal(listed.length, cited.length);
      assert.ok(
        listed.every((l) => l.includes(MEIZANO_CITATION)),
        `sources listed: ${listed}`,
      );
    }
    // The line above the messages names the dictionary, its size and its licence, and every
    // other resource loaded.
    const line = page.locator('[data-part=dictionary]');
    const kinds = await line
      .locator('[data-part=dictionary-resource]')
      .evaluateAll((spans) => spans.map((s) => s.dataset.kind));
    assert.deepEqual(kinds.sort(), manifest.resources.map((r) => r.kind).sort());
    const lexicon = line.locator('[data-part=dictionary-resource][data-kind=lexicon]');
    const source = resource.source.replace(/[()]/g, '\\$&');
    assert.match(
      await lexicon.textContent(),
      new RegExp(`^Kamus: ${source} · [\\d.]+ entri · lisensi GPL-3\\.0$`),
    );
    const licence = await fetch(await lexicon.locator('a[data-part=licence]').getAttribute('href'));
    assert.equal(licence.status, 200);
    assert.match(await licence.text(), /GNU GENERAL PUBLIC LICENSE\s+Version 3/);
    await chooseMode(page, 'chat');
    assert.ok(await line.isHidden(), 'the dictionary line shows in chat mode');
  },
);

test(
  'page: the dictionary is asked for only once a translation mode is opened, its download shown',
  {},
  async ({ context, server }) => {
    const { resource } = shippedLexicon(server.root);
    const page = await newPage(context);
    const labels = await recordProgressLabels(page);
    const chatting = await requestsDuring(context, async () => {
      await page.goto(chatPage(server));
      await waitForState(page, 'ready');
      await configure(page, SHORT);
      await sendAndWait(page, 'Halo');
    });
    assert.ok(chatting.includes('/models/siger-demo/model.safetensors'), 'no model: no check');
    assert.deepEqual(
      chatting.filter((p) => p.startsWith(TRANSLATION_DIR)),
      [],
      'the dictionary was asked for in chat mode',
    );
    const opening = await requestsDuring(context, async () => {
      await chooseMode(page, 'id-lpg');
      await waitForDictionary(page);
    });
    assert.ok(opening.includes(`${TRANSLATION_DIR}manifest.json`), `${opening}`);
    assert.ok(opening.includes(`${TRANSLATION_DIR}${resource.file}`), `${opening}`);
    const shown = (await labels())['dictionary-progress'];
    assert.ok(
      shown.some((l) => /^Mengunduh kamus: \d+\.\d MB dari \d+\.\d MB \(\d+%\)$/.test(l)),
      `no download progress shown: ${JSON.stringify(shown)}`,
    );
    assert.ok(
      shown.some((l) => /\(100%\)/.test(l)),
      `never 100%: ${JSON.stringify(shown)}`,
    );
    assert.ok(await page.locator('[data-part=dictionary-progress]').isHidden());
    const message = await sendAndWait(page, 'saya mau makan di warung');
    assert.ok(
      (await tokensOf(message)).some((t) => t.sourceName === MEIZANO_CITATION),
      'Indonesian → Lampung did not use the dictionary',
    );
  },
);

test(
  'page: after a reload the dictionary comes from the cache, without downloading it',
  {},
  async ({ context, server }) => {
    const { resource } = shippedLexicon(server.root);
    const file = `${TRANSLATION_DIR}${resource.file}`;
    const page = await newPage(context);
    const labels = await recordProgressLabels(page);
    await page.goto(chatPage(server));
    await chooseMode(page, 'lpg-id');
    await waitForDictionary(page);
    const keys = await page.evaluate(async () =>
      (await (await caches.open('siger-translation-v1')).keys()).map((r) => r.url),
    );
    assert.ok(
      keys.some((k) => k.endsWith(`${file}?sha256=${resource.sha256}`)),
      `${keys}`,
    );
    const before = server.count(file);
    await page.reload();
    let message;
    const paths = await requestsDuring(context, async () => {
      await waitForState(page, 'ready');
      await chooseMode(page, 'lpg-id');
      await waitForDictionary(page);
      message = await sendAndWait(page, 'sekula');
    });
    assert.ok(!paths.includes(file), 'the dictionary was downloaded again');
    assert.equal(server.count(file), before);
    assert.ok(
      paths.includes(`${TRANSLATION_DIR}manifest.json`),
      'the manifest was not revalidated',
    );
    const shown = (await labels())['dictionary-progress'];
    assert.deepEqual(
      shown.filter((l) => l.startsWith('Mengunduh')),
      [],
      'a download was shown',
    );
    assert.ok(shown.includes('Memuat kamus dari penyimpanan perangkat…'), JSON.stringify(shown));
    assert.equal((await tokensOf(message))[0].source, 'lexicon');
  },
);

test(
  'page: a damaged dictionary (sha256 mismatch) is refused plainly, the phrasebook still translates, Retry recovers',
  {},
  async ({ context, server }) => {
    const { resource, bytes } = shippedLexicon(server.root);
    // One letter changed: still valid JSON of the same size, so only the sha256 can tell.
    const damaged = Buffer.from(bytes);
    const at = damaged.indexOf('"sekolah"') + 1;
    assert.ok(at > 0, 'no "sekolah" in the lexicon to damage');
    damaged[at] = 'S'.charCodeAt(0);
    let damage = true;
    await context.route(`**${TRANSLATION_DIR}${resource.file}`, (route) =>
      damage ? route.fulfill({ status: 200, body: damaged }) : route.continue(),
    );
    const page = await openChat(context, chatPage(server));
    await chooseMode(page, 'lpg-id');
    const notice = dictionaryNotice(page);
    await notice.waitFor();
    assert.match(
      await notice.textContent(),
      new RegExp(
        `^Kamus tidak bisa dimuat: http://127\\.0\\.0\\.1:\\d+${TRANSLATION_DIR}${resource.file.replace(/\./g, '\\.')} ` +
          'does not match the sha256 in its manifest.*Terjemahan tetap berjalan, tetapi hanya dengan buku frasa bawaan\\.',
      ),
    );
    await waitForDictionary(page);
    assert.match(await page.locator('[data-part=dictionary]').textContent(), /buku frasa bawaan/);
    await checkTranslation(page);
    const unknown = await sendAndWait(page, 'sekula');
    assert.equal((await tokensOf(unknown))[0].source, 'unknown');
    const cached = await page.evaluate(async () =>
      (await (await caches.open('siger-translation-v1')).keys()).map((r) => r.url),
    );
    assert.ok(
      !cached.some((k) => k.includes(resource.file)),
      `the damaged file was cached: ${cached}`,
    );

    damage = false;
    await notice.locator('button[data-action=notice-action]').click();
    await until(
      () => page.locator('[data-part=dictionary]').textContent(),
      (t) => t.includes(resource.source),
      'the dictionary after Retry',
    );
    assert.equal(await notice.count(), 0, 'the notice stayed after Retry');
    const found = await sendAndWait(page, 'sekula');
    assert.equal((await tokensOf(found))[0].source, 'lexicon');
    assert.deepEqual(
      page.logs.filter((l) => l.startsWith('page error')),
      [],
      'the page threw',
    );
  },
);

test('page: translation works while the model cannot load', {}, async ({ context, server }) => {
  await context.route('**/models/siger-demo/model.safetensors', (route) =>
    route.fulfill({ status: 503, body: 'down' }),
  );
  const page = await newPage(context);
  await page.goto(chatPage(server));
  await waitForState(page, 'error');
  await chooseMode(page, 'lpg-id');
  await send(page, 'sekula');
  const message = messages(page, 'translation').last();
  await message.waitFor();
  assert.deepEqual(
    (await tokensOf(message)).map((t) => [t.text, t.source, t.sourceName]),
    [['sekolah', 'lexicon', MEIZANO_CITATION]],
  );
});

test(
  "widget: the lexicon attribute replaces the shipped lexicon with the teacher's file",
  {},
  async ({ context, server, host }) => {
    const { manifest, resource } = shippedLexicon(server.root);
    const own = host.fixture('kamus.tsv', TEACHER_LEXICON);
    let page;
    let message;
    const paths = await requestsDuring(context, async () => {
      page = await openChat(context, `${host.base}/lexicon.html?lexicon=kamus.tsv`);
      message = await sendAndWait(page, 'zumbalo sekula');
    });
    assert.ok(paths.includes(own), `the teacher's lexicon was not downloaded: ${paths}`);
    assert.ok(
      !paths.includes(TRANSLATION_DIR + resource.file),
      'the shipped lexicon was downloaded too',
    );
    assert.deepEqual(
      (await tokensOf(message)).map((t) => [t.text, t.source, t.sourceName]),
      [
        ['kucing', 'lexicon', 'kamus.tsv'],
        ['sekula', 'unknown', undefined],
      ],
    );
    // The teacher's lexicon first, then the shipped resources of other kinds (which still load).
    const line = page.locator('[data-part=dictionary] [data-part=dictionary-resource]');
    assert.equal(await line.first().textContent(), 'Kamus: kamus.tsv · 1 entri');
    assert.deepEqual(
      await line.evaluateAll((spans) => spans.slice(1).map((s) => s.dataset.kind)),
      manifest.resources.filter((r) => r.kind !== 'lexicon').map((r) => r.kind),
    );
    assert.equal(await dictionaryNotice(page).count(), 0);
  },
);

test(
  'widget: a malformed lexicon is named with its line in a notice, and the phrasebook still translates',
  {},
  async ({ context, host }) => {
    host.fixture('kamus-rusak.tsv', BROKEN_LEXICON);
    const page = await openChat(context, `${host.base}/lexicon.html?lexicon=kamus-rusak.tsv`);
    const notice = dictionaryNotice(page);
    await notice.waitFor();
    assert.match(
      await notice.textContent(),
      /^Kamus tidak bisa dimuat: kamus-rusak\.tsv:3: .*; fix or delete the row\. Terjemahan tetap berjalan, tetapi hanya dengan buku frasa bawaan\./,
    );
    await checkTranslation(page);
  },
);

const XSS = {
  user: '<img src=x onerror="window.__xss=1">',
  assistant: '<img src=x onerror="window.__xss=2"><script>window.__xss=3</script>',
  title: '<img src=x onerror="window.__xss=4">',
};

test(
  'page: markup in messages, model output and titles is shown as text, never run',
  {},
  async ({ context, server }) => {
    const page = await newPage(context);
    // An earlier visit "saved" a thread whose reply holds markup: the model could write one.
    await page.goto(server.base + TEST_PAGE);
    const now = Date.now();
    await putThread(page, {
      id: 'xss',
      title: XSS.title,
      created: now,
      updated: now,
      messages: [
        { role: 'user', mode: 'chat', content: XSS.user },
        { role: 'assistant', mode: 'chat', content: XSS.assistant },
      ],
    });
    const paths = await requestsDuring(context, async () => {
      await page.goto(chatPage(server));
      await waitForState(page, 'ready');
      assert.deepEqual(await texts(page, 'assistant'), [XSS.assistant]);
      assert.deepEqual(await threadTitles(page), [XSS.title]);
      await configure(page, SHORT);
      await sendAndWait(page, XSS.user);
    });
    assert.deepEqual(await texts(page, 'user'), [XSS.user, XSS.user]);
    const inShadow = await page
      .locator('siger-chat')
      .evaluate((host) => host.shadowRoot.querySelectorAll('img, script').length);
    assert.equal(inShadow, 0, 'markup became elements');
    assert.equal(await page.evaluate(() => window.__xss), undefined);
    assert.ok(!paths.includes('/x'), 'an <img src=x> was loaded');
  },
);

test(
  'page: the interface language switches to English and stays after a reload',
  {},
  async ({ context, server }) => {
    const page = await openChat(context, chatPage(server));
    const sendButton = page.locator('button[data-action=send]');
    assert.equal(await sendButton.textContent(), 'Kirim');
    await page.locator('button[data-action=lang]').click();
    assert.equal(await sendButton.textContent(), 'Send');
    assert.equal(await page.locator('siger-chat').getAttribute('lang'), 'en');
    await until(
      () => savedSettings(page),
      (s) => s.lang === 'en',
      'the language was not saved',
    );
    await page.reload();
    await waitForState(page, 'ready');
    assert.equal(await sendButton.textContent(), 'Send', 'the language went back after a reload');
    assert.equal(await page.locator('siger-chat').getAttribute('lang'), 'en');
  },
);

test(
  'page: works from the keyboard, and every control has a name a screen reader can say',
  {},
  async ({ context, server }) => {
    const page = await openChat(context, chatPage(server));
    await configure(page, SHORT);
    // With the settings drawer open, so its fields are checked too. A name is an aria-label, a
    // label element, or text with a letter in it: a lone symbol (⚙, ✕, ☰) is no name.
    await page.locator('button[data-action=settings]').click();
    const unnamed = await page.locator('siger-chat').evaluate((host) =>
      [
        ...host.shadowRoot.querySelectorAll(
          'button, textarea, input, select, [role=log], [role=dialog], [role=group]',
        ),
      ]
        .filter((el) => !el.closest('[hidden]'))
        .filter(
          (el) =>
            !(
              el.getAttribute('aria-label') ||
              el.closest('label') ||
              (el.matches('button') && /\p{L}/u.test(el.textContent))
            ),
        )
        .map((el) => el.outerHTML.slice(0, 80)),
    );
    assert.deepEqual(unnamed, [], 'controls without an accessible name');
    await page.locator('button[data-action=close-settings]').click();
    // Tab from the page's start reaches the input box; Enter sends; the reply arrives.
    await page.locator('body').focus();
    let focused = '';
    for (let i = 0; i < 30 && focused !== 'input'; i += 1) {
      await page.keyboard.press('Tab');
      focused = await page
        .locator('siger-chat')
        .evaluate((host) => host.shadowRoot.activeElement?.dataset.part ?? '');
    }
    assert.equal(focused, 'input', 'Tab never reached the input box');
    await page.keyboard.type('Halo');
    await page.keyboard.press('Enter');
    await until(
      () => messages(page, 'assistant').count(),
      (n) => n === 1,
      'a reply after Enter',
    );
    await waitForState(page, 'ready');
    assert.ok((await texts(page, 'assistant'))[0].length > 0, 'the reply is empty');
    // Escape closes the settings drawer and gives focus back to its button.
    await page.locator('button[data-action=settings]').click();
    await page.keyboard.press('Escape');
    assert.ok(
      await page.locator('[data-part=settings]').isHidden(),
      'Escape left the settings open',
    );
    const back = await page
      .locator('siger-chat')
      .evaluate((host) => host.shadowRoot.activeElement?.dataset.action ?? '');
    assert.equal(back, 'settings', 'focus did not return to the settings button');
  },
);

test(
  'page: when the model cannot load, the notice says so with Retry, and the typed message is kept',
  {},
  async ({ context, server }) => {
    const page = await newPage(context);
    let broken = true;
    await context.route('**/models/siger-demo/model.safetensors', (route) =>
      broken ? route.fulfill({ status: 503, body: 'down' }) : route.continue(),
    );
    await page.goto(chatPage(server));
    await waitForState(page, 'error');
    const notice = page.locator('[data-part=notice][data-kind=error]');
    assert.match(
      await notice.textContent(),
      /Model gagal dimuat: .*503.*Periksa koneksi internet/s,
    );
    await page.locator('[data-part=input]').fill('Apa itu hujan?');
    await page.locator('button[data-action=send]').click();
    await until(
      () => page.locator('[data-part=input]').inputValue(),
      (v) => v === 'Apa itu hujan?',
      'the message back in the input box',
    );
    assert.equal(await messages(page).count(), 0, 'the failed message stayed in the thread');
    broken = false;
    await notice.first().locator('button[data-action=notice-action]').click();
    await waitForState(page, 'ready');
    await configure(page, SHORT);
    const reply = await sendAndWait(page, await page.locator('[data-part=input]').inputValue());
    assert.ok((await reply.locator('[data-part=text]').textContent()).length > 0);
  },
);

test(
  'page: Clear all data deletes the threads, the settings and the cached model and dictionary',
  {},
  async ({ context, server }) => {
    const page = await openChat(context, chatPage(server));
    await configure(page, { ...SHORT, seed: 5 });
    await sendAndWait(page, 'Halo');
    await chooseMode(page, 'lpg-id');
    await waitForDictionary(page);
    await chooseMode(page, 'chat');
    assert.equal((await savedSettings(page)).seed, 5);
    await page.locator('button[data-action=settings]').click();
    await page.locator('button[data-action=clear-data]').click();
    await page.locator('button[data-action=confirm-clear]').click();
    await until(
      () => page.locator('[data-part=notice][data-kind=warn]').allTextContents(),
      (t) => t.some((x) => /Semua data dihapus/.test(x)),
      'the cleared notice',
    );
    assert.equal(await messages(page).count(), 0, 'messages are still shown');
    assert.equal(await page.locator('[name=seed]').inputValue(), '', 'the seed setting survived');
    const buckets = await page.evaluate(() => caches.keys());
    assert.ok(!buckets.includes('siger-models-v1'), 'the model cache survived');
    assert.ok(!buckets.includes('siger-translation-v1'), 'the dictionary cache survived');
    await page.reload();
    await waitForState(page, 'ready');
    assert.deepEqual(
      await threadTitles(page),
      ['Percakapan tanpa judul'],
      'a thread came back after the reload',
    );
  },
);

test(
  'widget: on another site, the host CSS cannot reach in, nothing leaks out, and it translates',
  {},
  async ({ context, host }) => {
    const page = await openChat(context, `${host.base}/host.html`);
    const sendStyle = await page.locator('button[data-action=send]').evaluate((b) => {
      const style = getComputedStyle(b);
      return {
        color: style.color,
        background: style.backgroundColor,
        display: style.display,
        fontSize: style.fontSize,
      };
    });
    assert.notEqual(sendStyle.color, 'rgb(255, 0, 0)', 'the host colour reached the send button');
    assert.notEqual(sendStyle.background, 'rgb(255, 255, 0)');
    assert.notEqual(sendStyle.display, 'inline');
    assert.notEqual(sendStyle.fontSize, '30px');
    const after = await page.evaluate(() => {
      const style = getComputedStyle(document.getElementById('host-button'));
      return {
        keys: Object.keys(window),
        button: Object.fromEntries([...style].map((p) => [p, style.getPropertyValue(p)])),
        defined: typeof customElements.get('siger-chat'),
        before: window.hostBefore,
      };
    });
    assert.deepEqual(
      after.keys.filter((k) => !after.before.keys.includes(k)),
      ['hostBefore'],
      'the widget added globals',
    );
    assert.equal(after.defined, 'function');
    const changed = Object.keys(after.button).filter(
      (p) => after.button[p] !== after.before.button[p],
    );
    assert.deepEqual(changed, [], "the widget changed the host button's style");
    await checkTranslation(page);
  },
);

test(
  'widget: in a sandboxed iframe (no storage), it loads the model and translates',
  {},
  async ({ context, host }) => {
    const page = await newPage(context);
    await page.goto(`${host.base}/sandbox.html`);
    const frame = page.frameLocator('iframe');
    await waitForState(frame, 'ready');
    const origin = await page
      .mainFrame()
      .childFrames()[0]
      .evaluate(() => origin);
    assert.equal(origin, 'null', 'the frame is not sandboxed');
    assert.equal(
      await frame.locator('[data-part=notice][data-kind=error]').count(),
      0,
      'an error notice is shown',
    );
    await checkTranslation(frame);
  },
);

test(
  'widget: the launcher shows only its button and loads the model on first open',
  {},
  async ({ context, host }) => {
    const page = await newPage(context);
    const beforeOpen = await requestsDuring(context, async () => {
      await page.goto(`${host.base}/launcher.html`);
      await page.locator('button[data-part=launcher]').waitFor();
      await page.waitForTimeout(500); // time enough to start a download it should not start
    });
    assert.ok(
      await page.locator('[data-part=app]').isHidden(),
      'the chat panel shows before it is opened',
    );
    assert.deepEqual(
      beforeOpen.filter(
        (p) => p.includes('/models/') || p.includes('/pkg/') || p.endsWith('/siger-worker.js'),
      ),
      [],
    );
    const launcher = page.locator('button[data-part=launcher]');
    const afterOpen = await requestsDuring(context, async () => {
      await launcher.click();
      await waitForState(page, 'ready');
    });
    assert.ok(await page.locator('[data-part=app]').isVisible());
    assert.equal(await launcher.getAttribute('aria-expanded'), 'true');
    assert.ok(
      afterOpen.includes('/models/siger-demo/model.safetensors'),
      `the model was not downloaded on open: ${afterOpen}`,
    );
    await launcher.click();
    assert.ok(
      await page.locator('[data-part=app]').isHidden(),
      'the launcher did not close the panel',
    );
  },
);

/** What the chat page may ask for: its own files and the demo model, all from its origin. */
const PAGE_FILES =
  /^\/(|index\.html|page\.css|favicon\.svg|siger-widget\.js|ui\/[\w-]+\.js|siger\.js|siger-(worker|files|sha256|device|protocol|link|completions|translator|resources|sources|library|faults|canary)\.js|pkg\/[\w.-]+|models\/siger-demo\/[\w.-]+)$/;

test(
  'page: asks only its own origin for its own files, and a reload reads the model from the cache',
  {},
  async ({ context, server }) => {
    const urls = [];
    const record = (request) => urls.push(request.url());
    context.on('request', record);
    let page;
    const reload = [];
    try {
      page = await openChat(context, chatPage(server));
      await configure(page, SHORT);
      await sendAndWait(page, 'Halo');
      const beforeReload = urls.length;
      await page.reload();
      await waitForState(page, 'ready');
      reload.push(...urls.slice(beforeReload).map((u) => new URL(u).pathname));
    } finally {
      context.off('request', record);
    }
    const foreign = urls.filter((u) => new URL(u).origin !== server.base);
    assert.deepEqual(foreign, [], 'requests to another origin');
    const unexpected = urls.map((u) => new URL(u).pathname).filter((p) => !PAGE_FILES.test(p));
    assert.deepEqual(unexpected, [], 'requests for files the page does not need');
    assert.ok(
      urls.some((u) => u.includes('/models/siger-demo/model.safetensors')),
      'the model was never downloaded: the check means nothing',
    );
    const refetched = reload.filter((p) =>
      MODEL_FILES.some((f) => p === `/models/siger-demo/${f}`),
    );
    assert.deepEqual(refetched, [], 'model files were downloaded again after the reload');
  },
);

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };

/** The folder for screenshots: $SIGER_SCREENSHOTS, or target/screenshots in the repository. */
async function screenshotFolder() {
  const folder = process.env.SIGER_SCREENSHOTS
    ? resolve(process.env.SIGER_SCREENSHOTS)
    : resolve(REPO, 'target/screenshots');
  await mkdir(folder, { recursive: true });
  return folder;
}

/** Screenshots of the page at each viewport, as `<name>-desktop.png` and `<name>-phone.png`. */
async function shoot(page, folder, name) {
  for (const [size, viewport] of [
    ['desktop', DESKTOP],
    ['phone', PHONE],
  ]) {
    await page.setViewportSize(viewport);
    const path = resolve(folder, `${name}-${size}.png`);
    await page.screenshot({ path });
    console.log(`      screenshot ${path}`);
  }
}

test(
  'page: screenshots after a reply and after a translation, desktop and phone',
  {},
  async ({ context, server }) => {
    const folder = await screenshotFolder();
    const page = await openChat(context, chatPage(server), { viewport: DESKTOP });
    await configure(page, SHORT);
    await sendAndWait(page, 'Apa itu fotosintesis?');
    await shoot(page, folder, 'page-reply');
    await chooseMode(page, 'lpg-id');
    await sendAndWait(page, 'Nyak haga mengan!');
    await shoot(page, folder, 'page-translation');
  },
);

test(
  "widget: screenshots of the teacher's page with the launcher open, desktop and phone",
  {},
  async ({ context, server }) => {
    const folder = await screenshotFolder();
    const page = await newPage(context);
    await page.setViewportSize(DESKTOP);
    await page.goto(`${server.base}/widget.html`);
    await page.locator('button[data-part=launcher]').click();
    const launched = page.locator('siger-chat[launcher]');
    await waitForState(launched, 'ready');
    await configure(launched, SHORT);
    await sendAndWait(launched, 'Halo');
    await shoot(page, folder, 'widget-launcher');
  },
);
