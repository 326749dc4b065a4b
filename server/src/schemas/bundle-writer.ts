/**
 * Writes the compact committed schema bundle (`schemas/index.json` and
 * `schemas/definitions/<package>.json`) and, optionally, JSON schemas per
 * kind in kubeconform's layout for side-by-side benchmarks.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { packageOf, type BundleIndex, type DefinitionMap, type KindEntry, type SchemaNode } from './schema-types.js';

/** Names of all definitions reachable from the given roots through `$ref`. */
export function reachableDefinitions(definitions: DefinitionMap, roots: string[]): Set<string> {
  const seen = new Set<string>();
  const stack = [...roots];
  const visit = (node: unknown): void => {
    if (!node || typeof node !== 'object') return;
    if (Array.isArray(node)) {
      node.forEach(visit);
      return;
    }
    for (const [key, value] of Object.entries(node)) {
      if (key === '$ref' && typeof value === 'string') stack.push(value);
      else if (key !== 'enum') visit(value);
    }
  };
  while (stack.length) {
    const name = stack.pop()!;
    if (seen.has(name) || !definitions[name]) continue;
    seen.add(name);
    visit(definitions[name]);
  }
  return seen;
}

/** Writes index.json and the definition packages; removes stale package files. */
export function writeBundle(outDir: string, meta: Omit<BundleIndex, 'format' | 'kinds' | 'packages'>, definitions: DefinitionMap, kinds: KindEntry[]): BundleIndex {
  const keep = reachableDefinitions(definitions, [...kinds.map((k) => k.definition), 'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta']);
  const packages = new Map<string, DefinitionMap>();
  for (const name of [...keep].sort()) {
    const pkg = packageOf(name);
    if (!packages.has(pkg)) packages.set(pkg, {});
    packages.get(pkg)![name] = definitions[name];
  }
  const defsDir = path.join(outDir, 'definitions');
  fs.rmSync(defsDir, { recursive: true, force: true });
  fs.mkdirSync(defsDir, { recursive: true });
  for (const [pkg, defs] of packages) fs.writeFileSync(path.join(defsDir, `${pkg}.json`), JSON.stringify(defs) + '\n');
  const index: BundleIndex = { format: 1, ...meta, kinds, packages: [...packages.keys()].sort() };
  fs.writeFileSync(path.join(outDir, 'index.json'), JSON.stringify(index, null, 1) + '\n');
  return index;
}

/**
 * Writes one self-contained JSON schema per kind in kubeconform's layout
 * (`<kind>-<group>-<version>.json`, core kinds as `<kind>-<version>.json`,
 * all lowercase), with `additionalProperties: false` where the API is closed
 * (kubeconform's `-strict`), so both tools judge the same schema.
 */
export function writeKubeconformSchemas(outDir: string, definitions: DefinitionMap, kinds: KindEntry[]): number {
  fs.mkdirSync(outDir, { recursive: true });
  // Recursive types (JSONSchemaProps) are cut where they recur, which keeps files finite.
  const onStack = new Set<string>();
  const toJsonSchema = (node: SchemaNode, depth: number): unknown => {
    if (depth > 64) return {};
    if (node.$ref && !node.allOf) {
      const def = definitions[node.$ref];
      if (!def || onStack.has(node.$ref)) return node.description ? { description: node.description } : {};
      onStack.add(node.$ref);
      const inner = toJsonSchema(def, depth + 1) as Record<string, unknown>;
      onStack.delete(node.$ref);
      return node.description ? { ...inner, description: node.description } : inner;
    }
    const out: Record<string, unknown> = {};
    const intOrString = node['x-kubernetes-int-or-string'] || node.format === 'int-or-string';
    for (const [key, value] of Object.entries(node)) {
      if (key.startsWith('x-kubernetes-') || key === 'nullable' || key === 'oneOf' || key === 'anyOf') continue;
      if (key === 'properties') {
        const props: Record<string, unknown> = {};
        for (const [k, v] of Object.entries(value as Record<string, SchemaNode>)) props[k] = toJsonSchema(v, depth + 1);
        out.properties = props;
      } else if (key === 'items') out.items = toJsonSchema(value as SchemaNode, depth + 1);
      else if (key === 'additionalProperties') out.additionalProperties = typeof value === 'boolean' ? value : toJsonSchema(value as SchemaNode, depth + 1);
      else if (key === 'allOf') out.allOf = (value as SchemaNode[]).map((v) => toJsonSchema(v, depth + 1));
      else if (key === 'format' && (value === 'int-or-string' || value === 'int32' || value === 'int64' || value === 'byte' || value === 'double')) continue;
      else out[key] = value;
    }
    if (intOrString) {
      delete out.type;
      out.type = ['integer', 'string'];
    } else if (node.oneOf && node.oneOf.every((o) => o.type && Object.keys(o).length === 1)) {
      out.type = node.oneOf.map((o) => o.type);
    }
    if (out.type === 'object' && out.properties && out.additionalProperties === undefined && !node['x-kubernetes-preserve-unknown-fields']) {
      out.additionalProperties = false;
    }
    if (node.nullable && typeof out.type === 'string') out.type = [out.type, 'null'];
    return out;
  };
  let count = 0;
  for (const k of kinds) {
    const def = definitions[k.definition];
    if (!def) continue;
    const groupPart = k.group ? `-${k.group.split('.')[0]}` : '';
    const file = `${k.kind}${groupPart}-${k.version}.json`.toLowerCase();
    fs.writeFileSync(path.join(outDir, file), JSON.stringify(toJsonSchema(def, 0)));
    count++;
  }
  return count;
}
