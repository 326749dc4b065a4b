/**
 * The YAML files under a path, as the CLI commands take them: a file given
 * explicitly is always included; folders are walked in name order (so output
 * is the same on every file system), skipping the folders the caller names.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

const YAML_FILE = /\.ya?ml$/i;

/** YAML files (and files named `Kustomization`) under `target`, sorted; unreadable folders are skipped. Throws when `target` does not exist. */
export function collectYamlFiles(target: string, skipDirs: ReadonlySet<string>): string[] {
  const stat = fs.statSync(target);
  if (stat.isFile()) return [target];
  const out: string[] = [];
  const walk = (dir: string) => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      const full = path.join(dir, e.name);
      if (e.isDirectory()) {
        if (!skipDirs.has(e.name)) walk(full);
      } else if (e.isFile() && (YAML_FILE.test(e.name) || e.name === 'Kustomization')) {
        out.push(full);
      }
    }
  };
  if (stat.isDirectory()) walk(target);
  return out;
}
