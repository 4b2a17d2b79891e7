// Runs the browser tests: `node run.mjs [part-of-a-name ...]`. One line per test, then
// "N passed, N failed"; the exit status is 1 when any test failed.

import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { cases as askCases } from './ask-cases.mjs';
import { CHROMIUM, launch } from './browser.mjs';
import { cases as runtimeCases } from './cases.mjs';
import { cases as hostileCases } from './hostile-cases.mjs';
import { startHostServer, startServer } from './server.mjs';
import { cases as uiCases } from './ui-cases.mjs';

const www = process.env.SIGER_WWW
  ? `${process.env.SIGER_WWW}/`
  : fileURLToPath(new URL('../../www/', import.meta.url));
for (const needed of ['pkg/siger_bg.wasm', 'models/siger-demo/manifest.json']) {
  if (!existsSync(www + needed)) {
    console.error(`missing www/${needed}: run pkg-scripts/build-web first`);
    process.exit(1);
  }
}
if (!existsSync(CHROMIUM)) {
  console.error(`no Chromium at ${CHROMIUM}: apt-get install chromium (or set CHROMIUM)`);
  process.exit(1);
}

const filters = process.argv.slice(2);
const selected = [...runtimeCases, ...uiCases, ...hostileCases, ...askCases].filter(
  (c) => filters.length === 0 || filters.some((f) => c.name.includes(f)),
);
const server = await startServer();
const host = await startHostServer(server.base); // a teacher's site, for the widget tests
const browsers = new Map(); // webgpu flag -> browser, launched when first needed
let passed = 0;
let failed = 0;

for (const testCase of selected) {
  if (!browsers.has(testCase.webgpu)) {
    browsers.set(testCase.webgpu, await launch({ webgpu: testCase.webgpu }));
  }
  const context = await browsers.get(testCase.webgpu).newContext();
  const started = performance.now();
  try {
    await withTimeout(testCase.body({ context, server, host }), testCase.timeout);
    passed += 1;
    console.log(`ok    ${testCase.name} (${seconds(started)})`);
  } catch (err) {
    failed += 1;
    console.log(
      `FAIL  ${testCase.name} (${seconds(started)})\n      ${String(err.message).split('\n').join('\n      ')}`,
    );
    for (const page of context.pages()) {
      for (const line of page.logs ?? []) console.log(`      | ${brief(line)}`);
    }
  } finally {
    await context.close().catch(() => {});
  }
}

for (const browser of browsers.values()) await browser.close();
await server.close();
await host.close();
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 && passed > 0 ? 0 : 1);

function withTimeout(promise, ms) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms / 1000} s`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** A console line's first lines only: a panic's wasm stack says nothing here. */
function brief(line) {
  const head = line.split('\n').filter(Boolean).slice(0, 2).join(' ⏎ ');
  return head.length > 400 ? `${head.slice(0, 400)}…` : head;
}

function seconds(since) {
  return `${((performance.now() - since) / 1000).toFixed(1)} s`;
}
