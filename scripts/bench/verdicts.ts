/**
 * Turns the outputs of kubeconform (`-output json -verbose`) and of
 * `gitops-lens validate -o json` into one valid/invalid verdict per
 * manifest of the corpus, and compares them.
 */
import path from 'node:path';
import type { CorpusManifest } from './validation-corpus.js';

/** A verdict per manifest name, with the messages that led to it. */
export type Verdicts = Map<string, { invalid: boolean; messages: string[] }>;

interface KubeconformResource {
  filename: string;
  kind: string;
  name: string;
  version: string;
  status: string;
  msg?: string;
  validationErrors?: Array<{ path: string; msg: string }>;
}

/** kubeconform: statusInvalid and statusError are "invalid"; statusValid is valid; anything else is kept as a message. */
export function kubeconformVerdicts(stdout: string, corpus: CorpusManifest[]): { verdicts: Verdicts; unmatched: string[] } {
  const doc = JSON.parse(stdout) as { resources: KubeconformResource[] };
  const verdicts: Verdicts = new Map();
  const unmatched: string[] = [];
  // kubeconform names a resource it could not parse by file only; map those to every manifest of the file.
  const byFile = new Map<string, CorpusManifest[]>();
  for (const m of corpus) byFile.set(m.file, [...(byFile.get(m.file) ?? []), m]);
  for (const res of doc.resources ?? []) {
    const invalid = res.status !== 'statusValid';
    const messages = res.validationErrors?.length ? res.validationErrors.map((e) => `${e.path}: ${e.msg}`) : res.msg ? [res.msg] : [];
    if (res.status === 'statusSkipped' || res.status === 'statusEmpty') messages.unshift(res.status);
    const names = res.name ? [res.name] : (byFile.get(path.resolve(res.filename)) ?? []).map((m) => m.name);
    if (names.length === 0) unmatched.push(`${res.filename}: ${res.status} ${res.msg ?? ''}`);
    for (const n of names) {
      const prev = verdicts.get(n);
      verdicts.set(n, { invalid: invalid || (prev?.invalid ?? false), messages: [...(prev?.messages ?? []), ...messages] });
    }
  }
  return { verdicts, unmatched };
}

interface OurReport {
  files: Array<{ path: string; findings: Array<{ line: number; severity: string; code: string; message: string }> }>;
}

/**
 * gitops-lens: a manifest is invalid when an error-severity finding lies
 * within its lines; warnings and information do not fail the CLI either.
 */
export function ourVerdicts(stdout: string, corpus: CorpusManifest[], cwd: string): { verdicts: Verdicts; nonErrors: Map<string, number> } {
  const doc = JSON.parse(stdout) as OurReport;
  const byFile = new Map<string, CorpusManifest[]>();
  for (const m of corpus) byFile.set(m.file, [...(byFile.get(m.file) ?? []), m]);
  const verdicts: Verdicts = new Map(corpus.map((m) => [m.name, { invalid: false, messages: [] as string[] }]));
  const nonErrors = new Map<string, number>();
  for (const f of doc.files) {
    const manifests = byFile.get(path.resolve(cwd, f.path)) ?? [];
    for (const x of f.findings) {
      if (x.severity !== 'error') {
        nonErrors.set(`${x.severity} ${x.code}`, (nonErrors.get(`${x.severity} ${x.code}`) ?? 0) + 1);
        continue;
      }
      const m = manifests.find((c) => x.line - 1 >= c.startLine && x.line - 1 <= c.endLine + 1);
      const key = m?.name ?? `${f.path}:${x.line}`;
      const v = verdicts.get(key) ?? { invalid: false, messages: [] };
      v.invalid = true;
      v.messages.push(`${x.line}: ${x.message} [${x.code}]`);
      verdicts.set(key, v);
    }
  }
  return { verdicts, nonErrors };
}

/** One disagreement: the manifest, what was planted, and what each tool said. */
export interface Mismatch {
  manifest: CorpusManifest;
  ours: { invalid: boolean; messages: string[] };
  kubeconform: { invalid: boolean; messages: string[] } | undefined;
}

/** Compares verdicts manifest by manifest; also counts agreement with what was planted. */
export function compareVerdicts(corpus: CorpusManifest[], ours: Verdicts, kc: Verdicts) {
  const mismatches: Mismatch[] = [];
  let plantedCaughtOurs = 0;
  let plantedCaughtKc = 0;
  let planted = 0;
  let invalidOurs = 0;
  let invalidKc = 0;
  for (const m of corpus) {
    const o = ours.get(m.name) ?? { invalid: false, messages: [] };
    const k = kc.get(m.name);
    if (o.invalid) invalidOurs++;
    if (k?.invalid) invalidKc++;
    if (m.mutation) {
      planted++;
      if (o.invalid) plantedCaughtOurs++;
      if (k?.invalid) plantedCaughtKc++;
    }
    if (!k || o.invalid !== k.invalid) mismatches.push({ manifest: m, ours: o, kubeconform: k });
  }
  return { mismatches, planted, plantedCaughtOurs, plantedCaughtKc, invalidOurs, invalidKc };
}
