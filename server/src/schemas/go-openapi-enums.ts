/**
 * Reads enum values from Kubernetes' generated Go OpenAPI definitions
 * (`pkg/generated/openapi/zz_generated.openapi.go` of k8s.io/kubernetes).
 * kube-apiserver does not publish `enum` in /openapi/v3, but the same
 * release's generated definitions carry them (from `+enum` markers), so the
 * schema generator overlays them onto the served schemas.
 */

/** Maps a Go type name (`k8s.io/api/core/v1.Container`) to its OpenAPI definition name (`io.k8s.api.core.v1.Container`). */
export function goTypeToDefinition(goName: string): string {
  const [domain, ...rest] = goName.split('/');
  return [...domain.split('.').reverse(), ...rest].join('.').replace(/\/+/g, '.');
}

/** `{ definition: { property: enumValues } }` read from the generated Go source. */
export function readGoOpenApiEnums(source: string): Record<string, Record<string, string[]>> {
  const fnToType = new Map<string, string>();
  // Older generators key the map by Go type path; newer ones by `alias.Type{}.OpenAPIModelName()`.
  for (const m of source.matchAll(/^\s*"([^"]+)":\s*(schema_[A-Za-z0-9_]+)\(ref\),?$/gm)) fnToType.set(m[2], m[1]);
  const imports = new Map<string, string>();
  for (const m of source.matchAll(/^\s*([A-Za-z0-9_]+)\s+"([^"]+)"$/gm)) imports.set(m[1], m[2]);
  for (const m of source.matchAll(/^\s*([A-Za-z0-9_]+)\.([A-Za-z0-9_]+)\{\}\.OpenAPIModelName\(\):\s*(schema_[A-Za-z0-9_]+)\(ref\),?$/gm)) {
    const pkg = imports.get(m[1]);
    if (pkg) fnToType.set(m[3], `${pkg}.${m[2]}`);
  }
  const out: Record<string, Record<string, string[]>> = {};
  const fnRe = /^func (schema_[A-Za-z0-9_]+)\(ref common\.ReferenceCallback\) common\.OpenAPIDefinition \{$/gm;
  const starts: { name: string; index: number }[] = [];
  for (const m of source.matchAll(fnRe)) starts.push({ name: m[1], index: m.index! });
  for (let i = 0; i < starts.length; i++) {
    const body = source.slice(starts[i].index, i + 1 < starts.length ? starts[i + 1].index : source.length);
    if (!body.includes('Enum:')) continue;
    const goType = fnToType.get(starts[i].name);
    if (!goType) continue;
    // Properties sit at a fixed indentation (five tabs) inside Properties: map[string]spec.Schema{...}.
    let current: string | undefined;
    for (const line of body.split('\n')) {
      const prop = /^\t{5}"([^"]+)": \{$/.exec(line);
      if (prop) current = prop[1];
      const en = /Enum:\s*\[\]interface\{\}\{(.*)\},?$/.exec(line);
      if (en && current) {
        const values = [...en[1].matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((v) => JSON.parse(`"${v[1]}"`) as string);
        const def = goTypeToDefinition(goType);
        (out[def] ??= {})[current] = values;
      }
    }
  }
  return out;
}
