/**
 * Splits a multi-document YAML file into its documents by their `---` and
 * `...` marker lines, without parsing. The YAML spec forbids a document
 * marker at column 0 inside any scalar, so a line-based split is exact. The
 * server uses it to count a file's documents for `gitops/stats`.
 */

/** One YAML document of a file. */
export interface YamlSegment {
  /** Zero-based line where the segment starts in the file. */
  startLine: number;
  /** The segment's text, including its `---` line and its final newline. */
  text: string;
}

const DOCUMENT_START = /^---(?:[ \t]|\r?$)/;
const DOCUMENT_END = /^\.\.\.(?:[ \t]|\r?$)/;
const INSIGNIFICANT = /^(?:[ \t]*(?:#.*)?|%.*)\r?$/;

/**
 * Splits `text` into YAML documents. Blank, comment and directive lines
 * before a `---` stay with the document that follows, so every segment is a
 * valid stand-alone YAML stream and the segments concatenate back to `text`.
 */
export function splitYamlDocuments(text: string): YamlSegment[] {
  const segments: YamlSegment[] = [];
  let start = 0; // offset where the current segment starts
  let startLine = 0;
  let significant = false; // the current segment has content besides comments
  let offset = 0;
  let line = 0;
  while (offset < text.length) {
    const nl = text.indexOf('\n', offset);
    const end = nl === -1 ? text.length : nl + 1;
    const lineText = text.slice(offset, nl === -1 ? text.length : nl);
    if (DOCUMENT_START.test(lineText)) {
      if (significant) {
        segments.push({ startLine, text: text.slice(start, offset) });
        start = offset;
        startLine = line;
      }
      significant = true;
    } else if (DOCUMENT_END.test(lineText)) {
      segments.push({ startLine, text: text.slice(start, end) });
      start = end;
      startLine = line + 1;
      significant = false;
    } else if (!significant && !INSIGNIFICANT.test(lineText)) {
      significant = true;
    }
    offset = end;
    line++;
  }
  if (start < text.length || segments.length === 0) segments.push({ startLine, text: text.slice(start) });
  return segments;
}
