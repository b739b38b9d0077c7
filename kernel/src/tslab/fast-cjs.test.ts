import { createRequire } from 'node:module';
import path from 'node:path';
import type * as TS from '@tslab/typescript-for-tslab';
import { describe, expect, it } from 'vitest';
import { fastEsToCjs } from './fast-cjs.js';

const require = createRequire(import.meta.url);
const ts = require(require.resolve('@tslab/typescript-for-tslab', { paths: [path.dirname(require.resolve('tslab/package.json'))] })) as typeof TS;

/** What tslab's esModuleToCommonJSModule does. */
const slow = (js: string) => ts.transpileModule(js, {
  fileName: 'custom.js',
  compilerOptions: { module: ts.ModuleKind.CommonJS, esModuleInterop: true, target: ts.ScriptTarget.ES2022, newLine: ts.NewLineKind.LineFeed, noImplicitUseStrict: true },
}).outputText;

// Cells as tslab's converter emits them (ES module form) before the CommonJS step.
const FAST = {
  'an expression': 'export const tsLastExpr = 1 + 1;\nexport {};\n',
  'a statement only': 'console.log("hi");\nexport {};\n',
  'earlier variables': 'exports.x = exports.x + 1;\nexport const tsLastExpr = exports.f(2);\nexport {};\n',
  'a loop then an expression': 'for (let i = 0; i < 2; i++) { }\n;\nexport const tsLastExpr = exports.x++;\nexport {};\n',
  'top-level await': 'export const tsLastExpr = await exports.odibi.rows("gold", 3);\nexport {};\n',
  'a multi-line expression with comments': '// hello\nexport const tsLastExpr = [1,\n    2 /* two */];\nexport {};\n',
  'blocks': 'if (exports.x) {\n    console.log(1);\n}\nelse {\n    console.log(2);\n}\ntry {\n    exports.a();\n}\ncatch (e) {\n    console.error(e);\n}\nexport {};\n',
  'export text in a string': 'export const tsLastExpr = `export {} ${exports.x}`;\nexport {};\n',
};

const SLOW = {
  'a declaration': 'const r = await Promise.resolve(5);\nexport const tsLastExpr = r;\nexport { r };\n',
  'a function': 'function f(a) { return a * 2; }\nexport { f };\n',
  'an import': 'import * as path from "path";\nexport const tsLastExpr = path.sep;\nexport { path };\n',
  'a dynamic import': 'export const tsLastExpr = import("path").then(p => p.sep);\nexport {};\n',
  'top-level this': 'export const tsLastExpr = this;\nexport {};\n',
  'a re-export': 'export * from "fs";\n',
};

describe('fastEsToCjs', () => {
  for (const [what, js] of Object.entries(FAST)) {
    it(`gives transpileModule's exact output for ${what}`, () => {
      expect(fastEsToCjs(ts, js)).toBe(slow(js));
    });
  }
  for (const [what, js] of Object.entries(SLOW)) {
    it(`leaves ${what} to transpileModule`, () => {
      expect(fastEsToCjs(ts, js)).toBeUndefined();
    });
  }
});
