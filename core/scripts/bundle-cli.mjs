#!/usr/bin/env node
/**
 * Bundles the `odibi` command into dist/cli-bundle/ (one entry, one chunk per command) so it starts
 * fast: Node loads a handful of files instead of ~130 modules, and zod comes without its 60 locale
 * files. Packages with native parts, WASM, their own worker files or a large lazy surface stay
 * external and load from node_modules when a command needs them; the library (dist/index.js) is
 * tsc's output, unbundled. Run by `npm run build` after tsc.
 */
import { build } from 'esbuild';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const CORE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const OUT = path.join(CORE, 'dist', 'cli-bundle');

// Chunk names carry content hashes: old ones would pile up.
await rm(OUT, { recursive: true, force: true });
await build({
  absWorkingDir: CORE,
  entryPoints: { main: 'src/cli/main.ts' },
  outdir: OUT,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // jsonc-parser's UMD build requires its parts at run time; its ESM build bundles.
  mainFields: ['module', 'main'],
  external: [
    '@duckdb/node-api', // native
    'esbuild', // native binary
    'typescript', // 9 MB, loaded only to type-check function steps
    'sql.js', // WASM beside its glue code
    'pg', 'apache-arrow', 'chokidar', '@dagrejs/dagre', 'log-update', 'croner', 'csv-parse', 'picomatch',
    '@aws-sdk/*', '@azure/*', // large, and loaded only when a step reads or writes s3:// or az://
    'ioredis', 'nats', 'bullmq', // loaded only by a stream reading a broker, or the distributed executor
  ],
  // Bundled CommonJS (commander) calls require() for Node built-ins.
  banner: { js: "import { createRequire as __odibiCreateRequire } from 'node:module'; const require = __odibiCreateRequire(import.meta.url);" },
  logLevel: 'warning',
});
