/** Flux postBuild substitution semantics (fluxcd/pkg/envsubst, non-strict mode). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { substituteVariables, substitutionDisabled } from '../../server/src/render/post-build-substitute.js';

const vars = { APP: 'web', EMPTY: '', VERSION: '1.2.3' };

test('${var} is replaced by its value', () => {
  assert.deepEqual(substituteVariables('image: app:${VERSION}\nname: ${APP}', vars), { text: 'image: app:1.2.3\nname: web', unset: [] });
});

test('an unset ${var} becomes an empty string and is reported', () => {
  assert.deepEqual(substituteVariables('a: "${MISSING}" b: ${MISSING}', vars), { text: 'a: "" b: ', unset: ['MISSING'] });
});

test('${var:=default} and ${var:-default} use the default when unset or empty', () => {
  assert.equal(substituteVariables('${NOPE:=fallback}', vars).text, 'fallback');
  assert.equal(substituteVariables('${EMPTY:=fallback}', vars).text, 'fallback');
  assert.equal(substituteVariables('${NOPE:-x-y}', vars).text, 'x-y');
  assert.equal(substituteVariables('${VERSION:=0.0.1}', vars).text, '1.2.3');
  assert.deepEqual(substituteVariables('${NOPE:=}', vars), { text: '', unset: [] });
});

test('$${var} is an escape for a literal ${var}; bare $var is left alone', () => {
  assert.equal(substituteVariables('echo $${APP} $APP $ ${APP}', vars).text, 'echo ${APP} $APP $ web');
});

test('things that are not Flux variables are kept verbatim', () => {
  assert.equal(substituteVariables('${ APP } ${1abc} ${a.b} {{ .Values.x }}', vars).text, '${ APP } ${1abc} ${a.b} {{ .Values.x }}');
  assert.equal(substituteVariables('unterminated ${APP', vars).text, 'unterminated ${APP');
  assert.equal(substituteVariables('', vars).text, '');
});

test('the substitute: disabled annotation opts an object out', () => {
  assert.equal(substitutionDisabled({ metadata: { annotations: { 'kustomize.toolkit.fluxcd.io/substitute': 'disabled' } } }), true);
  assert.equal(substitutionDisabled({ metadata: { annotations: { 'kustomize.toolkit.fluxcd.io/substitute': 'enabled' } } }), false);
  assert.equal(substitutionDisabled({ metadata: {} }), false);
});
