/**
 * The fast block parser must be nothing but a faster way to the document
 * `yaml` builds: wherever it accepts a text, every node must have the same
 * type, range, value, source, scalar type and format as `parseAllDocuments`
 * gives, and `yaml` must report no error there. Checked on both shared
 * corpora, the fixtures, the examples, a generated benchmark-style corpus and
 * hand-written edge cases; texts outside its subset must be declined.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { isMap, isScalar, isSeq, parseAllDocuments, type Document, type Node } from 'yaml';
import { parseBlockDocument, type FastParseOptions } from '../../server/src/manifests/fast-block-parser.ts';
import { splitDocuments } from '../../server/src/manifests/parse-manifests.ts';
import { generateManifest, prng, renderFile } from '../../scripts/bench/validation-corpus.ts';

const root = path.resolve(import.meta.dirname, '..', '..');
const FUZZ_RUNS = Number(process.env.FAST_PARSER_FUZZ_RUNS ?? 5000);
const OPTIONS: FastParseOptions = { prettyErrors: false, uniqueKeys: false, strict: true, merge: true, logLevel: 'error' };

/** Describes the first difference between two nodes, or returns undefined when they are the same. */
function difference(a: unknown, b: unknown, at: string): string | undefined {
  const kind = (n: unknown) => (isMap(n) ? 'map' : isSeq(n) ? 'seq' : isScalar(n) ? 'scalar' : String(n));
  if (kind(a) !== kind(b)) return `${at}: ${kind(a)} vs ${kind(b)}`;
  const na = a as Node;
  const nb = b as Node;
  if (JSON.stringify(na.range) !== JSON.stringify(nb.range)) return `${at}: range ${JSON.stringify(na.range)} vs ${JSON.stringify(nb.range)}`;
  if (isScalar(a) && isScalar(b)) {
    for (const f of ['value', 'source', 'type', 'format', 'tag'] as const) {
      if (!Object.is(a[f], b[f])) return `${at}: ${f} ${JSON.stringify(a[f])} vs ${JSON.stringify(b[f])}`;
    }
    return undefined;
  }
  if ((isMap(a) && isMap(b)) || (isSeq(a) && isSeq(b))) {
    if (Boolean(a.flow) !== Boolean(b.flow)) return `${at}: flow ${a.flow} vs ${b.flow}`;
    if (a.items.length !== b.items.length) return `${at}: ${a.items.length} vs ${b.items.length} items`;
    for (let i = 0; i < a.items.length; i++) {
      const ia = a.items[i] as any;
      const ib = b.items[i] as any;
      const d = isMap(a) ? difference(ia.key, ib.key, `${at}/${i}:key`) ?? difference(ia.value, ib.value, `${at}/${i}:value`) : difference(ia, ib, `${at}/${i}`);
      if (d) return d;
    }
  }
  return undefined;
}

/** Compares the fast parse of one document part with yaml's; returns whether the fast parser accepted it. */
function check(text: string, where: string): boolean {
  const fast = parseBlockDocument(text, OPTIONS);
  if (!fast) return false;
  const docs = parseAllDocuments(text, OPTIONS) as unknown as Document.Parsed[];
  assert.ok(Array.isArray(docs) && docs.length === 1, `${where}: yaml found ${Array.isArray(docs) ? docs.length : 0} documents where the fast parser found one`);
  const ref = docs[0];
  assert.deepEqual(ref.errors.map((e) => e.message), [], `${where}: the fast parser accepted a text yaml rejects`);
  assert.deepEqual(ref.warnings.map((e) => e.message), [], `${where}: the fast parser accepted a text yaml warns about`);
  assert.deepEqual(fast.range, ref.range, `${where}: document range`);
  const d = difference(fast.contents, ref.contents, '');
  assert.equal(d, undefined, `${where}: ${d}\n--- text:\n${text.slice(0, 2000)}`);
  assert.deepEqual(fast.toJS(), ref.toJS(), `${where}: values`);
  return true;
}

function yamlFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      if (name === '.git' || name === 'node_modules') continue;
      const p = path.join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (/\.ya?ml$/.test(name) && statSync(p).size < 2_000_000) out.push(p);
    }
  };
  walk(dir);
  return out;
}

function checkFiles(files: string[]): { parts: number; accepted: number } {
  let parts = 0;
  let accepted = 0;
  for (const f of files) {
    const text = readFileSync(f, 'utf8');
    for (const part of splitDocuments(text)) {
      parts++;
      if (check(part.text, `${path.relative(root, f)}@${part.offset}`)) accepted++;
    }
  }
  return { parts, accepted };
}

