/**
 * `odibi convert`: the pipeline a saved notebook declares, without running it. Step magics are
 * read in cell order with the same rules as the kernel (a later cell for the same key replaces the
 * earlier step); `%%ts` bodies become a generated module beside the config. Cells whose saved
 * output is an error are left out with a warning, or fail the conversion with `strict`.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { writeFileAtomic } from '../shared/atomic-write.js';
import path from 'node:path';
import { ConfigError, type ConfigProblem } from '../errors.js';
import { validatePipeline } from '../load/pipeline.js';
import { substitute } from '../config/env.js';
import { toConfig } from './export-config.js';
import { checkFromMagic, withCheck } from './magic-check.js';
import { functionSource, identifier } from './function-module.js';
import { parseMagic } from './magic-parse.js';
import { declareStep, MagicUsageError, STEP_MAGICS, upsertStep } from './magic-steps.js';
import { DuckDBEngine } from '../engine/duckdb-engine.js';
import { readSqlStructure } from '../sql/structure.js';
import type { StepFields } from './step-fields.js';

export interface ConvertOptions {
  /** Config to write (default: the notebook's path with .json). */
  output?: string;
  /** Fail on any cell that cannot be converted instead of leaving it out. */
  strict?: boolean;
  /** Lift the input and output folders into `data_root` and `out_root` (as `%export --parameterize`). */
  parameterize?: boolean;
}

export interface ConvertResult {
  file: string;
  steps: number;
  modules: string[];
  warnings: string[];
}

interface NotebookCell {
  cell_type: string;
  source: string | string[];
  outputs?: { output_type: string }[];
}

export async function convertNotebook(notebook: string, options: ConvertOptions = {}): Promise<ConvertResult> {
  const nbFile = path.resolve(notebook);
  let cells: NotebookCell[];
  try {
    const nb = JSON.parse(await readFile(nbFile, 'utf8')) as { cells?: NotebookCell[]; nbformat?: number };
    if (!Array.isArray(nb.cells)) throw new Error('no cells array');
    cells = nb.cells;
  } catch (err) {
    throw new ConfigError([{ message: `not a readable notebook: ${(err as Error).message}`, file: nbFile, hint: 'pass a .ipynb file saved by Jupyter (nbformat 4)' }], nbFile);
  }
  const nbDir = path.dirname(nbFile);
  const output = path.resolve(options.output ?? nbFile.replace(/\.ipynb$/i, '') + '.json');
  const base = path.basename(output).replace(/\.[^.]+$/, '');
  const warnings: string[] = [];
  const problems: ConfigProblem[] = [];
  const bodies = new Map<string, { inputs: string[]; body: string }>();
  let steps = new Map<string, StepFields>();
  /** `%set name value` cells, in order: the config's dev profile; steps keep their `${var:…}`. */
  const vars: Record<string, string> = {};

  // DuckDB's parser reads each %%sql cell, as in the kernel.
  const engine = await DuckDBEngine.create({ baseDir: nbDir, threads: 1 });
  const parser = await engine.session();
  const parse = (sql: string) => readSqlStructure((q) => parser.query(q), substitute(sql, { vars }).value);
  try {
    for (const [i, cell] of cells.entries()) {
      if (cell.cell_type !== 'code') continue;
      const source = Array.isArray(cell.source) ? cell.source.join('') : cell.source;
      const call = parseMagic(source);
      if (call?.name === 'set' && call.args.length >= 2 && /^[A-Za-z_][A-Za-z0-9_]*$/.test(call.args[0])) {
        vars[call.args[0]] = call.args.slice(1).join(' ');
        continue;
      }
      if (call?.name === 'check') {
        try {
          const { key, check } = checkFromMagic(call);
          const producer = [...steps.values()].find((f) => Object.values((f.outputs ?? {}) as Record<string, string>).includes(key));
          if (producer) steps.set(producer.name, withCheck(producer, check));
          else warnings.push(`cell ${i + 1}: left out, %check names dataset '${key}', which no earlier cell makes`);
        } catch (err) {
          if (err instanceof MagicUsageError) warnings.push(`cell ${i + 1}: left out, ${err.message}`);
          else throw err;
        }
        continue;
      }
      if (!call || !(call.name in STEP_MAGICS)) continue;
      const where = `cell ${i + 1} (${source.split('\n')[0].slice(0, 60)})`;
      const leaveOut = (message: string, hint?: string) => {
        if (options.strict) problems.push({ message: `${where}: ${message}`, file: nbFile, hint });
        else warnings.push(`${where}: left out, ${message}`);
      };
      if (cell.outputs?.some((o) => o.output_type === 'error')) {
        leaveOut('its saved output is an error', 'fix the cell and re-run it, or drop --strict');
        continue;
      }
      if (call.name === 'sql' && call.args.includes('--template')) {
        leaveOut('%%sql --template needs the notebook\'s TypeScript variables', 'run the notebook and use %export instead');
        continue;
      }
      try {
        const ms = await declareStep(call, [...steps.values()].flatMap((s) => Object.values((s.outputs ?? {}) as Record<string, string>)), parse);
        if (ms.ts) bodies.set(ms.fields.name, { inputs: ms.inputs, body: ms.ts.body });
        steps = upsertStep(steps, ms.fields).next;
      } catch (err) {
        if (err instanceof MagicUsageError) leaveOut(err.message, err.hint);
        else throw err;
      }
    }
  } finally {
    parser.close();
    engine.close();
  }
  if (problems.length) throw new ConfigError(problems, nbFile);

  // %%ts steps point at a module written beside the config.
  const modules: string[] = [];
  const fields = [...steps.values()].map((s) => {
    const ts = bodies.get(s.name);
    if (!ts) return s;
    const fn = identifier(s.name);
    const file = path.join(path.dirname(output), `${base}.${fn}.ts`);
    modules.push(file);
    return { ...s, value: `${file}#${fn}`, __module: functionSource(fn, ts.inputs, ts.body) };
  });
  const config = toConfig(base, fields.map(({ __module: _m, ...s }) => s as StepFields), nbDir, path.dirname(output), { vars, parameterize: options.parameterize });
  // Same checks as `odibi validate`, before anything is written.
  validatePipeline({ name: base, file: output, steps: config.steps.map((s, i) => ({ fields: s, origin: { file: nbFile, row: `step ${i + 1}` } })) }, { vars: config.profiles?.dev.vars ?? {} });

  await mkdir(path.dirname(output), { recursive: true });
  for (const f of fields) {
    if (!('__module' in f)) continue;
    const file = String(f.value).slice(0, String(f.value).lastIndexOf('#'));
    await writeFileAtomic(file, String(f.__module));
  }
  await writeFileAtomic(output, `${JSON.stringify(config, null, 2)}\n`);
  return { file: output, steps: config.steps.length, modules, warnings };
}
