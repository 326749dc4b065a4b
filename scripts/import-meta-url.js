// Injected by scripts/build.mjs into every CommonJS bundle: gives ESM
// dependencies that use `import.meta.url` the URL of the bundle file.
export const importMetaUrl = require('node:url').pathToFileURL(__filename).href;
