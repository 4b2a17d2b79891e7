// The golden decode fixture (tests/reference/golden-demo.json: token ids the native CPU path
// writes) as text, decoded here with the bundle's byte-level BPE vocabulary, so the browser
// tests can compare what siger.js streams with it.

import { readFileSync } from 'node:fs';

const root = new URL('../../', import.meta.url);

export function goldenReplies(www) {
  const golden = JSON.parse(
    readFileSync(new URL('tests/reference/golden-demo.json', root), 'utf8'),
  );
  const tokenizer = JSON.parse(readFileSync(`${www}models/siger-demo/tokenizer.json`, 'utf8'));
  const tokens = new Map(Object.entries(tokenizer.model.vocab).map(([token, id]) => [id, token]));
  const bytes = byteOfCharacter();
  const decode = (ids) =>
    new TextDecoder().decode(
      new Uint8Array(ids.flatMap((id) => [...tokens.get(id)].map((c) => bytes.get(c)))),
    );
  return {
    maxTokens: golden.max_tokens,
    cases: golden.cases.map(({ prompt, ids }) => ({ prompt, text: decode(ids) })),
  };
}

/** GPT-2's byte-level alphabet: each byte is stored as a printable character. */
function byteOfCharacter() {
  const printable = [];
  for (const [from, to] of [
    [33, 126],
    [161, 172],
    [174, 255],
  ]) {
    for (let b = from; b <= to; b++) printable.push(b);
  }
  const map = new Map(printable.map((b) => [String.fromCodePoint(b), b]));
  let next = 256;
  for (let b = 0; b < 256; b++) {
    if (!printable.includes(b)) map.set(String.fromCodePoint(next++), b);
  }
  return map;
}
