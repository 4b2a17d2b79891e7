// The browser tests of answers from a source ("cite or stay silent"): `engine.ask` and
// `translator.ask` (www/siger-sources.js), the widget's `source` attribute on a teacher's page
// (another origin, a phone's viewport), and a thread's source on the chat page, kept in
// IndexedDB. The lesson is tests/browser/lesson.mjs; no model writes any of these answers.

import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { goToTestPage, newPage, openPage, requestsDuring } from './browser.mjs';
import { configure, messages, sendAndWait, texts, waitForState } from './chat-ui.mjs';
import {
  ABSTAIN_TEXT,
  ANSWERED,
  LESSON_MARKDOWN,
  LESSON_TEXT,
  PARAGRAPHS,
  TITLE,
  UNANSWERED,
} from './lesson.mjs';

const PHONE = { width: 360, height: 640 };
const MODEL_NOTE = 'Jawaban model — bukan fakta yang dicek';

export const cases = [];
function test(name, options, body) {
  cases.push({ name, webgpu: options.webgpu ?? false, timeout: options.timeout ?? 60_000, body });
}

/** What the page shows of a grounded message: its text, citations, passages, model note. */
function readAnswer(message) {
  return message.evaluate((el) => ({
    role: el.dataset.role,
    grounded: el.dataset.grounded,
    text: el.querySelector('[data-part=text]').textContent,
    label: el.querySelector('.citations .label')?.textContent,
    citations: [...el.querySelectorAll('[data-part=citation]')].map((c) => ({
      sentence: c.dataset.sentence,
      text: c.querySelector('[data-part=citation-text]').textContent,
      expanded: c.getAttribute('aria-expanded'),
    })),
    provenance: el.querySelector('[data-part=provenance]')?.textContent ?? null,
  }));
}

/** The passage a citation button opens: shown or not, its text, the marked part. */
function readPassage(citation) {
  return citation.evaluate((button) => {
    const passage = button.getRootNode().getElementById(button.getAttribute('aria-controls'));
    return {
      hidden: passage.hidden,
      text: passage.querySelector('p').textContent,
      marked: [...passage.querySelectorAll('mark')].map((m) => m.textContent),
    };
  });
}

/** Elements of the chat that reach past the viewport's sides (the scrolling mode chips aside). */
function overflowing(page) {
  return page.evaluate(() => {
    const width = document.documentElement.clientWidth;
    const root = document.querySelector('siger-chat').shadowRoot;
    const wide = [...root.querySelectorAll('*')]
      .filter((el) => !el.closest('.modes, .visually-hidden'))
      .filter((el) => {
        const box = el.getBoundingClientRect();
        return box.width > 0 && (box.right > width + 0.5 || box.left < -0.5);
      })
      .map((el) => `${el.tagName.toLowerCase()}.${el.className} (${el.dataset.part ?? ''})`);
    const page = document.documentElement.scrollWidth > width ? ['the page scrolls sideways'] : [];
    return [...page, ...wide];
  });
}

