/**
 * Tabular config rows (CSV lines, SQLite `transformation_config` rows) → raw steps. The column
 * names are odibi_core v1's; matching ignores case so hand-written headers like `layer` work too.
 */
import { parse, printParseErrorCode, type ParseError } from 'jsonc-parser';
import { ConfigError, type ConfigProblem } from '../errors.js';
import type { RawStep, StepOrigin } from './model.js';

export const ROW_COLUMNS = {
  layer: 'Layer',
  name: 'StepName',
  type: 'StepType',
  engine: 'Engine',
  value: 'Value',
  params: 'Params',
  inputs: 'Inputs',
  outputs: 'Outputs',
  metadata: 'Metadata',
  depends_on: 'DependsOn',
} as const;
const OBJECT_FIELDS = new Set(['params', 'inputs', 'outputs', 'metadata', 'depends_on']);
const REQUIRED_COLUMNS = ['Layer', 'StepName'];

export interface ConfigRow {
  cells: Record<string, unknown>;
  origin: StepOrigin;
}

/** Column lookup that ignores case and surrounding spaces. */
function columnIndex(header: string[]): (name: string) => string | undefined {
  const byLower = new Map(header.map((h) => [h.trim().toLowerCase(), h]));
  return (name) => byLower.get(name.toLowerCase());
}

export function rowsToRawSteps(header: string[], rows: ConfigRow[], file: string, project?: string): RawStep[] {
  const col = columnIndex(header);
  const missing = REQUIRED_COLUMNS.filter((c) => !col(c));
  if (missing.length > 0) {
    throw new ConfigError(
      [{ message: `missing column(s) ${missing.join(', ')} in the header`, file, line: 1,
        hint: 'the header is Layer,StepName,StepType,Engine,Value,Params,Inputs,Outputs,Metadata (optional: project,enabled,execution_order)' }],
      file,
    );
  }
  const projectCol = col('project');
  const enabledCol = col('enabled');
  const orderCol = col('execution_order');

  const problems: ConfigProblem[] = [];
  const selected = rows
    .filter((r) => project === undefined || !projectCol || String(r.cells[projectCol] ?? '') === project)
    .filter((r) => !enabledCol || isEnabled(r.cells[enabledCol]))
    .map((r, i) => ({ r, i, order: orderCol ? orderOf(r.cells[orderCol]) : NaN }));
  if (orderCol) {
    // Stable: rows without an order keep file order after the ordered ones.
    selected.sort((a, b) => (Number.isNaN(a.order) ? Infinity : a.order) - (Number.isNaN(b.order) ? Infinity : b.order) || a.i - b.i);
  }

  const steps = selected.map(({ r }) => {
    const fields: Record<string, unknown> = {};
    const stepName = String(r.cells[col('StepName')!] ?? '').trim();
    for (const [field, column] of Object.entries(ROW_COLUMNS)) {
      const key = col(column);
      if (!key) continue;
      const raw = r.cells[key];
      if (raw === null || raw === undefined || (typeof raw === 'string' && raw.trim() === '')) continue;
      if (OBJECT_FIELDS.has(field) && typeof raw === 'string') {
        const errors: ParseError[] = [];
        const parsed = parse(raw, errors, { allowTrailingComma: false, disallowComments: true });
        if (errors.length > 0) {
          problems.push({
            message: `column ${column}: malformed JSON at character ${errors[0].offset + 1} (${printParseErrorCode(errors[0].error)}): ${truncate(raw)}`,
            step: stepName || undefined,
            file,
            line: r.origin.line,
            row: r.origin.row,
            hint: `write a JSON object in the ${column} cell, e.g. {"key": "value"}`,
          });
          continue;
        }
        fields[field] = parsed;
      } else {
        fields[field] = typeof raw === 'string' ? raw.trim() : raw;
      }
    }
    return { fields, origin: r.origin };
  });
  if (problems.length > 0) throw new ConfigError(problems, file);
  return steps;
}

/** Empty or NULL execution_order means "no order", not 0. */
function orderOf(v: unknown): number {
  if (v === null || v === undefined || (typeof v === 'string' && v.trim() === '')) return NaN;
  return Number(v);
}

function isEnabled(v: unknown): boolean {
  if (v === null || v === undefined || v === '') return true;
  const s = String(v).trim().toLowerCase();
  return !(s === '0' || s === 'false' || s === 'no');
}

function truncate(s: string): string {
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}
