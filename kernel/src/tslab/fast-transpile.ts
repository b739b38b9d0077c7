/**
 * Puts the fast ES → CommonJS path (fast-cjs.ts) in front of tslab's calls to
 * `ts.transpileModule`. tslab reaches TypeScript through `require('@tslab/typescript-for-tslab')`
 * and calls a module-private helper, so the only seam is the module it requires: this replaces
 * that module's exports, in the require cache, with a copy whose transpileModule tries the fast
 * path first. Must be imported before anything loads tslab's converter.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import type * as TS from '@tslab/typescript-for-tslab';
import { fastEsToCjs } from './fast-cjs.js';

const require = createRequire(import.meta.url);
const tslabDir = path.dirname(require.resolve('tslab/package.json'));
const tsPath = require.resolve('@tslab/typescript-for-tslab', { paths: [tslabDir] });
const real = require(tsPath) as typeof TS;

/** tslab's esModuleToCommonJSModule is the only caller that transpiles "custom.js" to CommonJS. */
function isTslabCommonJs(options: TS.TranspileOptions): boolean {
  return options.fileName === 'custom.js' && options.compilerOptions?.module === real.ModuleKind.CommonJS;
}

const shim: Record<string, unknown> = {};
for (const key of Object.keys(real)) {
  if (key === 'transpileModule') continue;
  Object.defineProperty(shim, key, { enumerable: true, get: () => (real as unknown as Record<string, unknown>)[key] });
}
Object.defineProperty(shim, 'transpileModule', {
  enumerable: true,
  value: (input: string, options: TS.TranspileOptions): TS.TranspileOutput => {
    const fast = isTslabCommonJs(options) ? fastEsToCjs(real, input) : undefined;
    return fast === undefined ? real.transpileModule(input, options) : { outputText: fast, diagnostics: [] };
  },
});
require.cache[tsPath]!.exports = shim;
