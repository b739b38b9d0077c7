/**
 * Function steps: `fn(inputs: Record<alias, arrow.Table>, ctx: { params, log })` returning an
 * Arrow Table or row objects (or, for several outputs, an object of them keyed by output alias).
 */
import { StepError } from '../errors.js';
import { rowsToColumns } from '../engine/js-columns.js';
import { datasetTable, type JsColumns } from '../engine/duckdb-engine.js';
import type { StepContext } from './context.js';
import { loadFunction } from './load-function.js';

export async function runFunctionStep(ctx: StepContext): Promise<void> {
  const { step, session } = ctx;
  // apache-arrow loads only when a pipeline has a function step.
  const [fn, { arrowToColumns, columnsToArrow, isArrowTable }] = await Promise.all([loadFunction(ctx), import('../engine/arrow-bridge.js')]);
  const inputs: Record<string, unknown> = {};
  const hints = new Map<string, string>();
  const toColumns = (value: unknown, alias: string): JsColumns => (isArrowTable(value) ? arrowToColumns(value) : rowsOf(step.name, value, alias, hints));
  for (const [alias, key] of Object.entries(step.inputs)) {
    const data = await session.readColumns(datasetTable(key));
    for (const c of data.schema) if (!hints.has(c.name)) hints.set(c.name, c.type);
    inputs[alias] = columnsToArrow(data);
  }

  let result: unknown;
  try {
    result = await fn(inputs, { params: step.params, log: (m: unknown) => ctx.log(String(m)), step: step.name });
  } catch (err) {
    throw new StepError(step.name, `function ${step.value} threw: ${(err as Error)?.message ?? String(err)}`, { cause: err, hint: 'see the stack trace in the run record; fix the function or its inputs' });
  }
  const outputs = Object.entries(step.outputs);
  if (outputs.length === 1) {
    await session.writeColumns(outputs[0][1], toColumns(result, outputs[0][0]));
    return;
  }
  if (!result || typeof result !== 'object' || Array.isArray(result) || isArrowTable(result)) {
    throw new StepError(step.name, `the step declares ${outputs.length} outputs, so the function must return an object keyed by output alias (${outputs.map(([a]) => a).join(', ')})`);
  }
  for (const [alias, key] of outputs) {
    const part = (result as Record<string, unknown>)[alias];
    if (part === undefined) throw new StepError(step.name, `the function returned no '${alias}' output`, { hint: `return { ${outputs.map(([a]) => `${a}: ...`).join(', ')} }` });
    await session.writeColumns(key, toColumns(part, alias));
  }
}

function rowsOf(stepName: string, value: unknown, alias: string, hints: ReadonlyMap<string, string>): JsColumns {
  if (Array.isArray(value)) {
    if (value.some((r) => !r || typeof r !== 'object' || Array.isArray(r))) {
      throw new StepError(stepName, `output '${alias}': the function returned an array whose items are not row objects`, { hint: 'return an apache-arrow Table or an array of objects like [{ "id": 1, "score": 0.5 }]' });
    }
    if (value.length === 0) throw new StepError(stepName, `output '${alias}': the function returned an empty array, so the columns are unknown`, { hint: 'return an apache-arrow Table (which carries its schema) when there may be no rows' });
    return rowsToColumns(value as Record<string, unknown>[], hints);
  }
  throw new StepError(stepName, `output '${alias}': the function returned ${value === null ? 'null' : typeof value}, not an Arrow Table or an array of rows`, { hint: 'return an apache-arrow Table or an array of row objects (sync or async)' });
}
