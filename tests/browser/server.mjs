// A static server for the browser tests: www/ through serve-handler (the core of vercel's
// `serve`, which pkg-scripts/run uses) with pkg-scripts/serve.json's headers, plus the test
// page, on 127.0.0.1 and a free port.
// It counts requests per path, so a test can check what the browser really asked for.

import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import handler from 'serve-handler';

const here = dirname(fileURLToPath(import.meta.url));

/** The page the tests run in: it imports /siger.js and does nothing else. */
export const TEST_PAGE = '/__siger_test__.html';

export async function startServer() {
  const config = JSON.parse(await readFile(resolve(here, '../../pkg-scripts/serve.json'), 'utf8'));
  // SIGER_WWW serves another build of www/ (a folder of symlinks is fine).
  config.public = process.env.SIGER_WWW ?? resolve(here, '../../www');
  config.symlinks = Boolean(process.env.SIGER_WWW);
  const page = await readFile(resolve(here, 'page.html'));
  const isolation = Object.fromEntries(config.headers[0].headers.map(({ key, value }) => [key, value]));
  const requests = new Map(); // path -> count

  const server = createServer((request, response) => {
    const path = new URL(request.url, 'http://host').pathname;
    requests.set(path, (requests.get(path) ?? 0) + 1);
    if (path === TEST_PAGE) {
      response.writeHead(200, { ...isolation, 'Content-Type': 'text/html; charset=utf-8' });
      response.end(page);
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
    close: () => new Promise((ok) => server.close(ok)),
  };
}
