/**
 * A fast path for the last step of tslab's cell compilation: turning the emitted ES module into
 * CommonJS. tslab does it with `ts.transpileModule`, which builds a program and type-checks the
 * cell again (~1.5 ms, a quarter of a trivial cell's time). Most cells declare nothing and import
 * nothing (`df.count()`, `console.log(x)`, `await odibi.rows('gold')`): for those the CommonJS form
 * is a fixed prologue plus the same statements, with `export const tsLastExpr = e` becoming
 * `exports.tsLastExpr = e`. Anything else (declarations, imports, dynamic import, import.meta,
 * top-level `this`) returns undefined and goes through transpileModule as before. The unit test
 * holds the fast path to transpileModule's exact output.
 */
import type * as TS from '@tslab/typescript-for-tslab';

const LAST_EXPR = 'tsLastExpr';
const PROLOGUE = 'Object.defineProperty(exports, "__esModule", { value: true });\n';

export function fastEsToCjs(ts: typeof TS, js: string): string | undefined {
  // Cheap pre-check: a cell with no "import" and no "this" cannot need what the full transform does
  // beyond rewriting its exports.
  if (js.includes('import') || /\bthis\b/.test(js)) return undefined;
  const sf = ts.createSourceFile('custom.js', js, ts.ScriptTarget.Latest, false, ts.ScriptKind.JS);
  let out = '';
  let from = 0;
  let lastExpr = false;
  for (const stmt of sf.statements) {
    if (ts.isExportDeclaration(stmt)) {
      // Only tslab's empty `export {};` marker is allowed; named exports mean declarations.
      if (stmt.moduleSpecifier || !stmt.exportClause || !ts.isNamedExports(stmt.exportClause) || stmt.exportClause.elements.length) return undefined;
      out += js.slice(from, stmt.getFullStart());
      from = stmt.getEnd();
      continue;
    }
    const exported = ts.canHaveModifiers(stmt) && ts.getModifiers(stmt)?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword);
    if (!exported) {
      if (ts.isImportDeclaration(stmt) || ts.isImportEqualsDeclaration(stmt) || ts.isExportAssignment(stmt)) return undefined;
      // A top-level declaration would be a local that later cells cannot see: leave it to TS.
      if (ts.isFunctionDeclaration(stmt) || ts.isClassDeclaration(stmt) || ts.isVariableStatement(stmt) || ts.isEnumDeclaration(stmt) || ts.isModuleDeclaration(stmt)) return undefined;
      continue;
    }
    const decls = ts.isVariableStatement(stmt) ? stmt.declarationList.declarations : undefined;
    const decl = decls?.length === 1 ? decls[0] : undefined;
    if (!decl || lastExpr || !ts.isIdentifier(decl.name) || decl.name.text !== LAST_EXPR || !decl.initializer) return undefined;
    out += js.slice(from, stmt.getStart(sf)) + `exports.${LAST_EXPR} = `;
    from = decl.initializer.getStart(sf);
    lastExpr = true;
  }
  out += js.slice(from);
  return PROLOGUE + (lastExpr ? `exports.${LAST_EXPR} = void 0;\n` : '') + out.replace(/^\n+/, '');
}
