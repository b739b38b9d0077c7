/** connect: opens a named connection (DuckDB file, SQLite file, PostgreSQL URL) for the run. */
import { openConnection } from '../engine/connections.js';
import { StepError } from '../errors.js';
import { resolvePath, type StepHandler } from './context.js';

export const runConnect: StepHandler = async (ctx) => {
  const { step } = ctx;
  const target = resolvePath(ctx.pipeline, step.value);
  try {
    const connection = await openConnection({
      name: step.name,
      target,
      kind: typeof step.params.type === 'string' ? step.params.type : undefined,
      openSession: () => ctx.openSession(),
    });
    ctx.connections.set(step.name, connection);
  } catch (err) {
    throw new StepError(step.name, `cannot open connection: ${(err as Error).message}`, {
      cause: err,
      hint: 'check the path or URL in value (and that the server is running), or set params.type to duckdb, sqlite or postgres',
    });
  }
};