async function screenshot(page, name) {
  const folder = process.env.SIGER_SCREENSHOTS
    ? resolve(process.env.SIGER_SCREENSHOTS)
    : fileURLToPath(new URL('../../target/screenshots/', import.meta.url));
  await mkdir(folder, { recursive: true });
  const path = resolve(folder, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  console.log(`      screenshot ${path}`);
}

test(
  'widget: source="#lesson" answers from the page with citations and abstains, on a phone, asking nothing of the network',
  {},
  async ({ context, host }) => {
    const page = await newPage(context);
    await page.setViewportSize(PHONE);
    let answer;
    const paths = await requestsDuring(context, async () => {
      await page.goto(`${host.base}/lesson.html`);
      await waitForState(page, 'ready');
      answer = await sendAndWait(page, ANSWERED.question);
    });
    const bar = page.locator('[data-part=source-bar]');
    assert.match(await bar.textContent(), /^Sumber: lesson · [\d,]+ kB · jawaban dikutip/);
    const shown = await readAnswer(answer);
    assert.equal(shown.text, ANSWERED.sentence, 'the reply is not the sentence that answers');
    assert.ok(
      PARAGRAPHS.some((p) => p.includes(shown.text)),
      'the reply is not in the lesson',
    );
    assert.deepEqual(
      { ...shown, citations: shown.citations.map((c) => c.text) },
      {
        role: 'assistant',
        grounded: 'cited',
        text: ANSWERED.sentence,
        label: 'Sumber',
        citations: [ANSWERED.sentence],
        provenance: null,
      },
    );
    assert.equal(shown.citations[0].sentence, 'lesson#p3.s3'); // the heading is paragraph 1

    // The citation is a button: from the keyboard it opens the paragraph, the sentence marked.
    const citation = answer.locator('[data-part=citation]');
    assert.equal((await readPassage(citation)).hidden, true);
    await citation.focus();
    await page.keyboard.press('Enter');
    assert.deepEqual(await readPassage(citation), {
      hidden: false,
      text: ANSWERED.paragraph,
      marked: [ANSWERED.sentence],
    });
    assert.equal(await citation.getAttribute('aria-expanded'), 'true');
    assert.ok(await answer.locator('mark[data-part=cited]').isVisible());
    await screenshot(page, 'widget-source-phone');
    await page.keyboard.press('Space');
    assert.equal((await readPassage(citation)).hidden, true, 'a second press did not close it');

    const abstained = await readAnswer(await sendAndWait(page, UNANSWERED));
    assert.equal(abstained.text, ABSTAIN_TEXT);
    assert.equal(abstained.grounded, 'abstained');
    assert.equal(abstained.label, 'Bagian yang paling dekat');
    assert.ok(abstained.citations.length >= 1, 'an abstention offered no closest sentence');
    assert.ok(abstained.citations.every((c) => LESSON_TEXT.includes(c.text)));
    const closest = messages(page, 'assistant').last().locator('[data-part=citation]').first();
    await closest.click();
    const passage = await readPassage(closest);
    assert.ok(!passage.hidden && PARAGRAPHS.includes(passage.text), JSON.stringify(passage));
    assert.deepEqual(passage.marked, [abstained.citations[0].text]);

    assert.deepEqual(await overflowing(page), [], 'parts wider than a 360 px phone');
    // The page, then the program's files and its worker's blob module (on another site).
    const program =
      /^\/(siger[\w-]*\.js|ui\/[\w-]+\.js|pkg\/[\w.-]+)$|^http:\/\/localhost:\d+\/[\w-]{36}$/;
    const other = paths.filter((p) => !program.test(p));
    assert.deepEqual(other, ['/lesson.html'], 'requests beyond the page and the program');
    assert.ok(!paths.some((p) => p.startsWith('/models/')), 'the model was downloaded');
    assert.equal(await page.locator('[data-part=notice]').count(), 0, 'a notice is shown');
  },
);

test(
  'widget: source="pelajaran.md" is fetched once and answered from; a missing file is said plainly, and nothing answers instead',
  {},
  async ({ context, host }) => {
    host.fixture('pelajaran.md', LESSON_MARKDOWN);
    let page;
    const paths = await requestsDuring(context, async () => {
      page = await newPage(context);
      await page.goto(`${host.base}/lesson.html?source=pelajaran.md`);
      await waitForState(page, 'ready');
      await sendAndWait(page, ANSWERED.question);
      await sendAndWait(page, 'Apa itu presipitasi?');
    });
    const replies = await texts(page, 'assistant');
    assert.equal(replies.length, 2);
    assert.equal(replies[0], ANSWERED.sentence);
    // The definition, and the sentence after it when that one scores nearly as well.
    assert.match(replies[1], /^Jatuhnya air dari awan disebut presipitasi\./);
    const sentence = await page
      .locator('[data-part=citation]')
      .first()
      .getAttribute('data-sentence');
    assert.equal(sentence, 'pelajaran.md#p3.s3');
    assert.equal(paths.filter((p) => p === '/pelajaran.md').length, 1, 'fetched more than once');

    const missing = await newPage(context);
    await missing.goto(`${host.base}/lesson.html?source=tidak-ada.txt`);
    await waitForState(missing, 'error');
    const notice = missing.locator('[data-part=notice][data-tag=source]');
    assert.match(
      await notice.locator('p').textContent(),
      /^Sumber "tidak-ada\.txt" tidak bisa diunduh: server menolak memberikan berkasnya \(kode 404\)\. Periksa alamat/,
    );
    await missing.locator('textarea[data-part=input]').fill(ANSWERED.question);
    await missing.locator('textarea[data-part=input]').press('Enter');
    await waitForState(missing, 'error');
    assert.equal(await messages(missing, 'assistant').count(), 0, 'something answered anyway');
    assert.equal(
      await missing.locator('textarea[data-part=input]').inputValue(),
      ANSWERED.question,
    );
    assert.equal(await notice.count(), 1, 'the notice was not shown once, again');
  },
);

test(
  'ask: engine.ask and translator.ask cite spans that slice the sources exactly, with no download',
  { timeout: 120_000 },
  async ({ context, server }) => {
    const page = await openPage(context, server);
    const questions = [ANSWERED.question, 'Apa itu kondensasi?', 'Pada suhu berapa air mendidih?'];
    let result;
    const paths = await requestsDuring(context, async () => {
      result = await page.evaluate(
        async ({ text, questions, unanswered }) => {
          const translator = Siger.translator();
          const sources = [{ name: 'lesson', title: 'Siklus Air', text }, 'Catatan: air itu cair.'];
          const answers = [];
          for (const q of [...questions, unanswered]) {
            answers.push(await translator.ask(q, { sources }));
          }
          const strings = await translator.ask(questions[0], { sources: [text, sources[1]] });
          const one = await translator.ask(questions[1], { sources: text, maxSentences: 1 });
          return { answers, strings, one };
        },
        { text: LESSON_TEXT, questions, unanswered: UNANSWERED },
      );
    });
    assert.ok(!paths.some((p) => p.startsWith('/translation/')), 'ask downloaded the dictionary');
    const sourceTexts = {
      lesson: LESSON_TEXT,
      'sumber-1': LESSON_TEXT,
      'sumber-2': 'Catatan: air itu cair.',
    };
    const answers = [...result.answers, result.strings, result.one];
    for (const answer of answers) {
      for (const c of [...answer.citations, ...answer.closest]) {
        const text = sourceTexts[c.source];
        assert.equal(text.slice(...c.span), c.text, `span of ${c.sentence}`);
        assert.equal(
          text.slice(...c.passage_span),
          c.passage_text,
          `passage span of ${c.sentence}`,
        );
        assert.ok(c.sentence.startsWith(`${c.passage}.s`), c.sentence);
      }
    }
    const [transpiration, condensation, boiling, salt] = result.answers;
    assert.equal(transpiration.text, ANSWERED.sentence);
    assert.equal(transpiration.abstained, false);
    assert.equal(condensation.citations.length, 2, 'kondensasi: the sentence and the one before');
    assert.equal(result.one.citations.length, 1, 'maxSentences: 1 quoted more');
    assert.match(boiling.citations[0].text, /🌊 Air mendidih pada suhu 100 °C/);
    assert.equal(result.strings.citations[0].source, 'sumber-1');
    assert.deepEqual(
      { text: salt.text, abstained: salt.abstained, citations: salt.citations },
      { text: ABSTAIN_TEXT, abstained: true, citations: [] },
    );
    assert.ok(salt.closest.length >= 1 && salt.closest.length <= 3, 'closest sentences');

    // A loaded engine answers alike, through its own worker.
    const fromEngine = await page.evaluate(
      async ({ text, question }) => {
        const { index } = await loadEngine({ backend: 'cpu' });
        return engines[index].ask(question, {
          sources: [{ name: 'lesson', title: 'Siklus Air', text }, 'Catatan: air itu cair.'],
        });
      },
      { text: LESSON_TEXT, question: ANSWERED.question },
    );
    assert.deepEqual(fromEngine, transpiration);
  },
);

test(
  'ask: a malformed call rejects with a TypeError saying what is wrong, too much text with a RangeError',
  {},
  async ({ context, server }) => {
    const page = await openPage(context, server);
    const refused = await page.evaluate(async (text) => {
      const translator = Siger.translator();
      const aborted = AbortSignal.abort();
      const calls = {
        emptyQuestion: () => translator.ask('  ', { sources: text }),
        numberQuestion: () => translator.ask(42, { sources: text }),
        noOptions: () => translator.ask('Apa itu air?'),
        noSources: () => translator.ask('Apa itu air?', {}),
        numberSources: () => translator.ask('Apa itu air?', { sources: 7 }),
        emptyArray: () => translator.ask('Apa itu air?', { sources: [] }),
        unnamed: () => translator.ask('Apa itu air?', { sources: [{ name: ' ', text }] }),
        textless: () => translator.ask('Apa itu air?', { sources: [{ name: 'a', text: 5 }] }),
        twice: () =>
          translator.ask('Apa itu air?', {
            sources: [
              { name: 'a', text },
              { name: 'a', text },
            ],
          }),
        blank: () => translator.ask('Apa itu air?', { sources: '   ' }),
        threshold: () => translator.ask('Apa itu air?', { sources: text, threshold: NaN }),
        maxSentences: () => translator.ask('Apa itu air?', { sources: text, maxSentences: 0 }),
        closest: () => translator.ask('Apa itu air?', { sources: text, closest: 1.5 }),
        typo: () => translator.ask('Apa itu air?', { sources: text, max_sentences: 1 }),
        signal: () => translator.ask('Apa itu air?', { sources: text, signal: 'stop' }),
        tooBig: () => translator.ask('Apa itu air?', { sources: 'air '.repeat(1_250_001) }),
        aborted: () => translator.ask('Apa itu air?', { sources: text, signal: aborted }),
      };
      const out = {};
      for (const [name, call] of Object.entries(calls)) {
        try {
          const promise = call();
          if (!(promise instanceof Promise)) throw new Error('not a promise');
          await promise;
          out[name] = 'resolved';
        } catch (err) {
          out[name] = `${err.name}: ${err.message}`;
        }
      }
      const after = await translator.ask('Apa itu transpirasi?', { sources: text });
      return { out, after: after.text };
    }, LESSON_TEXT);
    const { out } = refused;
    for (const [name, said] of Object.entries(out)) {
      if (name === 'tooBig') assert.match(said, /^RangeError: ask: the sources hold 5000004 bytes/);
      else if (name === 'aborted') assert.match(said, /^AbortError: /);
      else assert.match(said, /^TypeError: ask: /, `${name}: ${said}`);
    }
    assert.match(out.typo, /unknown option 'max_sentences'/);
    assert.match(out.twice, /two sources are both named "a"/);
    assert.equal(
      refused.after,
      ANSWERED.sentence,
      'the translator did not answer after the refusals',
    );
  },
);

test(
  'page: a pasted source stays with its thread: answers cite it, a reload keeps it, and without it the model answers, marked as such',
  { timeout: 90_000 },
  async ({ context, server }) => {
    const page = await newPage(context);
    await page.goto(`${server.base}/`);
    await waitForState(page, 'ready');
    await page.locator('button[data-action=source]').click();
    await page.locator('textarea[data-part=source-text]').fill(LESSON_TEXT);
    await page.locator('button[data-action=use-source]').click();
    const bar = page.locator('[data-part=source-bar]');
    await bar.waitFor();
    assert.equal(await bar.locator('[data-part=source-name]').textContent(), TITLE);
    assert.match(await bar.locator('[data-part=source-size]').textContent(), /^[\d,]+ kB$/);
    assert.ok(await page.locator('[data-part=source-form]').isHidden(), 'the form stayed open');

    const reply = await sendAndWait(page, 'Apa itu kondensasi?');
    const first = await readAnswer(reply);
    assert.equal(first.grounded, 'cited');
    await reply.locator('[data-part=citation]').first().click();
    await screenshot(page, 'page-source-desktop');
    await page.setViewportSize(PHONE);
    await page.locator('button[data-action=source]').click(); // the form, open on a phone
    assert.deepEqual(await overflowing(page), [], 'parts wider than a 360 px phone');
    await screenshot(page, 'page-source-phone');
    await page.locator('button[data-action=close-source]').click();
    await reply.locator('[data-part=citation]').first().click();
    assert.ok(first.citations.length >= 1 && first.provenance === null, JSON.stringify(first));
    assert.ok(
      first.citations.every((c) => c.sentence.startsWith(`${TITLE}#p4.`)),
      JSON.stringify(first),
    );

    await page.reload();
    await waitForState(page, 'ready');
    assert.equal(await bar.locator('[data-part=source-name]').textContent(), TITLE);
    assert.deepEqual(await texts(page, 'user'), ['Apa itu kondensasi?']);
    const again = await readAnswer(messages(page, 'assistant').first());
    assert.deepEqual(again, first, 'the cited answer changed after the reload');
    const second = await readAnswer(await sendAndWait(page, ANSWERED.question));
    assert.equal(second.text, ANSWERED.sentence);

    await bar.locator('button[data-action=remove-source]').click();
    await bar.waitFor({ state: 'hidden' });
    await configure(page, { max_tokens: 16 });
    const fromModel = await readAnswer(await sendAndWait(page, 'Halo'));
    assert.equal(fromModel.grounded, undefined);
    assert.equal(fromModel.provenance, MODEL_NOTE);
    await page.reload();
    await waitForState(page, 'ready');
    assert.ok(await bar.isHidden(), 'the removed source came back after a reload');
  },
);

test(
  'page: a .md file opened as a source is read in the page, and a thread of the database before sources gets one',
  {},
  async ({ context, server }) => {
    const page = await newPage(context);
    await page.goto(server.base + '/__siger_test__.html');
    // A version-2 database (threads, settings, sessions) with one thread, as before sources.
    await page.evaluate(async () => {
      const wait = (request) =>
        new Promise((ok, fail) => {
          request.onsuccess = () => ok(request.result);
          request.onerror = () => fail(request.error);
        });
      const open = indexedDB.open('siger-chat', 2);
      open.onupgradeneeded = () => {
        for (const name of ['settings', 'sessions']) open.result.createObjectStore(name);
        open.result.createObjectStore('threads', { keyPath: 'id' });
      };
      const db = await wait(open);
      const tx = db.transaction('threads', 'readwrite');
      const messages = [{ role: 'user', content: 'Halo lama', mode: 'chat' }];
      tx.objectStore('threads').put({ id: 'old', title: 'Lama', created: 1, updated: 2, messages });
      await new Promise((ok) => (tx.oncomplete = ok));
      db.close();
    });
    await page.goto(`${server.base}/`);
    await waitForState(page, 'ready');
    assert.deepEqual(await texts(page, 'user'), ['Halo lama'], 'the old thread was lost');
    const paths = await requestsDuring(context, async () => {
      await page.locator('button[data-action=source]').click();
      await page.locator('input[data-part=source-file]').setInputFiles({
        name: 'pelajaran.md',
        mimeType: 'text/markdown',
        buffer: Buffer.from(LESSON_MARKDOWN),
      });
      await page.locator('[data-part=source-bar]').waitFor();
    });
    assert.deepEqual(paths, [], 'opening the file made a request');
    const name = page.locator('[data-part=source-bar] [data-part=source-name]');
    assert.equal(await name.textContent(), 'pelajaran.md');
    const answer = await readAnswer(await sendAndWait(page, ANSWERED.question));
    assert.equal(answer.citations[0]?.sentence, 'pelajaran.md#p3.s3');
    await page.reload();
    await waitForState(page, 'ready');
    assert.equal(await name.textContent(), 'pelajaran.md', 'the source was not kept');
    await goToTestPage(page, server);
    const stored = await page.evaluate(async () => {
      const store = await (await import('/ui/store.js')).openStore();
      const thread = await store.getThread('old');
      return { name: thread.source?.name, messages: thread.messages.length };
    });
    assert.deepEqual(stored, { name: 'pelajaran.md', messages: 3 });
  },
);

test(
  'ask: the worker keeps the libraries of the last two sources asked about and frees the others',
  {},
  async ({ context, server }) => {
    const page = await openPage(context, server);
    const log = await page.evaluate(async () => {
      const { KeptLibraries } = await import('/siger-library.js');
      const log = [];
      // A stand-in for the wasm module: it records what is built and freed.
      const glue = {
        Library: class {
          constructor(sources) {
            this.name = sources[0].name;
            log.push(`build ${this.name}`);
          }
          free() {
            log.push(`free ${this.name}`);
          }
        },
      };
      const kept = new KeptLibraries();
      const ask = (name, text = 'Air mengalir.') => kept.get(glue, [{ name, text }]).name;
      for (const name of ['a', 'b', 'a', 'c', 'a']) log.push(`ask ${ask(name)}`);
      ask('a', 'Teks lain.'); // the same name, other content: another library
      return log;
    });
    assert.deepEqual(log, [
      'build a',
      'ask a',
      'build b',
      'ask b',
      'ask a', // kept: not built again
      'build c',
      'free b', // the least recently asked
      'ask c',
      'ask a',
      'build a',
      'free c',
    ]);
  },
);
