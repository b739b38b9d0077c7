/**
 * CSV pipeline files in odibi_core v1's column layout:
 * `Layer,StepName,StepType,Engine,Value,Params,Inputs,Outputs,Metadata` plus optional
 * `project,enabled,execution_order`. Object columns hold JSON text.
 */
import { parse } from 'csv-parse/sync';
import { ConfigError } from '../errors.js';
import type { RawPipeline } from './model.js';
import { rowsToRawSteps, type ConfigRow } from './rows.js';
import { lineColumn } from './text-position.js';

export function parseCsvPipeline(text: string, file: string, project?: string): RawPipeline {
  let records: { record: string[]; info: { lines: number }; raw: string }[];
  let lastGoodLine = 0;
  try {
    records = parse(text, {
      info: true, raw: true, skip_empty_lines: true, relax_column_count: false, bom: true,
      on_record: (record, context) => {
        lastGoodLine = context.lines;
        return record;
      },
    }) as never;
  } catch (err) {
    const e = err as Error & { lines?: number; code?: string; bytes?: number };
    // For quoting errors csv-parse gives the byte offset of the offending character; otherwise
    // point at the start of the broken record, right after the last good one.
    const atByte = e.code !== 'CSV_RECORD_INCONSISTENT_FIELDS_LENGTH' && e.bytes !== undefined && e.bytes < Buffer.byteLength(text)
      ? lineColumn(text, Buffer.from(text).subarray(0, e.bytes).toString().length)
      : undefined;
    const line = atByte?.line ?? Math.min(e.lines ?? Infinity, lastGoodLine + 1);
    throw new ConfigError(
      [{
        message: `malformed CSV: ${e.message.replace(/ (at|on) line \d+/, '')}`,
        file,
        line: Number.isFinite(line) ? line : undefined,
        column: atByte?.column,
        hint: 'quote any field that contains commas or JSON, doubling quotes inside it ("{""a"": 1}")',
      }],
      file,
    );
  }
  if (records.length === 0) {
    throw new ConfigError([{ message: 'the CSV file is empty', file, line: 1, hint: 'start with the header Layer,StepName,StepType,Engine,Value,Params,Inputs,Outputs,Metadata' }], file);
  }
  const [header, ...body] = records;
  const rows: ConfigRow[] = body.map(({ record, info, raw }) => ({
    cells: Object.fromEntries(header.record.map((h, i) => [h.trim(), record[i]])),
    origin: { file, line: startLine(info.lines, raw) },
  }));
  return { file, steps: rowsToRawSteps(header.record.map((h) => h.trim()), rows, file, project) };
}

/** A record that spans lines (a newline inside a quoted cell) is reported where it starts. */
function startLine(endLine: number, raw: string): number {
  const body = raw.replace(/^[\r\n]+/, '').replace(/\r?\n$/, '');
  return endLine - (body.match(/\n/g)?.length ?? 0);
}
