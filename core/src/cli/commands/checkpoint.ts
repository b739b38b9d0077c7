/** `odibi checkpoint list | show <run> | clear [--older-than 7d]`: the step checkpoints in a state dir. */
import { checkpointStoreOf } from '../../checkpoint/open-store.js';
import type { CheckpointEntry, CheckpointStore } from '../../checkpoint/store.js';
import { DurationError, parseDuration } from '../../shared/duration.js';
import { stateDirOf } from '../state-dir.js';
import { EXIT, reportError, UsageError } from '../errors.js';
import { count, duration, pad, painter } from '../format.js';

export interface CheckpointOptions {
  stateDir?: string;
  config?: string;
  json?: boolean;
  olderThan?: string;
}

async function storeFor(o: { stateDir?: string; config?: string }): Promise<CheckpointStore> {
  return checkpointStoreOf(await stateDirOf(o));
}

const bytes = (entry: CheckpointEntry) => entry.datasets.reduce((n, d) => n + d.bytes, 0);
const rows = (entry: CheckpointEntry) => entry.datasets.reduce((n, d) => n + d.rows, 0);

function size(n: number): string {
  return n < 1024 ? `${n} B` : n < 1024 ** 2 ? `${(n / 1024).toFixed(1)} KB` : `${(n / 1024 ** 2).toFixed(1)} MB`;
}

function print(entries: CheckpointEntry[]): void {
  const p = painter(process.stdout);
  process.stdout.write(p('bold', `${pad('STEP', 24)} ${pad('RUN', 26)} ${pad('SAVED', 20)} ${pad('ROWS', 12)} SIZE\n`));
  for (const e of entries) {
    const what = e.datasets.length ? pad(count(rows(e)), 12) : pad(e.committed ? 'written' : 'not committed', 12);
    process.stdout.write(`${pad(e.step, 24)} ${pad(e.runId, 26)} ${pad(e.createdAt.replace('T', ' ').slice(0, 19), 20)} ${what} ${size(bytes(e))}\n`);
  }
}

export async function checkpointListCommand(o: CheckpointOptions): Promise<number> {
  try {
    const store = await storeFor(o);
    const entries = await store.list();
    if (o.json) {
      for (const e of entries) process.stdout.write(`${JSON.stringify(e)}\n`);
    } else if (!entries.length) {
      process.stdout.write(`No checkpoints in ${store.root} (save them with \`odibi run --checkpoint\`)\n`);
    } else {
      print(entries);
      process.stdout.write(painter(process.stdout)('dim', `${entries.length} checkpoints, ${size(entries.reduce((n, e) => n + bytes(e), 0))} in ${store.root}\n`));
    }
    return EXIT.ok;
  } catch (err) {
    return reportError(err, !!o.json);
  }
}

export async function checkpointShowCommand(run: string, o: CheckpointOptions): Promise<number> {
  try {
    const store = await storeFor(o);
    const all = await store.list();
    const runs = [...new Set(all.map((e) => e.runId))].sort().reverse();
    const id = run === 'latest' ? runs[0] : runs.find((r) => r === run) ?? (runs.filter((r) => r.startsWith(run)).length === 1 ? runs.find((r) => r.startsWith(run)) : undefined);
    if (!id) {
      throw new UsageError(`no checkpoints of run '${run}' in ${store.root}`, { hint: runs.length ? `runs with checkpoints: ${runs.slice(0, 5).join(', ')}${runs.length > 5 ? ', …' : ''}` : 'save checkpoints with `odibi run --checkpoint`' });
    }
    const entries = all.filter((e) => e.runId === id);
    if (o.json) {
      for (const e of entries) process.stdout.write(`${JSON.stringify(e)}\n`);
      return EXIT.ok;
    }
    process.stdout.write(`Checkpoints of run ${id} (${entries[0].pipeline}):\n`);
    for (const e of entries) {
      process.stdout.write(`  ${pad(e.step, 24)} ${pad(e.layer, 10)} ${e.datasets.length ? e.datasets.map((d) => `${d.key}: ${count(d.rows)} rows, ${size(d.bytes)}`).join('; ') : e.committed ? 'writes committed' : 'writes not committed'}\n`);
    }
    return EXIT.ok;
  } catch (err) {
    return reportError(err, !!o.json);
  }
}

export async function checkpointClearCommand(o: CheckpointOptions): Promise<number> {
  try {
    let olderThanMs: number | undefined;
    try {
      olderThanMs = o.olderThan === undefined ? undefined : parseDuration(o.olderThan, '--older-than');
    } catch (err) {
      if (err instanceof DurationError) throw new UsageError(err.message);
      throw err;
    }
    const store = await storeFor(o);
    const now = Date.now();
    const doomed = (await store.list()).filter((e) => olderThanMs === undefined || now - Date.parse(e.createdAt) > olderThanMs);
    for (const e of doomed) await store.remove(e);
    const leftovers = await store.removeLeftovers();
    process.stdout.write(`Removed ${doomed.length} checkpoint${doomed.length === 1 ? '' : 's'} (${size(doomed.reduce((n, e) => n + bytes(e), 0))})${olderThanMs !== undefined ? ` older than ${duration(olderThanMs)}` : ''}${leftovers ? ` and ${leftovers} unfinished write${leftovers === 1 ? '' : 's'}` : ''}\n`);
    return EXIT.ok;
  } catch (err) {
    return reportError(err, !!o.json);
  }
}
