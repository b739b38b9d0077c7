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
import type { StepContext } from './context.js';
import { EXTENSIONS, formatOf, writerOptions, type FileFormat } from './formats.js';

export type Mode = 'overwrite' | 'append';

export function modeOf(ctx: StepContext): Mode {
  const m = ctx.step.params.mode ?? 'overwrite';
  if (m !== 'overwrite' && m !== 'append') throw new StepError(ctx.step.name, `unknown mode '${String(m)}'`, { hint: 'params.mode is "overwrite" (default) or "append"' });
  return m;
}

export async function writeDatasetFile(ctx: StepContext, key: string, target: string, mode: Mode): Promise<string> {
  const { step } = ctx;
  const format: FileFormat = formatOf(step.name, target, step.params.format, mode === 'append' ? 'parquet' : undefined);
  // In a stream, a part is named by its batch: a replayed batch replaces its own part, never adds one.
  const part = ctx.batch ? partName(ctx.batch.id, EXTENSIONS[format]) : `part-${new Date().toISOString().replace(/[:.]/g, '-')}-${randomUUID().slice(0, 8)}${EXTENSIONS[format]}`;
  const finalPath = mode === 'append' ? path.join(target, part) : target;
  const staged = await ctx.stage(finalPath);
  const options = { ...writerOptions(format), ...((step.params.options ?? {}) as Record<string, unknown>) };
  await ctx.session.copyTo(key, staged.tempPath, copyOptions(options));
  return finalPath;
}