describe('fast block parser', () => {
  it('builds the same nodes as yaml on hand-written block YAML', () => {
    const cases = [
      'a: 1\n',
      '---\n# c\na: 1  # x\nb:\n  - x: "y"\n    z: |\n      hi\n      there\n\n  - q\nc: {}\nd:\ne: 0x1F\n\n# tail\n',
      'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n  labels:\n    app.kubernetes.io/name: "x"\ndata:\n  k: \'it\'\'s\'\n  n: "a\\nb\\u00e9"\n',
      'list:\n- a\n- b\nnext: true\n',
      'list:\n  -   name: a\n      v: 1\n  - name: b\nk: [] # empty\n',
      'a:\n  b:\n    c: null\n    d: ~\n    e: 1.5\n    f: -3\n    g: .inf\n    h: 1e3\n    i: 0o17\n',
      'script: |-\n  #!/bin/sh\n  echo hi\n\n  echo there\nafter: x',
      'nested:\n  - - a\n    - b\n  - c\n',
      '"quoted key": 1\n\'single\': 2\n',
      'url: http://example.com:8080/path\ncron: "*/5 * * * *"\n',
      'a: 1\n\n\n# comment\n\nb: 2\n',
      'top:\n  # comment inside\n  k: v\n',
      'a: |\n  x\n',
      'a: |\n  x\nb: 1',
      'a: b',
      'a:\n- 1\n- 2',
    ];
    for (const [i, text] of cases.entries()) assert.ok(check(text, `case ${i}`), `case ${i} should be accepted:\n${text}`);
  });

  it('declines what it does not handle, so yaml parses it', () => {
    const declined = [
      'a: &x 1\nb: *x\n',
      'a: !!str 1\n',
      'a: >\n  folded\n',
      'a: {b: 1}\n',
      'a: [1, 2]\n',
      'a: multi\n  line\n',
      'a: "multi\n  line"\n',
      '? complex\n: key\n',
      'a:\tb\n',
      'a: 1\r\nb: 2\r\n',
      '%YAML 1.2\n---\na: 1\n',
      'a: b: c\n',
      '<<: {a: 1}\n',
      'just a scalar\n',
      '',
      '# only a comment\n',
      'a: |2\n   x\n',
      'a: |+\n  x\n\n',
      'a: "\\x41"\n',
      'a: 1\n  b: 2\n',
      '- a\nb: 1\n',
    ];
    for (const text of declined) assert.equal(parseBlockDocument(text, OPTIONS), undefined, `should be declined:\n${text}`);
  });

  it('matches yaml on every document of the shared corpora, the fixtures and the examples', () => {
    const dirs = [path.join(root, '..', 'shared', 'corpora'), path.join(root, 'test', 'fixtures'), path.join(root, 'examples')];
    const files = dirs.flatMap(yamlFiles);
    assert.ok(files.length > 50, `expected the corpora under ${dirs[0]}`);
    const { parts, accepted } = checkFiles(files);
    console.log(`fast path took ${accepted} of ${parts} document parts of ${files.length} files; the rest went to yaml`);
    assert.ok(accepted > parts / 2, `the fast path should take most real documents (took ${accepted} of ${parts})`);
  });

  it('matches yaml on a benchmark-style corpus of 3,000 generated manifests', () => {
    const r = prng(7);
    let parts = 0;
    let accepted = 0;
    for (let i = 0; i < 3000; i += 10) {
      const { text } = renderFile(Array.from({ length: 10 }, (_, j) => generateManifest(r, i + j, r() < 0.1).object));
      for (const part of splitDocuments(text)) {
        parts++;
        if (check(part.text, `generated ${i}@${part.offset}`)) accepted++;
      }
    }
    assert.equal(accepted, parts, 'every generated manifest is plain block YAML');
  });

  it('never accepts a mutated document that yaml reads differently (random edits)', () => {
    // Single-character edits with the characters that change YAML structure: wherever the
    // fast parser still accepts the text, yaml must agree node for node and report no error.
    const r = prng(11);
    const alphabet = [' ', '  ', '\n', ':', '-', '#', '"', "'", '|', '{', '}', '[', ']', '&', '*', '!', '?', ',', 'x', '1', '\\', '%', '>', '~'];
    const seeds = [
      'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x # c\n  labels:\n    a: "b"\ndata:\n  k: |\n    line\n  q: \'v\'\n',
      'spec:\n  containers:\n  - name: a\n    args:\n      - "-c"\n      - x\n    ports: []\n  replicas: 3\n',
      '# head\na:\n  # inside\n  b:\n    - x # c\n    # between\n    - y: |-\n        one\n\n        # not a comment\n      z: 2\n  c: ""\n# tail\n',
      'list:\n- name: a\n  v: \'1\'\n# c\n- name: b\n  w:\n  - 1\nk: {}\n',
      ...Array.from({ length: 8 }, (_, i) => renderFile([generateManifest(r, i, false).object]).text),
    ];
    let accepted = 0;
    for (let n = 0; n < FUZZ_RUNS; n++) {
      let text = seeds[Math.floor(r() * seeds.length)];
      const edits = 1 + Math.floor(r() * 3);
      for (let e = 0; e < edits; e++) {
        const at = Math.floor(r() * (text.length + 1));
        const op = r();
        const ch = alphabet[Math.floor(r() * alphabet.length)];
        text = op < 0.4 ? text.slice(0, at) + ch + text.slice(at) : op < 0.7 ? text.slice(0, at) + text.slice(at + 1) : text.slice(0, at) + ch + text.slice(at + 1);
      }
      if (check(text, `mutation ${n}`)) accepted++;
    }
    assert.ok(accepted > 500, `enough mutations stay in the subset to make this meaningful (${accepted})`);
  });
});
