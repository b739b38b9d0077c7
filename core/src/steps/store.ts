/** store: writes the input dataset to a file (Parquet default, CSV, JSON) or a connection's table. */
import { StepError } from '../errors.js';
import { firstInput, type StepHandler } from './context.js';
import { objectConnection } from '../storage/locate.js';
import { modeOf, writeDatasetFile } from './write-file.js';

export const runStore: StepHandler = async (ctx) => {
  const { step } = ctx;
  const { key } = firstInput(step);
  const mode = modeOf(ctx);
  const rows = await ctx.session.count(key);
  const connName = step.params.connection;
  if (typeof connName === 'string' && !objectConnection(ctx.pipeline, connName)) {
    const conn = ctx.connections.get(connName);
    if (!conn) throw new StepError(step.name, `connection '${connName}' is not open`, { hint: `the connect step '${connName}' must run first` });
    ctx.addStaged(await conn.store(ctx.session, key, step.value, mode, ctx.runId));
  } else {
    await writeDatasetFile(ctx, key, step.value, mode);
  }
  return { rowsWritten: rows };
};
