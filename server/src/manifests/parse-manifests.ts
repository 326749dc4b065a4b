/**
 * Parses a YAML file into its documents, keeping every source range. The file
 * is split at `---` lines first and each part is parsed on its own: the YAML
 * spec forbids a document marker inside any scalar, so the split is exact, and
 * it lets callers reuse the parse of parts that did not change. Hostile input
 * (bombs, huge or binary files, deep nesting, thousands of documents) yields a
 * finding, never an exception.
 */
import { isAlias, isMap, isPair, isScalar, isSeq, parseAllDocuments, visit, YAMLParseError, type Document, type Node, type Pair } from 'yaml';
import type { Finding, Range } from '../findings.js';
import { parseBlockDocument, type FastParseOptions } from './fast-block-parser.js';
import { LineIndex } from './text-positions.js';

/** One YAML document of a manifest file. */
export interface ManifestDocument {
  /** Zero-based position of the document in the file. */
  index: number;
  /**
   * The parsed document. Node ranges inside it are relative to {@link offset}
   * (the document was parsed on its own); use {@link nodeRange} or
   * {@link rangeOfPath} to get file ranges.
   */
  document: Document.Parsed;
  /** The document as plain JavaScript (null when it could not be converted, e.g. an alias bomb). Computed on first access. */
  value: unknown;
  /** Why `value` is null although the document has content: an alias bomb or too deep nesting. */
  valueError?: 'alias-limit' | 'too-deep';
  /** The range of the whole document in the file. */
  range: Range;
  /** Offset of the document's text in the file. */
  offset: number;
  /** The document's own text (the part of the file it was parsed from). */
  text: string;
  apiVersion?: string;
  kind?: string;
  name?: string;
  namespace?: string;
}

/** A parsed file. */
export interface ParsedManifestFile {
  text: string;
  documents: ManifestDocument[];
  /** Syntax errors and limits hit, with file ranges. */
  findings: Finding[];
  /** Line table of `text`, for offset ↔ position conversion. */
  lines: LineIndex;
}

/** Limits that keep hostile input harmless. */
export interface ParseOptions {
  /** Files larger than this (in UTF-16 code units ≈ bytes) are not parsed. Default 5 MiB. */
  maxBytes?: number;
  /** Alias expansions allowed when converting a document to a value (yaml's maxAliasCount). Default 100. */
  maxAliasCount?: number;
  /** Documents beyond this count are not parsed. Default 10,000. */
  maxDocuments?: number;
  /** Reuse of parsed parts between calls, keyed by part text. */
  cache?: ParseCache;
  /**
   * Receives each document as soon as it is parsed, instead of collecting them
   * in `documents` (which then stays empty). A one-shot caller (the CLI) uses it
   * so each document's syntax tree can be dropped right after it was validated.
   */
  onDocument?: (document: ManifestDocument, file: ParsedManifestFile) => void;
  /**
   * Parse plain block YAML with the fast block parser (the same nodes, several
   * times faster), falling back to `yaml` for anything else. Default true;
   * false forces `yaml` (tests compare the two).
   */
  fastPath?: boolean;
}

/**
 * What every part is parsed with. uniqueKeys is off because yaml checks it
 * with a linear scan per key (a 4 MB ConfigMap took over 50 s);
 * reportDuplicateKeys does the same check in linear time.
 */
const YAML_OPTIONS: FastParseOptions = { prettyErrors: false, uniqueKeys: false, strict: true, merge: true, logLevel: 'error' };

/** A cache of parsed document parts, keyed by their text; keep one per open file. */
export type ParseCache = Map<string, Document.Parsed[]>;

export const DEFAULT_MAX_BYTES = 5 * 1024 * 1024;
export const DEFAULT_MAX_ALIAS_COUNT = 100;
export const DEFAULT_MAX_DOCUMENTS = 10_000;
/** Alias nodes allowed in one document before it is reported instead of converted (see addDocument). */
export const MAX_ALIAS_NODES = 1_000;

/** Where a document's not yet computed `value` keeps its state (a non-enumerable own property). */
const LAZY_VALUE = Symbol('lazy value');
type LazyValue = { [LAZY_VALUE]: { convert: (() => unknown) | undefined; value: unknown } };

