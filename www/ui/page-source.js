// Where a source's text comes from: the widget's `source` attribute, which names an element of
// the host page (`#lesson`: a CSS selector starting with `#`, read as the page shows it, with no
// request made) or a file (anything else: a URL relative to the page, fetched as text once);
// and a file the student opens on the chat page (ui/source-panel.js). Each becomes
// `{name, text, title?}` (siger.d.ts, AskSource), or a SourceError saying in the interface's
// words (ui/strings.js) what is wrong.

import { fileName, megabytes } from '../siger-protocol.js';
import { SOURCE_LIMIT, utf8Length } from '../siger-sources.js';

/** Why a source cannot be read: `key` of ui/strings.js, with `values` for its `{…}`. */
export class SourceError extends Error {
  constructor(key, values, detail = '') {
    super(detail || key);
    this.key = key;
    this.values = values;
    this.detail = detail;
  }
}

/** Whether the attribute names an element of the page (else a file's URL). */
export function namesElement(attribute) {
  return attribute.trim().startsWith('#');
}

/**
 * The element `selector` of `root` (the widget's document or shadow root) as a source named by
 * its id. Its text is read as shown (`innerText`; `textContent` when it is not rendered), each
 * line a paragraph of its own: headings and list items are not run into the text after them.
 */
export function elementSource(selector, root) {
  let element;
  try {
    element = root.querySelector(selector.trim());
  } catch (err) {
    throw new SourceError('sourceSelector', { selector }, err.message);
  }
  if (!element) throw new SourceError('sourceMissing', { selector });
  const name = element.id || selector.trim().slice(1);
  const shown = element.innerText || element.textContent || '';
  const text = shown
    .split('\n')
    .map((line) => line.replace(/\s+/g, ' ').trim())
    .filter(Boolean)
    .join('\n\n');
  checkText(name, text);
  const title = element.querySelector('h1, h2, h3, h4, h5, h6')?.textContent.trim();
  return title ? { name, title, text } : { name, text };
}

/** The file at `attribute` (relative to the page), as a source named by its file name. */
export async function fetchSource(attribute) {
  let url;
  try {
    url = new URL(attribute.trim(), document.baseURI);
  } catch (err) {
    throw new SourceError('sourceFetchFailed', { url: attribute }, err.message);
  }
  let response;
  try {
    response = await fetch(url);
  } catch (err) {
    throw new SourceError(
      'sourceFetchFailed',
      { url: attribute },
      `cannot download ${url}: ${err.message}`,
    );
  }
  if (!response.ok) {
    throw new SourceError(
      'sourceFetchFailed',
      { url: attribute },
      `HTTP ${response.status} for ${url}`,
    );
  }
  const name = fileName(url);
  if (Number(response.headers.get('Content-Length')) > SOURCE_LIMIT) tooBig(name, SOURCE_LIMIT + 1);
  const text = await response.text();
  checkText(name, text);
  return { name, text };
}

/** A file the student chose (a File), read here: nothing is uploaded. */
export async function fileSource(file) {
  if (file.size > SOURCE_LIMIT) tooBig(file.name, file.size);
  let text;
  try {
    text = await file.text();
  } catch (err) {
    throw new SourceError('sourceReadFailed', { name: file.name }, err.message);
  }
  checkText(file.name, text);
  return { name: file.name, text };
}

/** Text the student pasted, named by its first line (a heading, usually). */
export function pastedSource(text, fallbackName) {
  const first = text.split('\n').find((line) => line.trim()) ?? '';
  const words = first
    .replace(/^[#>\-*\s]+/, '')
    .replace(/\s+/g, ' ')
    .trim();
  const name = words.length > 40 ? `${words.slice(0, 40).trimEnd()}…` : words;
  checkText(name || fallbackName, text);
  return { name: name || fallbackName, text };
}

/** Refuses an empty text, one past SOURCE_LIMIT, and a binary file's bytes. */
function checkText(name, text) {
  if (!text.trim()) throw new SourceError('sourceEmpty', { name });
  const bytes = utf8Length(text);
  if (bytes > SOURCE_LIMIT) tooBig(name, bytes);
  if (text.includes('\u0000')) throw new SourceError('sourceNotText', { name });
}

function tooBig(name, bytes) {
  const values = { name, size: megabytes(bytes), limit: megabytes(SOURCE_LIMIT) };
  throw new SourceError('sourceTooBig', values);
}
