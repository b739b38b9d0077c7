/**
 * Files a snapshot-based source (incremental, interval, event, redis, nats) keeps in the stream's folder, under
 * `sources/<step>/`: each batch's input and, for incremental, the row hashes it has seen. Only the
 * newest are kept once a batch commits; the newest input stays as the shape of an empty batch.
 */
import { readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import type { SourceContext } from './source.js';

export function sourceDir(ctx: SourceContext): string {
  return path.join(ctx.dir, 'sources', ctx.step.name.replace(/[^\w.-]/g, '_'));
}

export function batchFile(ctx: SourceContext, kind: 'input' | 'seen', batchId: number): string {
  return path.join(sourceDir(ctx), `${kind}-${String(batchId).padStart(10, '0')}.parquet`);
}

/** Removes this source's snapshot files except `keep`. */
export async function keepOnly(ctx: SourceContext, keep: (string | undefined)[]): Promise<void> {
  const dir = sourceDir(ctx);
  const wanted = new Set(keep.filter(Boolean).map((f) => path.basename(f!)));
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return;
  }
  await Promise.all(names.filter((n) => /^(input|seen)-\d+\.(parquet|csv|ndjson)$/.test(n) && !wanted.has(n)).map((n) => rm(path.join(dir, n), { force: true })));
}
