/**
 * A fast parser for the plain block YAML that nearly every Kubernetes
 * manifest is written in: block mappings and sequences, single-line plain and
 * quoted scalars, literal block scalars (`|`, `|-`), empty flow collections
 * and comments. It builds the same `yaml` nodes, with the same ranges, values
 * and scalar types, as `parseAllDocuments` does for that text, in a fraction of
 * the time (the `yaml` package's lexer, parser and composer were two thirds of
 * the CLI's CPU time).
 *
 * Anything outside that subset (flow collections with content, anchors,
 * aliases, tags, folded or multi-line scalars, complex keys, tabs, CR line
 * ends, directives, syntax errors) makes it return `undefined`, and the caller
 * parses the text with `yaml` as before. So the fast path can only ever be a
 * faster way to the same document; test/unit/fast-block-parser.test.ts proves
 * the equivalence on both corpora, the benchmark corpus and the fixtures.
 */
import { Document, Pair, Scalar, YAMLMap, YAMLSeq, type DocumentOptions, type Node, type ParseOptions, type SchemaOptions } from 'yaml';

/** The options the manifest parser gives `yaml`; documents are created with the same ones. */
export type FastParseOptions = ParseOptions & DocumentOptions & SchemaOptions;

/** How `yaml` resolves a plain scalar: the schema's tags with a test, then the string tag. */
interface ScalarTag {
  default?: boolean | 'key';
  test?: RegExp;
  format?: string;
  resolve(value: string, onError: (msg: string) => void, options: unknown): unknown;
}

