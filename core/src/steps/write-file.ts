/**
 * Writes a dataset to a file for store and publish: staged to a temp file and renamed at commit.
 * `overwrite` replaces the target file; `append` treats the target as a folder and adds a new part
 * file, so `read_parquet('<dir>/**\/*.parquet')` reads every write.
 */
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { StepError } from '../errors.js';
import { copyOptions } from '../engine/sql.js';
import { partName } from '../shared/part-name.js';
import { rm } from 'node:fs/promises';
import { resolvePath, type StepContext } from './context.js';
import { locate } from '../storage/locate.js';
import { uploadStaged } from '../storage/staged-object.js';
import { EXTENSIONS, formatOf, writerOptions, type FileFormat } from './formats.js';

export type Mode = 'overwrite' | 'append';

export function modeOf(ctx: StepContext): Mode {
  const m = ctx.step.params.mode ?? 'overwrite';
  if (m !== 'overwrite' && m !== 'append') throw new StepError(ctx.step.name, `unknown mode '${String(m)}'`, { hint: 'params.mode is "overwrite" (default) or "append"' });
  return m;
}

/**
 * Writes dataset `key` to `target`: the step's value, a path (relative to the config) or an object
 * on S3 or Azure (a URI, or a key under the step's object-store connection). Returns where the
 * file lands at commit.
 */
export async function writeDatasetFile(ctx: StepContext, key: string, target: string, mode: Mode): Promise<string> {
  const { step } = ctx;
  const format: FileFormat = formatOf(step.name, target, step.params.format, mode === 'append' ? 'parquet' : undefined);
  // In a stream, a part is named by its batch: a replayed batch replaces its own part, never adds one.
  const part = ctx.batch ? partName(ctx.batch.id, EXTENSIONS[format]) : `part-${new Date().toISOString().replace(/[:.]/g, '-')}-${randomUUID().slice(0, 8)}${EXTENSIONS[format]}`;
  const options = copyOptions({ ...writerOptions(format), ...((step.params.options ?? {}) as Record<string, unknown>) });
  const dest = mode === 'append' ? `${target.replace(/\/+$/, '')}/${part}` : target;
  const loc = await locate(ctx.pipeline, step, dest);
  if (loc) {
    // DuckDB writes a local file; it goes up under a staging key and lands on the target at commit.
    const local = path.join(ctx.tmpDir, `${randomUUID()}${EXTENSIONS[format]}`);
    await ctx.session.copyTo(key, local, options);
    try {
      ctx.addStaged(await uploadStaged(loc, local, ctx.runId, ctx.signal, ctx.stagingOwner));
    } finally {
      await rm(local, { force: true });
    }
    return loc.uri;
  }
  const finalPath = resolvePath(ctx.pipeline, dest);
  const staged = await ctx.stage(finalPath);
  await ctx.session.copyTo(key, staged.tempPath, options);
  return finalPath;
}
