// A static server for the browser tests: www/ through serve-handler (the core of vercel's
// `serve`, which pkg-scripts/run uses) with pkg-scripts/serve.json's headers, plus the test
// page, on 127.0.0.1 and a free port.
// It counts requests per path, so a test can check what the browser really asked for, and serves
// the files a test gives it (`fixture`) under /__siger_test__/.

import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import handler from 'serve-handler';
import { LESSON_ARTICLE } from './lesson.mjs';

const here = dirname(fileURLToPath(import.meta.url));

/** The page the tests run in: it imports /siger.js and does nothing else. */
export const TEST_PAGE = '/__siger_test__.html';

/**
 * A name the browser resolves to 127.0.0.1 (browser.mjs): plain HTTP under it is no secure
 * context (a school's LAN server), unlike http://127.0.0.1 and http://localhost.
 */
export const INSECURE_HOST = 'school.test';

export async function startServer() {
  const config = JSON.parse(await readFile(resolve(here, '../../pkg-scripts/serve.json'), 'utf8'));
  // SIGER_WWW serves another build of www/ (a folder of symlinks is fine).
  config.public = process.env.SIGER_WWW ?? resolve(here, '../../www');
  config.symlinks = Boolean(process.env.SIGER_WWW);
  const page = await readFile(resolve(here, 'page.html'));
  const isolation = Object.fromEntries(
    config.headers[0].headers.map(({ key, value }) => [key, value]),
  );
  const requests = new Map(); // path -> count
  const fixtures = new Map(); // path -> body
  const stalls = new Map(); // path -> bytes sent before the server goes quiet

  const server = createServer((request, response) => {
    const path = new URL(request.url, 'http://host').pathname;
    requests.set(path, (requests.get(path) ?? 0) + 1);
    if (path === TEST_PAGE) {
      response.writeHead(200, { ...isolation, 'Content-Type': 'text/html; charset=utf-8' });
      response.end(page);
      return;
    }
    if (stalls.has(path)) {
      // Headers and the first bytes, then nothing: a hung server. The response stays open.
      response.writeHead(200, { ...isolation, 'Content-Type': 'application/octet-stream' });
      response.write(Buffer.alloc(stalls.get(path)));
      return;
    }
    if (fixtures.has(path)) {
      response.writeHead(200, { ...isolation, 'Content-Type': 'text/plain; charset=utf-8' });
      response.end(fixtures.get(path));
      return;
    }
    handler(request, response, config).catch((err) => {
      response.writeHead(500);
      response.end(String(err));
    });
  });
  await new Promise((ok, fail) => server.listen(0, '127.0.0.1', ok).on('error', fail));
  const { port } = server.address();
  return {
    base: `http://127.0.0.1:${port}`,
    /** The folder served (www/). */
    root: config.public,
    /** How many requests reached the server for `path` so far. */
    count: (path) => requests.get(path) ?? 0,
    /** Serves `body` at /__siger_test__/`name`; returns that path. */
    fixture: (name, body) => {
      fixtures.set(`/__siger_test__/${name}`, body);
      return `/__siger_test__/${name}`;
    },
    /** Makes requests for `path` get `bytes` bytes and then hang. */
    stall: (path, bytes) => stalls.set(path, bytes),
    /** Serves `path` normally again. */
    unstall: (path) => stalls.delete(path),
    close: () =>
      new Promise((ok) => {
        server.close(ok);
        server.closeAllConnections(); // the stalled responses too
      }),
  };
}

/**
 * A teacher's site on another origin (`localhost`, another port: another site, too), whose
 * pages load the widget from the Siger server at `sigerBase`:
 *   /host.html      the translate widget under CSS that would break it if it could reach in,
 *                   beside a host button; it records window's keys before the widget loads
 *   /launcher.html  only `<siger-chat launcher>`
 *   /sandbox.html   the widget inside `<iframe sandbox="allow-scripts">` (an opaque origin)
 *   /lexicon.html?lexicon=URL  the translate widget with `lexicon="URL"`
 *   /lesson.html?source=S  a lesson (`<article id="lesson">`, lesson.mjs) and the chat widget
 *                   answering from `source="S"` (default `#lesson`), on a phone's viewport
 *   /hostile.html   the widget under `* { … !important }` typography, which inherits into it
 * and the files a test gives it (`fixture`: a teacher's lexicon), with CORS.
 */