/** Thrown (once allocated, so no stack is captured) when the text leaves the supported subset. */
const BAIL = new Error('not plain block YAML');
const SCALAR_TAG = Symbol.for('yaml.scalar');
/** First characters a plain scalar may not start with, or that start a construct we leave to `yaml`. */
const NOT_PLAIN_START = new Set(['#', '&', '*', '!', '|', '>', '\'', '"', '%', '@', '`', '{', '}', '[', ']', ',']);
/** JSON's escapes, which mean the same in a YAML double-quoted scalar; any other escape goes to `yaml`. */
const JSON_ESCAPES_ONLY = /^(?:[^\\]|\\["\\/bfnrt]|\\u[0-9a-fA-F]{4})*$/;
const LINE_BLANK = 0;
const LINE_COMMENT = 1;
const LINE_CONTENT = 2;

/**
 * Parses one YAML document (a part of a file as split at `---` lines) into a
 * `yaml` Document, or returns undefined when the text is not in the plain
 * block subset described above.
 */
export function parseBlockDocument(text: string, options: FastParseOptions): Document.Parsed | undefined {
  if (text.includes('\t') || text.includes('\r') || text.charCodeAt(0) === 0xfeff) return undefined;
  // Spaces at the very end of a text without a final newline fall outside yaml's document range.
  if (text.endsWith(' ')) return undefined;
  const doc = new Document(undefined, options) as Document.Parsed;
  try {
    const parser = new BlockParser(text, doc, options);
    const contents = parser.parseDocument();
    doc.contents = contents as never;
    // Like yaml, the document starts at its `---` marker, or else at the line of its first content.
    doc.range = [text.startsWith('---') ? 0 : parser.firstContentStart, contents.range![2], text.length];
    if (text.startsWith('---')) doc.directives.docStart = true;
    return doc;
  } catch (err) {
    if (err === BAIL) return undefined;
    throw err;
  }
}

class BlockParser {
  private readonly starts: number[] = [];
  private readonly ends: number[] = [];
  private readonly indents: number[] = [];
  private readonly kinds: number[] = [];
  private readonly tags: ScalarTag[];
  private readonly stringTag: ScalarTag;
  /** Offset of the line holding the document's first content. */
  firstContentStart = 0;

  constructor(private readonly text: string, private readonly doc: Document.Parsed, private readonly options: FastParseOptions) {
    const schema = doc.schema as unknown as { tags: ScalarTag[]; [SCALAR_TAG]: ScalarTag };
    this.tags = schema.tags.filter((t) => t.default === true && t.test);
    this.stringTag = schema[SCALAR_TAG];
    let start = 0;
    while (start <= text.length) {
      let end = text.indexOf('\n', start);
      if (end < 0) end = text.length;
      const i = this.skipSpaces(start, end);
      this.starts.push(start);
      this.ends.push(end);
      this.indents.push(i - start);
      this.kinds.push(i === end ? LINE_BLANK : text.charCodeAt(i) === 35 /* # */ ? LINE_COMMENT : LINE_CONTENT);
      if (end === text.length) break;
      start = end + 1;
    }
  }

  /** Parses the whole part: an optional `---` line, then one block collection. */
  parseDocument(): Node {
    let line = 0;
    if (this.text.startsWith('---')) {
      // Only a comment may follow the marker on its line.
      if (!/^---[ ]*(?:#.*)?$/.test(this.text.slice(0, this.ends[0]))) throw BAIL;
      line = 1;
    }
    for (let l = line; l < this.starts.length; l++) {
      if (this.kinds[l] === LINE_CONTENT && this.indents[l] === 0) {
        const c = this.text.charCodeAt(this.starts[l]);
        // Directives and document-end markers are left to `yaml`.
        if (c === 37 /* % */ || this.text.startsWith('...', this.starts[l])) throw BAIL;
      }
    }
    const first = this.nextContent(line);
    if (first < 0) throw BAIL;
    this.firstContentStart = this.starts[first];
    const { node, next } = this.parseBlockNode(first, this.indents[first], -1);
    if (this.nextContent(next) >= 0) throw BAIL;
    return node;
  }

  /** The first line at or after `line` that has content, or -1. */
  private nextContent(line: number): number {
    for (let l = line; l < this.starts.length; l++) if (this.kinds[l] === LINE_CONTENT) return l;
    return -1;
  }

  /** The largest indentation of a comment line in [from, to) (to < 0: the end), or -1 when there is none. */
  private gapCommentIndent(from: number, to: number): number {
    let max = -1;
    const end = to < 0 ? this.starts.length : to;
    for (let l = from; l < end; l++) if (this.kinds[l] === LINE_COMMENT && this.indents[l] > max) max = this.indents[l];
    return max;
  }

  /**
   * `yaml` counts comment lines after a collection's last item into its range
   * when they are indented at least as far as the collection (the document's
   * own trailing comments excepted); such texts are left to `yaml`.
   */
  private checkClosingGap(from: number, to: number, col: number, parentIndent: number): void {
    if (parentIndent >= 0 && this.gapCommentIndent(from, to) >= col) throw BAIL;
  }

  /** A block mapping or sequence starting at column `col` of `line`. */
  private parseBlockNode(line: number, col: number, parentIndent: number): { node: Node; next: number } {
    if (col <= parentIndent) throw BAIL;
    const at = this.starts[line] + col;
    if (this.isSeqEntry(at, this.ends[line])) return this.parseSeq(line, col, parentIndent);
    return this.parseMap(line, col, parentIndent);
  }

  /** True when `- ` (or a lone `-`) starts at `at`. */
  private isSeqEntry(at: number, end: number): boolean {
    return this.text.charCodeAt(at) === 45 /* - */ && (at + 1 === end || this.text.charCodeAt(at + 1) === 32);
  }

  private parseSeq(firstLine: number, col: number, parentIndent: number): { node: Node; next: number } {
    const seq = new YAMLSeq(this.doc.schema);
    const start = this.starts[firstLine] + col;
    for (let line = firstLine; ;) {
      const lineStart = this.starts[line];
      const lineEnd = this.ends[line];
      const v = this.skipSpaces(lineStart + col + 1, lineEnd);
      let item: { node: Node; next: number };
      if (v === lineEnd || this.text.charCodeAt(v) === 35 /* # */) {
        if (v < lineEnd && this.text.charCodeAt(v - 1) !== 32) throw BAIL;
        const n = this.nextContent(line + 1);
        if (n < 0 || this.indents[n] <= col) throw BAIL;
        item = this.parseBlockNode(n, this.indents[n], col);
      } else if (this.isSeqEntry(v, lineEnd) || this.keyEnd(v, lineEnd) >= 0) {
        item = this.parseBlockNode(line, v - lineStart, col);
      } else {
        item = this.parseInlineValue(line, v, col);
      }
      seq.items.push(item.node);
      const n = this.nextContent(item.next);
      if (n >= 0 && this.indents[n] > col) throw BAIL;
      if (n < 0 || this.indents[n] < col || !this.isSeqEntry(this.starts[n] + col, this.ends[n])) {
        // A same-column line that is not an entry ends this sequence only when it is a
        // mapping key of the parent (the caller checks that).
        this.checkClosingGap(item.next, n, col, parentIndent);
        return this.finish(seq, start, item);
      }
      line = n;
    }
  }

  private parseMap(firstLine: number, col: number, parentIndent: number): { node: Node; next: number } {
    const map = new YAMLMap(this.doc.schema);
    const start = this.starts[firstLine] + col;
    for (let line = firstLine; ;) {
      const lineEnd = this.ends[line];
      const k = this.starts[line] + col;
      const colon = this.keyEnd(k, lineEnd);
      if (colon < 0) throw BAIL;
      const key = this.parseKey(k, colon);
      const v = this.skipSpaces(colon + 1, lineEnd);
      let value: { node: Node; next: number };
      if (v === lineEnd || (this.text.charCodeAt(v) === 35 /* # */ && v > colon + 1)) {
        const n = this.nextContent(line + 1);
        if (n >= 0 && (this.indents[n] > col || (this.indents[n] === col && this.isSeqEntry(this.starts[n] + col, this.ends[n])))) {
          value = this.indents[n] === col ? this.parseSeq(n, col, col - 1) : this.parseBlockNode(n, this.indents[n], col);
        } else {
          // An empty value takes the comments after it into its range: left to `yaml`.
          // The same goes for one that ends the document, which also ends yaml's document range.
          if (v < lineEnd || n < 0 || this.gapCommentIndent(line + 1, n) >= 0) throw BAIL;
          value = { node: this.scalar('', 'PLAIN', v, v, v), next: line + 1 };
        }
      } else {
        value = this.parseInlineValue(line, v, col);
      }
      map.items.push(new Pair(key, value.node));
      const n = this.nextContent(value.next);
      if (n < 0 || this.indents[n] < col) {
        this.checkClosingGap(value.next, n, col, parentIndent);
        return this.finish(map, start, value);
      }
      if (this.indents[n] > col) throw BAIL;
      if (this.isSeqEntry(this.starts[n] + col, this.ends[n])) throw BAIL;
      line = n;
    }
  }

  /** Closes a collection: it ends where its last item ends, and parsing goes on where that item's did. */
  private finish(node: YAMLMap | YAMLSeq, start: number, last: { node: Node; next: number }): { node: Node; next: number } {
    const end = last.node.range![2];
    node.range = [start, end, end];
    return { node, next: last.next };
  }

  /** The first offset at or after `i` (and before `end`) that is not a space. */
  private skipSpaces(i: number, end: number): number {
    while (i < end && this.text.charCodeAt(i) === 32) i++;
    return i;
  }

  /**
   * True when the character at `k` cannot start a plain scalar: an indicator,
   * or `-`, `?` or `:` followed by a space or the line end.
   */
  private notPlainStart(k: number, end: number): boolean {
    const c = this.text[k];
    return NOT_PLAIN_START.has(c) || ((c === '-' || c === '?' || c === ':') && (k + 1 === end || this.text.charCodeAt(k + 1) === 32));
  }

  /**
   * The offset of the `:` that ends a mapping key starting at `k`, or -1 when
   * the line at `k` is not a simple `key: …` entry.
   */
  private keyEnd(k: number, end: number): number {
    const t = this.text;
    const c = t[k];
    if (c === '"' || c === '\'') {
      const close = this.quoteEnd(k, end);
      if (close < 0 || t.charCodeAt(close) !== 58 /* : */) return -1;
      return close + 1 === end || t.charCodeAt(close + 1) === 32 ? close : -1;
    }
    if (this.notPlainStart(k, end)) return -1;
    for (let i = k + 1; i < end; i++) {
      const ch = t.charCodeAt(i);
      if (ch === 58 /* : */ && (i + 1 === end || t.charCodeAt(i + 1) === 32)) return i;
      if (ch === 35 /* # */ && t.charCodeAt(i - 1) === 32) return -1;
    }
    return -1;
  }

  /** The offset just after the closing quote of a quoted scalar starting at `q`, or -1 if it does not close on this line. */
  private quoteEnd(q: number, end: number): number {
    const t = this.text;
    if (t[q] === '"') {
      for (let i = q + 1; i < end; i++) {
        const ch = t.charCodeAt(i);
        if (ch === 92 /* \ */) i++;
        else if (ch === 34 /* " */) return i + 1;
      }
      return -1;
    }
    for (let i = q + 1; i < end; i++) {
      if (t.charCodeAt(i) === 39 /* ' */) {
        if (t.charCodeAt(i + 1) === 39) i++;
        else return i + 1;
      }
    }
    return -1;
  }

  private parseKey(k: number, colon: number): Scalar {
    const t = this.text;
    const c = t[k];
    if (c === '"' || c === '\'') return this.scalar(this.unquote(k, colon), c === '"' ? 'QUOTE_DOUBLE' : 'QUOTE_SINGLE', k, colon, colon);
    let e = colon;
    while (e > k && t.charCodeAt(e - 1) === 32) e--;
    const source = t.slice(k, e);
    // Merge keys have their own semantics; leave them to `yaml`.
    if (source === '<<') throw BAIL;
    return this.scalar(source, 'PLAIN', k, e, e);
  }

  /** The value of a quoted scalar spanning [q, close). */
  private unquote(q: number, close: number): string {
    const raw = this.text.slice(q + 1, close - 1);
    if (this.text[q] === '\'') return raw.includes('\'\'') ? raw.replaceAll('\'\'', '\'') : raw;
    if (!raw.includes('\\')) return raw;
    if (!JSON_ESCAPES_ONLY.test(raw)) throw BAIL;
    return JSON.parse(`"${raw}"`) as string;
  }

  /** A value that starts on the line of its key or `-` indicator, at offset `v`. */
  private parseInlineValue(line: number, v: number, parentIndent: number): { node: Node; next: number } {
    const t = this.text;
    const lineEnd = this.ends[line];
    const c = t[v];
    let node: Node;
    let rest: number;
    if (c === '|') return this.parseLiteral(line, v, parentIndent);
    if (c === '"' || c === '\'') {
      const close = this.quoteEnd(v, lineEnd);
      if (close < 0) throw BAIL;
      rest = close;
      node = this.scalar(this.unquote(v, close), c === '"' ? 'QUOTE_DOUBLE' : 'QUOTE_SINGLE', v, close, 0);
    } else if ((c === '{' && t[v + 1] === '}') || (c === '[' && t[v + 1] === ']')) {
      rest = v + 2;
      const collection = c === '{' ? new YAMLMap(this.doc.schema) : new YAMLSeq(this.doc.schema);
      collection.flow = true;
      collection.range = [v, rest, 0];
      node = collection;
    } else {
      if (this.notPlainStart(v, lineEnd)) throw BAIL;
      let e = v + 1;
      for (; e < lineEnd; e++) {
        const ch = t.charCodeAt(e);
        if (ch === 35 /* # */ && t.charCodeAt(e - 1) === 32) break;
        // `a: b: c` is an error and `: ` inside a value is something `yaml` should judge.
        if (ch === 58 /* : */ && (e + 1 === lineEnd || t.charCodeAt(e + 1) === 32)) throw BAIL;
      }
      let valueEnd = e;
      while (t.charCodeAt(valueEnd - 1) === 32) valueEnd--;
      rest = valueEnd;
      node = this.scalar(t.slice(v, valueEnd), 'PLAIN', v, valueEnd, 0);
    }
    // Only spaces and a comment may follow the value on its line.
    const r = this.skipSpaces(rest, lineEnd);
    if (r < lineEnd && (t.charCodeAt(r) !== 35 || r === rest)) throw BAIL;
    // A more indented line after a single-line scalar would continue it, and a more
    // indented comment would join its range: both are left to `yaml`.
    const n = this.nextContent(line + 1);
    if ((n >= 0 && this.indents[n] > parentIndent) || this.gapCommentIndent(line + 1, n) > parentIndent) throw BAIL;
    node.range![2] = lineEnd === t.length ? lineEnd : lineEnd + 1;
    return { node, next: line + 1 };
  }

  /** A literal block scalar (`|` or `|-`) whose indicator is at `h`. */
  private parseLiteral(line: number, h: number, parentIndent: number): { node: Node; next: number } {
    const t = this.text;
    const header = t.slice(h, this.ends[line]);
    const m = /^\|(-?)(?:[ ]+#.*|[ ]*)$/.exec(header);
    if (!m) throw BAIL;
    const strip = m[1] === '-';
    let contentIndent = -1;
    let l = line + 1;
    const count = this.starts.length;
    for (; l < count; l++) {
      if (this.kinds[l] !== LINE_BLANK) {
        contentIndent = this.indents[l];
        break;
      }
      // A leading blank line longer than the content's indentation is an error or content: `yaml` judges it.
      if (this.ends[l] - this.starts[l] > 0) throw BAIL;
    }
    if (contentIndent <= parentIndent) throw BAIL;
    const parts: string[] = [];
    let lastContent = -1;
    for (l = line + 1; l < count; l++) {
      const len = this.ends[l] - this.starts[l];
      if (this.kinds[l] === LINE_BLANK) {
        if (len > contentIndent) throw BAIL;
        parts.push('');
        continue;
      }
      if (this.indents[l] < contentIndent) break;
      parts.push(t.slice(this.starts[l] + contentIndent, this.ends[l]));
      lastContent = l;
    }
    if (lastContent < 0) throw BAIL;
    if (this.gapCommentIndent(lastContent + 1, this.nextContent(lastContent + 1)) > parentIndent) throw BAIL;
    parts.length = lastContent - line;
    const value = parts.join('\n') + (strip ? '' : '\n');
    const end = this.ends[lastContent] === t.length ? t.length : this.ends[lastContent] + 1;
    const node = this.scalar(value, 'BLOCK_LITERAL', h, end, end);
    return { node, next: lastContent + 1 };
  }

  /** A scalar node resolved the way `yaml` resolves it (plain scalars by the schema's tag tests). */
  private scalar(source: string, type: Scalar.Type, start: number, valueEnd: number, end: number): Scalar {
    let tag = this.stringTag;
    if (type === 'PLAIN') {
      for (const candidate of this.tags) {
        if (candidate.test!.test(source)) {
          tag = candidate;
          break;
        }
      }
    }
    let failed = false;
    const res = tag.resolve(source, () => {
      failed = true;
    }, this.options);
    if (failed) throw BAIL;
    const node = res instanceof Scalar ? res : new Scalar(res);
    node.range = [start, valueEnd, end];
    node.source = source;
    node.type = type;
    if (tag.format) node.format = tag.format;
    return node;
  }
}
