/**
 * Which workspace folder's drift service a document goes to in a
 * multi-root workspace (server/src/lsp/drift-wiring.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { folderOfUri } from '../../server/src/lsp/drift-wiring.js';

const a = 'file:///work/team-a';
const ab = 'file:///work/team-a/nested';
const b = 'file:///work/team-b/';

test('the innermost folder containing the file wins', () => {
  assert.equal(folderOfUri('file:///work/team-a/apps/web.yaml', [a, b]), a);
  assert.equal(folderOfUri('file:///work/team-b/apps/web.yaml', [a, b]), b);
  assert.equal(folderOfUri('file:///work/team-a/nested/x.yaml', [a, ab, b]), ab);
  assert.equal(folderOfUri('file:///work/team-a/nested/x.yaml', [ab, a]), ab);
});

test('a sibling folder sharing a name prefix is not a parent', () => {
  assert.equal(folderOfUri('file:///work/team-a2/x.yaml', [b, a]), b, 'outside every folder: the first folder');
});

test('outside every folder: the first folder; no folder at all: the empty key', () => {
  assert.equal(folderOfUri('untitled:Untitled-1', [a, b]), a);
  assert.equal(folderOfUri('file:///elsewhere/x.yaml', []), '');
});

test('percent-encoded URIs are compared as paths', () => {
  assert.equal(folderOfUri('file:///work/team%20b/x.yaml', [a, 'file:///work/team b']), 'file:///work/team b');
});