export async function startHostServer(sigerBase) {
  const widget = `${sigerBase}/siger-widget.js`;
  const pages = hostPages(widget);
  const fixtures = new Map(); // path -> body
  const server = createServer((request, response) => {
    const url = new URL(request.url, 'http://host');
    if (fixtures.has(url.pathname)) {
      const headers = { 'Content-Type': 'text/plain; charset=utf-8' };
      response.writeHead(200, { ...headers, 'Access-Control-Allow-Origin': '*' });
      response.end(fixtures.get(url.pathname));
      return;
    }
    const page =
      url.pathname === '/lexicon.html'
        ? lexiconPage(widget, url.searchParams.get('lexicon') ?? '')
        : url.pathname === '/lesson.html'
          ? lessonPage(widget, url.searchParams.get('source') ?? '#lesson')
          : pages[url.pathname];
    response.writeHead(page ? 200 : 404, { 'Content-Type': 'text/html; charset=utf-8' });
    response.end(page ?? 'not found');
  });
  await new Promise((ok, fail) => server.listen(0, '127.0.0.1', ok).on('error', fail));
  return {
    base: `http://localhost:${server.address().port}`,
    /** Serves `body` at /`name`; returns that path. */
    fixture: (name, body) => {
      fixtures.set(`/${name}`, body);
      return `/${name}`;
    },
    close: () => new Promise((ok) => server.close(ok)),
  };
}

/** A teacher's page with the translate widget pointed at the lexicon `lexicon` (as written). */
function lexiconPage(widget, lexicon) {
  const attribute = lexicon.replaceAll('&', '&amp;').replaceAll('"', '&quot;');
  return `<!doctype html><html lang="id"><meta charset="utf-8"><title>Our class dictionary</title><link rel="icon" href="data:,">
    <siger-chat mode="translate" lang="id" lexicon="${attribute}"></siger-chat>
    <script type="module" src="${widget}"></script></html>`;
}

/** A teacher's lesson page with the chat widget answering from `source` (as written). */
function lessonPage(widget, source) {
  const attribute = source.replaceAll('&', '&amp;').replaceAll('"', '&quot;');
  return `<!doctype html><html lang="id"><meta charset="utf-8"><title>Pelajaran IPA</title>
    <meta name="viewport" content="width=device-width, initial-scale=1"><link rel="icon" href="data:,">
    <style>body { margin: 8px; font: 16px/1.5 system-ui, sans-serif; }</style>
    ${LESSON_ARTICLE}
    <siger-chat source="${attribute}" lang="id"></siger-chat>
    <script type="module" src="${widget}"></script></html>`;
}

/** Host CSS aimed at everything a widget is made of. */
const HOSTILE_CSS = `
  body { color: red; font: 22px/3 serif; }
  button, div, textarea, span, p, form, article, progress {
    color: red !important; background: yellow !important; display: inline !important;
    border: 4px dashed red !important; font-size: 30px !important; margin: 9px !important;
  }`;

/** Host CSS on every element, the widget's host and the root included: inherited, it crosses in. */
const HOSTILE_TYPE_CSS = `
  * { color: red !important; font-size: 40px; line-height: 3; font-family: fantasy; letter-spacing: 4px; }`;

function hostPages(widget) {
  const page = (title, body) =>
    `<!doctype html><html lang="en"><meta charset="utf-8"><title>${title}</title><link rel="icon" href="data:,">${body}</html>`;
  const load = `<script type="module" src="${widget}"></script>`;
  const sandboxed = page(
    'Siger in a sandboxed frame',
    `<siger-chat mode="translate" lang="id"></siger-chat>${load}`,
  );
  return {
    '/host.html': page(
      'A school page',
      `<style>${HOSTILE_CSS}</style>
      <p>Our class page.</p>
      <button id="host-button">A host button</button>
      <siger-chat mode="translate" lang="id"></siger-chat>
      <script>
        // Runs before the module (modules are deferred); a const adds no property to window.
        const hostButton = document.getElementById('host-button');
        const style = getComputedStyle(hostButton);
        window.hostBefore = { keys: Object.keys(window), button: Object.fromEntries([...style].map((p) => [p, style.getPropertyValue(p)])) };
      </script>
      ${load}`,
    ),
    '/hostile.html': page(
      'A school page with loud type',
      `<style>${HOSTILE_TYPE_CSS}</style>
      <p>Our class page.</p>
      <siger-chat mode="chat" lang="id"></siger-chat>
      ${load}`,
    ),
    '/launcher.html': page(
      'A school page with the launcher',
      `<p>Our class page.</p><siger-chat launcher mode="chat" lang="id"></siger-chat>${load}`,
    ),
    '/sandbox.html': page(
      'A school page with a sandboxed frame',
      `<iframe sandbox="allow-scripts" style="width: 100%; height: 640px" srcdoc="${sandboxed.replaceAll('&', '&amp;').replaceAll('"', '&quot;')}"></iframe>`,
    ),
  };
}
