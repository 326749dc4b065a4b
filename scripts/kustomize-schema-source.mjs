// Writes schemas/kustomize.json: the schema of kustomization.yaml (Kustomization and Component),
// hand-written from kustomize v5's Go types (sigs.k8s.io/kustomize/api/types: kustomization.go,
// patch.go, selector.go, image.go, replacement.go, replica.go, var.go, configmapargs.go,
// secretargs.go, generatorargs.go, generatoroptions.go, helmchartargs.go, labels.go,
// sortoptions.go), documented by https://kubectl.docs.kubernetes.io/references/kustomize/kustomization/.
// Run with `node scripts/kustomize-schema-source.mjs`; the output is committed.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const P = 'kustomize.v1beta1.';
const str = (description) => ({ type: 'string', description });
const bool = (description) => ({ type: 'boolean', description });
const strList = (description) => ({ type: 'array', items: { type: 'string' }, description });
const strMap = (description) => ({ type: 'object', additionalProperties: { type: 'string' }, description });
const ref = (name, description) => ({ $ref: P + name, description });
const list = (name, description) => ({ type: 'array', items: { $ref: P + name }, description });
const obj = (description, properties, extra = {}) => ({ type: 'object', description, properties, ...extra });

const generatorOptions = {
  labels: strMap('Labels added to all generated resources.'),
  annotations: strMap('Annotations added to all generated resources.'),
  disableNameSuffixHash: bool('When true, no content hash is appended to generated names.'),
  immutable: bool('When true, generated resources are marked immutable.'),
};
const generatorArgs = (what) => ({
  name: str(`Name of the generated ${what} (a content hash suffix is appended unless disabled).`),
  namespace: str(`Namespace of the generated ${what}.`),
  behavior: { type: 'string', enum: ['create', 'replace', 'merge'], description: `How to combine with a ${what} of the same name from a base: create, replace or merge.` },
  files: strList('Files whose contents become entries; `key=path` sets the key.'),
  literals: strList('Entries written as `key=value`.'),
  envs: strList('Env files (KEY=value lines) whose entries become data.'),
  env: str('Deprecated: use envs.'),
  options: ref('GeneratorOptions', 'Options for this generator only.'),
});
const selector = {
  group: str('API group of the target.'), version: str('API version of the target.'), kind: str('Kind of the target.'),
  name: str('Name (regular expression) of the target.'), namespace: str('Namespace (regular expression) of the target.'),
  labelSelector: str('Label selector the target must match.'), annotationSelector: str('Annotation selector the target must match.'),
};
const definitions = {
  [P + 'Kustomization']: obj('A kustomization: how kustomize builds a set of resources.', {
    apiVersion: str('kustomize.config.k8s.io/v1beta1 (or v1alpha1 for a Component).'),
    kind: { type: 'string', enum: ['Kustomization', 'Component'], description: 'Kustomization, or Component for a reusable component.' },
    metadata: obj('Metadata of the kustomization itself; not applied to resources.', { name: str('Name.'), namespace: str('Namespace.'), labels: strMap('Labels.'), annotations: strMap('Annotations.') }),
    openapi: strMap('Where to read a custom OpenAPI schema (`path`) or which Kubernetes version to use.'),
    namePrefix: str('Prepended to the names of all resources.'),
    nameSuffix: str('Appended to the names of all resources.'),
    namespace: str('Sets the namespace of all namespaced resources.'),
    commonLabels: strMap('Deprecated: use labels. Labels added to all resources and selectors.'),
    labels: list('Label', 'Labels to add, with control over selectors and templates.'),
    commonAnnotations: strMap('Annotations added to all resources.'),
    patchesStrategicMerge: strList('Deprecated: use patches. Strategic merge patches (paths or inline YAML).'),
    patchesJson6902: list('Patch', 'Deprecated: use patches. JSON 6902 patches with a target.'),
    patches: { type: 'array', items: { oneOf: [{ $ref: P + 'Patch' }, { type: 'string', description: 'Path of a patch file (legacy form).' }] }, description: 'Patches (strategic merge or JSON 6902), from a file (`path`) or inline (`patch`), applied to `target`.' },
    images: list('Image', 'Image name, tag and digest overrides.'),
    imageTags: list('Image', 'Deprecated: use images.'),
    replacements: list('ReplacementField', 'Copy values from one field to others.'),
    replicas: list('Replica', 'Replica count overrides by resource name.'),
    vars: list('Var', 'Deprecated: use replacements.'),
    sortOptions: ref('SortOptions', 'Order of the output resources.'),
    resources: strList('Files, directories or URLs of resources and other kustomizations to include.'),
    components: strList('Paths of Components to apply.'),
    crds: strList('CRD files whose OpenAPI tells kustomize how to merge custom resources.'),
    bases: strList('Deprecated: use resources.'),
    configMapGenerator: list('ConfigMapArgs', 'ConfigMaps to generate.'),
    secretGenerator: list('SecretArgs', 'Secrets to generate.'),
    helmGlobals: ref('HelmGlobals', 'Settings shared by all helmCharts.'),
    helmCharts: list('HelmChart', 'Helm charts to inflate (needs --enable-helm).'),
    helmChartInflationGenerator: { type: 'array', items: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true }, description: 'Deprecated: use helmCharts.' },
    generatorOptions: ref('GeneratorOptions', 'Options for all generators.'),
    configurations: strList('Transformer configuration files.'),
    generators: strList('Generator plugin configurations.'),
    transformers: strList('Transformer plugin configurations.'),
    validators: strList('Validator plugin configurations.'),
    buildMetadata: { type: 'array', items: { type: 'string', enum: ['originAnnotations', 'transformerAnnotations', 'managedByLabel'] }, description: 'Build metadata to add to resources.' },
  }),
  [P + 'Label']: obj('A set of labels and where to add them.', {
    pairs: strMap('The labels.'),
    includeSelectors: bool('Also add to selectors (changes immutable selectors!).'),
    includeTemplates: bool('Also add to pod templates.'),
    fields: { type: 'array', items: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true }, description: 'Extra field specs to label.' },
  }),
  [P + 'Patch']: obj('A patch and the resources it applies to.', {
    path: str('File holding the patch.'),
    patch: str('Inline patch: strategic merge YAML or a JSON 6902 operation list.'),
    target: ref('Selector', 'Which resources to patch; required for JSON 6902 patches.'),
    options: { type: 'object', additionalProperties: { type: 'boolean' }, description: 'allowNameChange, allowKindChange.' },
  }),
  [P + 'Selector']: obj('Selects resources by group, version, kind, name, namespace, labels or annotations.', selector),
  [P + 'Image']: obj('An image override.', {
    name: str('Image name to match (without tag).'), newName: str('Replacement image name.'),
    newTag: str('Replacement tag.'), digest: str('Replacement digest (overrides newTag).'), tagSuffix: str('Suffix appended to the tag.'),
  }),
  [P + 'Replica']: obj('A replica count override.', { name: str('Name of the resource.'), count: { type: 'integer', description: 'Replica count.' } }, { required: ['name', 'count'] }),
  [P + 'Var']: obj('A variable (deprecated).', {
    name: str('Variable name.'),
    objref: obj('The object holding the value.', { ...selector, apiVersion: str('apiVersion of the object.') }),
    fieldref: obj('The field holding the value.', { fieldpath: str('Path of the field.') }),
  }),
  [P + 'ReplacementField']: obj('A replacement, inline or from a file.', {
    path: str('File holding the replacement.'),
    source: obj('Where the value comes from.', { ...selector, fieldPath: str('Field to read.'), options: ref('FieldOptions', 'How to read.') }),
    targets: { type: 'array', description: 'Where the value goes.', items: obj('A replacement target.', {
      select: ref('Selector', 'Resources to write to.'),
      reject: list('Selector', 'Resources to skip.'),
      fieldPaths: strList('Fields to write.'),
      options: ref('FieldOptions', 'How to write.'),
    }) },
  }),
  [P + 'FieldOptions']: obj('Options of a replacement source or target.', {
    delimiter: str('Split the value by this delimiter.'), index: { type: 'integer', description: 'Index of the part to use.' },
    encoding: str('Encoding (base64).'), create: bool('Create the field when missing.'),
  }),
  [P + 'SortOptions']: obj('Output order.', {
    order: { type: 'string', enum: ['legacy', 'fifo'], description: 'legacy (by kind) or fifo (input order).' },
    legacySortOptions: obj('Kind order for legacy sorting.', { orderFirst: strList('Kinds first.'), orderLast: strList('Kinds last.') }),
  }),
  [P + 'GeneratorOptions']: obj('Options for generated ConfigMaps and Secrets.', generatorOptions),
  [P + 'ConfigMapArgs']: obj('A ConfigMap to generate.', generatorArgs('ConfigMap')),
  [P + 'SecretArgs']: obj('A Secret to generate.', { ...generatorArgs('Secret'), type: str('Secret type, e.g. kubernetes.io/tls.') }),
  [P + 'HelmGlobals']: obj('Helm settings.', { chartHome: str('Folder of charts.'), configHome: str('Helm config folder.') }),
  [P + 'HelmChart']: obj('A Helm chart to inflate.', {
    name: str('Chart name.'), version: str('Chart version.'), repo: str('Chart repository URL.'),
    releaseName: str('Release name.'), namespace: str('Release namespace.'), nameTemplate: str('Name template.'),
    additionalValuesFiles: strList('Extra values files.'), valuesFile: str('Values file.'),
    valuesInline: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true, description: 'Inline values.' },
    valuesMerge: { type: 'string', enum: ['merge', 'override', 'replace'], description: 'How inline values combine with the values file.' },
    includeCRDs: bool('Include CRDs.'), skipHooks: bool('Skip hooks.'), skipTests: bool('Skip tests.'), debug: bool('Debug output.'),
    apiVersions: strList('Kubernetes API versions for Capabilities.APIVersions.'), kubeVersion: str('Kubernetes version for Capabilities.KubeVersion.'),
  }),
};
const kinds = [
  { group: 'kustomize.config.k8s.io', version: 'v1beta1', kind: 'Kustomization', definition: P + 'Kustomization' },
  { group: 'kustomize.config.k8s.io', version: 'v1alpha1', kind: 'Component', definition: P + 'Kustomization' },
];
const out = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'schemas', 'kustomize.json');
fs.writeFileSync(out, JSON.stringify({ source: 'hand-written from sigs.k8s.io/kustomize/api/types (kustomize v5)', definitions, kinds }, null, 1) + '\n');
console.log(`wrote ${out}`);
