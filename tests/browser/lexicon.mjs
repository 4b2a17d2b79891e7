// What the shipped dictionary knows, read in Node from the files the web build serves
// (www/translation/), never from the translator under test: the Lampung forms of every entry,
// so that a test can check that each word the lexicon holds was found.

import { readFileSync } from 'node:fs';

/** A teacher's lexicon in the TSV format (models/lexicon/README.md), its one word made up. */
export const TEACHER_LEXICON = [
  'lampung\tindonesian\tenglish\tdialect\tpos\tsource\tnote',
  'zumbalo\tkucing\tcat\tboth\tnoun\tKelas 5B\ta word made up for this test',
].join('\n');

/** The same with a malformed third line. */
export const BROKEN_LEXICON = `${TEACHER_LEXICON}\nrusak\n`;

/** Sources that mean a word was found: looked up, or derived from an entry by a rule. */
export const FOUND = ['phrasebook', 'lexicon', 'morphology'];

/** How the meizano list's entries are cited (crate/src/translate/meizano.rs, ORIGIN). */
export const MEIZANO_CITATION = 'meizano/lampung (2019, GPL-3.0)';

/**
 * The shipped lexicon: the served manifest, the lexicon's entry in it, its bytes, and
 * `lampung`, every Lampung form it lists (lowercased; a cell may hold several, comma-separated).
 */
export function shippedLexicon(root) {
  const folder = `${root}/translation`;
  const manifest = JSON.parse(readFileSync(`${folder}/manifest.json`, 'utf8'));
  const resource = manifest.resources.find((r) => r.kind === 'lexicon');
  const bytes = readFileSync(`${folder}/${resource.file}`);
  const lampung = new Set();
  for (const row of JSON.parse(bytes.toString('utf8'))) {
    for (const form of (row.lpgkata ?? '').split(',')) {
      if (form.trim()) lampung.add(form.trim().toLowerCase());
    }
  }
  return { manifest, resource, bytes, lampung };
}

/** The words of `text`, lowercased, without the punctuation around them. */
export function words(text) {
  return text
    .toLowerCase()
    .split(/\s+/)
    .map((w) => w.replace(/^[^\p{L}]+|[^\p{L}]+$/gu, ''))
    .filter(Boolean);
}

/**
 * Checks `tokens` ({input, source}) of a translation of `sentence`: every word the lexicon
 * knows is covered by tokens that were found. Returns the known words (so a caller can check
 * there were some) and the problems.
 */
export function checkKnownWords(sentence, tokens, lampung) {
  const known = words(sentence).filter((w) => lampung.has(w));
  const problems = [];
  for (const word of known) {
    const covering = tokens.filter((t) => words(t.input ?? '').includes(word));
    if (covering.length === 0) problems.push(`${word}: no token translates it`);
    for (const t of covering.filter((t) => !FOUND.includes(t.source))) {
      problems.push(`${word}: in the lexicon, but its token ${JSON.stringify(t)} is ${t.source}`);
    }
  }
  return { known, problems };
}