/**
 * The accessor of `ManifestDocument.value`, shared by all documents. Its
 * getter and setter must not be closures per document: V8 keeps accessor
 * functions in the object's hidden class, which lives in the old generation,
 * so a per-document closure kept every document's syntax tree alive through
 * young-generation collections until the next full GC (it doubled GC time
 * and most of the CLI's memory peak).
 */
const LAZY_VALUE_PROPERTY: PropertyDescriptor = {
  enumerable: true,
  configurable: true,
  get(this: LazyValue): unknown {
    const state = this[LAZY_VALUE];
    if (state.convert) {
      state.value = state.convert();
      state.convert = undefined;
    }
    return state.value;
  },
  set(this: LazyValue, v: unknown): void {
    this[LAZY_VALUE] = { convert: undefined, value: v };
  },
};

/** Stands in for a document already handed to `onDocument`, so the count stays right. */
const EMITTED = {} as ManifestDocument;

function finding(range: Range, severity: Finding['severity'], code: string, message: string): Finding {
  return { range, severity, code, message, source: 'gitops-lens' };
}

/** Splits a YAML stream into parts, one per `---` document start; leading directive-only parts stay attached. */
export function splitDocuments(text: string): { offset: number; text: string }[] {
  const starts: number[] = [0];
  const re = /^---(?=[ \t\r\n]|$)/gm;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text))) if (m.index > 0) starts.push(m.index);
  const parts: { offset: number; text: string }[] = [];
  let pendingStart = -1;
  for (let i = 0; i < starts.length; i++) {
    const start = pendingStart >= 0 ? pendingStart : starts[i];
    const end = i + 1 < starts.length ? starts[i + 1] : text.length;
    const body = text.slice(starts[i], end);
    // Directives (%YAML, %TAG) belong to the document that follows them.
    if (i + 1 < starts.length && /^(\s*(%[^\n]*|#[^\n]*)?\n)*\s*$/.test(body) && /^\s*%/m.test(body)) {
      pendingStart = start;
      continue;
    }
    pendingStart = -1;
    parts.push({ offset: start, text: text.slice(start, end) });
  }
  return parts;
}

/** Friendlier wording for the yaml library's error codes; the message says what to do. */
function describeYamlError(code: string, message: string, snippet: string): { code: string; message: string } {
  const firstLine = message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
  switch (code) {
    case 'DUPLICATE_KEY':
      return { code: 'duplicate-key', message: `Duplicate key "${snippet}": each key may appear once in a mapping. Remove or rename one of them.` };
    case 'BAD_INDENT':
    case 'MISSING_CHAR':
    case 'UNEXPECTED_TOKEN':
    case 'BLOCK_AS_IMPLICIT_KEY':
    case 'MULTILINE_IMPLICIT_KEY':
    case 'TAB_AS_INDENT':
      return { code: 'yaml-syntax', message: `YAML syntax error: ${firstLine}. Check the indentation and punctuation here.` };
    default:
      // yaml turns a stack overflow on pathological nesting into a document error; say what it means.
      if (/call stack/i.test(firstLine))
        return { code: 'yaml-unparsable', message: 'YAML is nested too deeply to parse: not validated. Simplify this document.' };
      return { code: 'yaml-syntax', message: `YAML syntax error: ${firstLine}.` };
  }
}

/** Parses a manifest file. Never throws. */
export function parseManifests(text: string, options: ParseOptions = {}): ParsedManifestFile {
  const lines = new LineIndex(text);
  const file: ParsedManifestFile = { text, documents: [], findings: [], lines };
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  if (text.length > maxBytes) {
    file.findings.push(finding(lines.lineRange(0), 'warning', 'file-too-large',
      `File is ${(text.length / 1024 / 1024).toFixed(1)} MB, over the ${(maxBytes / 1024 / 1024).toFixed(1)} MB limit: not validated. Split it into smaller files or raise the limit.`));
    return file;
  }
  const nul = text.indexOf('\u0000');
  if (nul >= 0) {
    file.findings.push(finding(lines.lineRange(lines.positionAt(nul).line), 'warning', 'binary-content',
      'File contains binary data (a NUL character): not validated as YAML. Remove the binary content or exclude the file.'));
    return file;
  }
  // Editors and the CLI decode bytes that are not UTF-8 as U+FFFD; Kubernetes
  // only accepts UTF-8, so point at the first such character (and keep validating).
  const bad = text.indexOf('\uFFFD');
  if (bad >= 0) {
    file.findings.push(finding(lines.range(bad, bad + 1), 'warning', 'invalid-utf8',
      'This file has bytes that are not valid UTF-8 (shown as \uFFFD): Kubernetes reads manifests as UTF-8. Re-save the file with UTF-8 encoding.'));
  }
  const maxDocuments = options.maxDocuments ?? DEFAULT_MAX_DOCUMENTS;
  const maxAliasCount = options.maxAliasCount ?? DEFAULT_MAX_ALIAS_COUNT;
  const parts = splitDocuments(text);
  const seenParts = options.cache ? new Map<string, Document.Parsed[]>() : undefined;
  let emitted = 0;
  for (const part of parts) {
    if (file.documents.length >= maxDocuments) {
      file.findings.push(finding(lines.lineRange(lines.positionAt(part.offset).line), 'warning', 'too-many-documents',
        `File has more than ${maxDocuments} YAML documents: the rest is not validated. Split the file.`));
      break;
    }
    let docs = options.cache?.get(part.text);
    if (!docs) {
      try {
        const fast = options.fastPath === false ? undefined : parseBlockDocument(part.text, YAML_OPTIONS);
        docs = fast ? [fast] : (parseAllDocuments(part.text, YAML_OPTIONS) as unknown as Document.Parsed[]);
        if (!Array.isArray(docs)) docs = [];
        for (const d of docs) reportDuplicateKeys(d);
      } catch (err) {
        // Only pathological input (e.g. nesting deep enough to exhaust the stack) gets here.
        file.findings.push(finding(lines.lineRange(lines.positionAt(part.offset).line), 'error', 'yaml-unparsable',
          `YAML could not be parsed (${err instanceof RangeError ? 'nesting too deep' : 'parser failure'}): not validated. Simplify this document.`));
        docs = [];
      }
    }
    seenParts?.set(part.text, docs);
    for (const document of docs) {
      if (file.documents.length >= maxDocuments) break;
      addDocument(file, document, part, maxAliasCount);
    }
    if (options.onDocument) {
      // Hand the documents over and keep only their count (it numbers documents and caps them).
      for (let i = emitted; i < file.documents.length; i++) {
        options.onDocument(file.documents[i], file);
        file.documents[i] = EMITTED;
      }
      emitted = file.documents.length;
    }
  }
  if (options.onDocument) file.documents = [];
  if (options.cache && seenParts) {
    // Keep only the parts of the current text, so the cache does not grow with every edit.
    options.cache.clear();
    for (const [k, v] of seenParts) options.cache.set(k, v);
  }
  return file;
}

/**
 * Adds yaml's own DUPLICATE_KEY error for every repeated scalar key of every
 * mapping, exactly as `uniqueKeys: true` would (same code, same position,
 * merge keys `<<` exempt), using one Set per mapping instead of yaml's
 * quadratic scan.
 */
function reportDuplicateKeys(document: Document.Parsed): void {
  // A direct walk over maps, sequences and pairs: yaml's generic `visit` cost twice as much here,
  // on every document. It visits the same nodes in the same order (keys before values).
  let added = false;
  const walk = (node: unknown): void => {
    if (isMap(node)) {
      const seen = new Set<unknown>();
      for (const pair of node.items) {
        const key = pair.key;
        // Merge keys (`<<`, a Symbol value under the merge option) may repeat, as with uniqueKeys.
        if (isScalar(key) && key.value !== '<<' && typeof key.value !== 'symbol') {
          const id = typeof key.value === 'object' && key.value !== null ? key : `${typeof key.value}:${String(key.value)}`;
          if (seen.has(id)) {
            const at = key.range?.[0] ?? 0;
            document.errors.push(new YAMLParseError([at, at + 1], 'DUPLICATE_KEY', 'Map keys must be unique'));
            added = true;
          } else seen.add(id);
        }
      }
      for (const pair of node.items) {
        walk(pair.key);
        walk(pair.value);
      }
    } else if (isSeq(node)) {
      for (const item of node.items) walk(item);
    } else if (isPair(node)) {
      walk(node.key);
      walk(node.value);
    }
  };
  walk(document.contents);
  if (added) document.errors.sort((a, b) => a.pos[0] - b.pos[0]);
}

function addDocument(file: ParsedManifestFile, document: Document.Parsed, part: { offset: number; text: string }, maxAliasCount: number): void {
  const { lines } = file;
  const base = part.offset;
  const [dStart, , dEnd] = document.range ?? [0, 0, part.text.length];
  const index = file.documents.length;
  // An empty part (only comments or whitespace) is not a document worth reporting on.
  if (document.contents === null && document.errors.length === 0 && file.documents.length > 0 && !/\S/.test(part.text.replace(/^---/, '').replace(/#[^\n]*/g, ''))) return;
  for (const err of document.errors) {
    let [s, e] = err.pos;
    if (err.code === 'DUPLICATE_KEY') {
      // yaml points at the key's first character; cover the whole key.
      const key = /^("(?:[^"\\\n]|\\.)*"|'[^'\n]*'|[^:#\n]*?)\s*:(?:\s|$)/.exec(part.text.slice(s, s + 300));
      if (key) e = s + key[1].length;
    }
    const snippet = part.text.slice(s, Math.min(e, s + 80));
    const { code, message } = describeYamlError(err.code, err.message, snippet);
    file.findings.push(finding(lines.range(base + s, base + Math.max(e, s + 1)), 'error', code, message));
  }
  for (const w of document.warnings) {
    const [s, e] = w.pos;
    file.findings.push(finding(lines.range(base + s, base + Math.max(e, s + 1)), 'warning', 'yaml-warning', `YAML: ${w.message.split('\n')[0]}`));
  }
  // Converting to a plain value is the costliest step after parsing and most
  // callers never need it, so it happens on first access. Documents that may
  // hold aliases are converted now, so a YAML bomb is reported up front.
  const entry: ManifestDocument = {
    index,
    document,
    value: null,
    offset: base,
    text: part.text,
    range: lines.range(base + dStart, base + dEnd),
  };
  const contents = document.contents as unknown;
  const str = (map: unknown, key: string): string | undefined => {
    const v = findPair(map, key)?.value;
    return isScalar(v) && typeof v.value === 'string' ? v.value : undefined;
  };
  const convert = (): unknown => {
    try {
      return document.toJS({ maxAliasCount });
    } catch (err) {
      const msg = err instanceof Error ? err.message : String(err);
      if (/alias/i.test(msg)) entry.valueError = 'alias-limit';
      else if (err instanceof RangeError) entry.valueError = 'too-deep';
      return null;
    }
  };
  if (/[*&]/.test(part.text)) {
    // yaml resolves each alias with a linear search over the document's
    // anchors, so thousands of aliases cost seconds on every parse; no real
    // manifest has that many, so such a document is reported, not converted.
    let aliases = 0;
    let firstAlias: [number, number] | undefined;
    visit(document, { Alias(_, node) {
      aliases++;
      if (!firstAlias && node.range) firstAlias = [node.range[0], node.range[1]];
    } });
    if (aliases > MAX_ALIAS_NODES) {
      entry.valueError = 'alias-limit';
      const at = firstAlias ?? [dStart, Math.min(dEnd, dStart + 1)];
      file.findings.push(finding(lines.range(base + at[0], base + at[1]), 'error', 'yaml-alias-limit',
        `Document uses ${aliases} aliases (over ${MAX_ALIAS_NODES}): not validated. Replace the aliases with plain values or split the document.`));
      file.documents.push(entry);
      return;
    }
    entry.value = convert();
    if (entry.valueError === 'alias-limit') {
      let at: [number, number] = [dStart, Math.min(dEnd, dStart + 1)];
      visit(document, { Alias(_, node) {
        if (node.range) at = [node.range[0], node.range[1]];
        return visit.BREAK;
      } });
      file.findings.push(finding(lines.range(base + at[0], base + at[1]), 'error', 'yaml-alias-limit',
        `Too many alias expansions (over ${maxAliasCount}); this looks like a YAML bomb: not validated. Replace the aliases with plain values.`));
    } else if (entry.valueError === 'too-deep') {
      file.findings.push(finding(lines.range(base + dStart, base + Math.min(dEnd, dStart + 1)), 'error', 'yaml-unparsable',
        'Document is nested too deeply to process: not validated. Simplify this document.'));
    }
    const obj = entry.value && typeof entry.value === 'object' && !Array.isArray(entry.value) ? (entry.value as Record<string, unknown>) : undefined;
    const meta = obj?.metadata && typeof obj.metadata === 'object' ? (obj.metadata as Record<string, unknown>) : undefined;
    const s = (v: unknown) => (typeof v === 'string' ? v : undefined);
    entry.apiVersion = s(obj?.apiVersion);
    entry.kind = s(obj?.kind);
    entry.name = s(meta?.name);
    entry.namespace = s(meta?.namespace);
  } else {
    Object.defineProperty(entry, LAZY_VALUE, { value: { convert, value: undefined }, writable: true });
    Object.defineProperty(entry, 'value', LAZY_VALUE_PROPERTY);
    entry.apiVersion = str(contents, 'apiVersion');
    entry.kind = str(contents, 'kind');
    const meta = findPair(contents, 'metadata')?.value;
    entry.name = str(meta, 'name');
    entry.namespace = str(meta, 'namespace');
  }
  for (const key of ['apiVersion', 'kind', 'name', 'namespace'] as const) if (entry[key] === undefined) delete entry[key];
  file.documents.push(entry);
}

/** File range of a node of a document. */
export function nodeRange(file: ParsedManifestFile, doc: ManifestDocument, node: Node | Pair | null | undefined): Range {
  const n = isPair(node) ? (node.key as Node) : node;
  const r = n && (n as Node).range;
  if (!r) return file.lines.range(doc.offset, doc.offset);
  return file.lines.range(doc.offset + r[0], doc.offset + r[1]);
}

/** Finds the pair for a key in a map node. */
export function findPair(map: unknown, key: string): Pair<Node, Node | null> | undefined {
  if (!isMap(map)) return undefined;
  for (const item of map.items) {
    const k = item.key;
    if (isScalar(k) ? String(k.value) === key : k === key) return item as Pair<Node, Node | null>;
  }
  return undefined;
}

/**
 * Range of the key or the value at a JSON path inside a document. When the
 * path does not exist, falls back to the key of its nearest existing
 * ancestor (or the start of the document).
 */
export function rangeOfPath(file: ParsedManifestFile, doc: ManifestDocument, path: (string | number)[], part: 'key' | 'value'): Range {
  let node: unknown = doc.document.contents;
  let lastKey: Node | undefined;
  for (let i = 0; i < path.length; i++) {
    if (isAlias(node)) node = node.resolve(doc.document);
    const step = path[i];
    const last = i === path.length - 1;
    if (typeof step === 'number' && isSeq(node)) {
      const item = node.items[step] as Node | undefined;
      if (!item) break;
      if (last) return nodeRange(file, doc, item);
      lastKey = item;
      node = item;
    } else if (isMap(node)) {
      const pair = findPair(node, String(step));
      if (!pair) break;
      if (last) {
        if (part === 'value' && pair.value && (pair.value as Node).range) return nodeRange(file, doc, pair.value as Node);
        return nodeRange(file, doc, pair.key);
      }
      lastKey = pair.key;
      node = pair.value;
    } else {
      break;
    }
  }
  if (lastKey) return nodeRange(file, doc, lastKey);
  if (path.length === 0 && doc.document.contents) return nodeRange(file, doc, doc.document.contents as Node);
  return file.lines.range(doc.offset, doc.offset);
}
