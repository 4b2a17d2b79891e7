// Debian's Chromium driven by playwright-core (no browser download: `npx playwright install`
// is never needed), and the test page opened in it.

import { chromium } from 'playwright-core';
import { INSECURE_HOST, TEST_PAGE } from './server.mjs';

export const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';

/**
 * Headless Chromium; `webgpu: true` adds --enable-unsafe-webgpu (SwiftShader's WebGPU here).
 * INSECURE_HOST resolves to 127.0.0.1, for the tests of a plain-HTTP server.
 */
export function launch({ webgpu }) {
  const args = [
    '--headless',
    '--no-sandbox',
    `--host-resolver-rules=MAP ${INSECURE_HOST} 127.0.0.1`,
  ];
  if (webgpu) args.push('--enable-unsafe-webgpu');
  return chromium.launch({ executablePath: CHROMIUM, args, headless: true });
}

/** A new tab whose console lines and page errors are kept on `page.logs` (printed when a test fails). */
export async function newPage(context) {
  const page = await context.newPage();
  page.logs = [];
  page.on('console', (message) => page.logs.push(`console.${message.type()}: ${message.text()}`));
  page.on('pageerror', (error) => page.logs.push(`page error: ${error.message}`));
  return page;
}

/** Opens the test page in a new tab. */
export async function openPage(context, server) {
  const page = await newPage(context);
  await goToTestPage(page, server);
  return page;
}

/** (Re)loads the test page: a fresh document and no engines, with the origin's storage kept. */
export async function goToTestPage(page, server) {
  await page.goto(server.base + TEST_PAGE);
  await page.waitForFunction(() => window.sigerReady === true);
}

/** Paths the browser requested (page and workers) while `action` ran. */
export async function requestsDuring(context, action) {
  const paths = [];
  const record = (request) => paths.push(new URL(request.url()).pathname);
  context.on('request', record);
  try {
    await action();
  } finally {
    context.off('request', record);
  }
  return paths;
}
