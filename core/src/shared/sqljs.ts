/** sql.js (SQLite compiled to WASM: nothing to build on a fresh machine), loaded once per process. */
import { createRequire } from 'node:module';
import type { SqlJsStatic } from 'sql.js';

let sqlJs: Promise<SqlJsStatic> | undefined;

export function loadSqlJs(): Promise<SqlJsStatic> {
  if (!sqlJs) {
    const require = createRequire(import.meta.url);
    const wasm = require.resolve('sql.js/dist/sql-wasm.wasm');
    // Imported here, not at the top: its 50 KB of glue code is parsed only by runs that use SQLite.
    sqlJs = import('sql.js').then(({ default: initSqlJs }) => initSqlJs({ locateFile: () => wasm }));
  }
  return sqlJs;
}
