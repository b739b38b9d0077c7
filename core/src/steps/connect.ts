/** connect: opens a named connection (DuckDB file, SQLite file, PostgreSQL URL) for the run. */
import { openConnection } from '../engine/connections.js';
import { StepError } from '../errors.js';
import { resolvePath, type StepContext, type StepHandler } from './context.js';
import { isObjectConnect, locateConnection, probe } from '../storage/locate.js';

export const runConnect: StepHandler = async (ctx) => {
  const { step } = ctx;
  if (isObjectConnect(step)) return checkObjectStore(ctx);
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

/**
 * An object-store connection is configuration (steps build their clients from it); connecting
 * checks now that the bucket or container is there and the credentials may list it, so a wrong
 * endpoint or key fails at this step, not halfway through the run.
 */
async function checkObjectStore(ctx: StepContext): Promise<void> {
  const loc = await locateConnection(ctx.pipeline, ctx.step);
  if (!loc) return;
  await probe(loc);
  ctx.log(`${loc.uri}: reachable`);
}
