/**
 * CSV pipeline files in odibi_core v1's column layout:
 * `Layer,StepName,StepType,Engine,Value,Params,Inputs,Outputs,Metadata` plus optional
 * `project,enabled,execution_order`. Object columns hold JSON text.
 */
import { parse } from 'csv-parse/sync';
import { ConfigError } from '../errors.js';
import type { RawPipeline } from './model.js';
import { rowsToRawSteps, type ConfigRow } from './rows.js';

export function parseCsvPipeline(text: string, file: string, project?: string): RawPipeline {
  let records: { record: string[]; info: { lines: number } }[];
  try {
    records = parse(text, { info: true, skip_empty_lines: true, relax_column_count: false, bom: true }) as never;
  } catch (err) {
    const e = err as Error & { lines?: number; column?: number | string; code?: string };
    throw new ConfigError(
      [{
        message: `malformed CSV: ${e.message}`,
        file,
        line: e.lines,
        column: typeof e.column === 'number' ? e.column + 1 : undefined,
        hint: 'quote any field that contains commas or JSON, doubling quotes inside it ("{""a"": 1}")',
      }],
      file,
    );
  }
  if (records.length === 0) {
    throw new ConfigError([{ message: 'the CSV file is empty', file, line: 1, hint: 'start with the header Layer,StepName,StepType,Engine,Value,Params,Inputs,Outputs,Metadata' }], file);
  }
  const [header, ...body] = records;
  const rows: ConfigRow[] = body.map(({ record, info }) => ({
    cells: Object.fromEntries(header.record.map((h, i) => [h.trim(), record[i]])),
    origin: { file, line: info.lines },
  }));
  return { file, steps: rowsToRawSteps(header.record.map((h) => h.trim()), rows, file, project) };
}
