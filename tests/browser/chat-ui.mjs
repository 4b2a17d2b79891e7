// Driving a <siger-chat> element as a student does: through its buttons, its settings drawer and
// its input box. `scope` is a page or a frameLocator (a sandboxed iframe); playwright's CSS
// selectors reach into the element's open shadow root. The selectors are the element's DOM
// contract (built in www/ui/: layout.js, composer.js, settings.js, thread-list.js, view.js).

import { newPage } from './browser.mjs';

/** Opens `url` in a new tab and waits until its chat has loaded the model. */
export async function openChat(context, url, { viewport } = {}) {
  const page = await newPage(context);
  if (viewport) await page.setViewportSize(viewport);
  await page.goto(url);
  await waitForState(page, 'ready');
  return page;
}

/** Waits until the chat's `data-state` is `state` (idle, loading, ready, generating, error). */
export function waitForState(scope, state, timeout = 30_000) {
  return scope
    .locator(`[data-part=app][data-state=${state}]`)
    .waitFor({ state: 'attached', timeout });
}

/** Sets sampling options through the settings drawer, as a student would, then closes it. */
export async function configure(scope, settings) {
  await scope.locator('button[data-action=settings]').click();
  const form = scope.locator('form[data-part=settings]');
  for (const [name, value] of Object.entries(settings)) {
    const field = form.locator(`[name=${name}]`);
    if (name === 'backend') {
      await field.selectOption(value);
    } else {
      await field.fill(String(value));
      await field.dispatchEvent('change'); // typing alone saves nothing until the field is left
    }
  }
  await form.locator('button[data-action=close-settings]').click();
}

/** Picks a mode chip: chat, lpg-id or id-lpg. */
export function chooseMode(scope, mode) {
  return scope.locator(`button[data-mode=${mode}]`).click();
}

/** Types `text` and presses Enter; the chat is generating before this returns. */
export async function send(scope, text) {
  const input = scope.locator('textarea[data-part=input]');
  await input.fill(text);
  await input.press('Enter');
}

/** Sends `text` and waits until the reply or translation is done; returns the last message. */
export async function sendAndWait(scope, text, timeout) {
  await send(scope, text);
  await waitForState(scope, 'ready', timeout);
  return scope.locator('article[data-part=message]').last();
}

/** The messages of `role` (user, assistant, translation), or all of them. */
export function messages(scope, role) {
  return scope.locator(
    role ? `article[data-part=message][data-role=${role}]` : 'article[data-part=message]',
  );
}

/** The texts of the messages of `role`, in order. */
export function texts(scope, role) {
  return messages(scope, role).locator('[data-part=text]').allTextContents();
}

/** The thread list's titles, in order. */
export function threadTitles(scope) {
  return scope.locator('li[data-part=thread] button[data-action=open-thread]').allTextContents();
}

/**
 * Records the last assistant message's text length at every change of the message log, from
 * now on; returns a function reading the lengths so far. The recorder lives on the log element
 * (no global), and sees every streamed piece: each arrives in its own task.
 */
export async function recordLengths(scope) {
  const log = scope.locator('[data-part=messages]');
  await log.evaluate((element) => {
    const lengths = (element.recordedLengths = []);
    new MutationObserver(() => {
      const text =
        [...element.querySelectorAll('[data-role=assistant] [data-part=text]')].at(-1)
          ?.textContent ?? '';
      if (text.length !== lengths.at(-1)) lengths.push(text.length);
    }).observe(element, { subtree: true, childList: true, characterData: true });
  });
  return () => log.evaluate((element) => element.recordedLengths);
}

/**
 * Clicks Stop from inside the page the moment the reply's first text shows: the demo model
 * writes a whole reply in well under a second, faster than a click sent from here lands.
 */
export function stopAtFirstText(scope) {
  return scope.locator('[data-part=messages]').evaluate((element) => {
    const observer = new MutationObserver(() => {
      const text = [...element.querySelectorAll('[data-role=assistant] [data-part=text]')].at(
        -1,
      )?.textContent;
      if (!text) return;
      observer.disconnect();
      element.getRootNode().querySelector('button[data-action=stop]').click();
    });
    observer.observe(element, { subtree: true, childList: true, characterData: true });
  });
}

/** Polls `read()` until `ok(value)`; fails with the last value after `timeout` ms. */
export async function until(read, ok, what, timeout = 10_000) {
  const end = Date.now() + timeout;
  for (;;) {
    const value = await read();
    if (ok(value)) return value;
    if (Date.now() > end) {
      throw new Error(`${what}: still ${JSON.stringify(value)} after ${timeout / 1000} s`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The settings the chat page saved (www/ui/store.js, IndexedDB), read in `page`. */
export function savedSettings(page) {
  return page.evaluate(async () =>
    (await (await import('/ui/store.js')).openStore()).getSettings(),
  );
}

/** Writes `thread` into the chat's store as if an earlier visit had saved it. */
export function putThread(page, thread) {
  return page.evaluate(
    async (t) => (await (await import('/ui/store.js')).openStore()).putThread(t),
    thread,
  );
}

/** The tokens of a translation message, as its DOM shows them (ui/view.js). */
export function tokensOf(message) {
  return message.locator('span[data-part=token]').evaluateAll((spans) =>
    spans.map((s) => ({
      text: s.textContent,
      input: s.dataset.input,
      source: s.dataset.source,
      sourceName: s.dataset.sourceName,
      title: s.title,
    })),
  );
}

/** Waits until the dictionary's line shows what the translation modes loaded. */
export function waitForDictionary(scope, timeout = 30_000) {
  return scope.locator('[data-part=dictionary]:not([hidden])').waitFor({ timeout });
}

/**
 * From the next page load on, records every text of the model's and the dictionary's progress
 * labels, from the shadow root's creation on; returns a function reading them
 * (`{progress: [...], 'dictionary-progress': [...]}`).
 */
export async function recordProgressLabels(page) {
  await page.addInitScript(() => {
    const attachShadow = Element.prototype.attachShadow;
    Element.prototype.attachShadow = function (init) {
      const root = attachShadow.call(this, init);
      const labels = (this.progressLabels = { progress: [], 'dictionary-progress': [] });
      new MutationObserver(() => {
        for (const [part, seen] of Object.entries(labels)) {
          const label = root.querySelector(`[data-part=${part}-label]`)?.textContent;
          if (label && label !== seen.at(-1)) seen.push(label);
        }
      }).observe(root, { subtree: true, childList: true, characterData: true });
      return root;
    };
  });
  return () => page.locator('siger-chat').evaluate((host) => host.progressLabels);
}
