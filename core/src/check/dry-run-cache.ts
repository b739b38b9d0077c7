/**
 * The dry run's memory: a config that passed its dry run, with the same steps, the same input and
 * module files (size and modification time) and the same ODIBI build, passes again, so `odibi run`
 * of an unchanged pipeline skips it (on a 2,000-step DAG it costs as much as the run). Only clean
 * results are kept: a config with problems is always checked afresh. What the key cannot see (a
 * glob's set of files, a URL, a stream source, a connection's database) makes the run check every
 * time. `odibi validate` never reads the cache.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, stat } from 'node:fs/promises';
import { statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Pipeline, StepConfig } from '../config/model.js';
import { writeFileAtomic } from '../shared/atomic-write.js';
import { isUrl } from '../shared/url.js';
import type { ColumnSchema } from '../engine/duckdb-engine.js';
import { dryRun, type DryRunOptions, type DryRunResult } from './dry-run.js';

interface Saved {
  version: 1;
  notes: DryRunResult['notes'];
  schemas: [string, ColumnSchema[]][];
}

/** This build of ODIBI: a rebuilt or upgraded core checks configs again. */
const BUILD = (() => {
  try {
    const s = statSync(fileURLToPath(import.meta.url));
    return `${s.size}:${s.mtimeMs}`;
  } catch {
    return 'unknown';
  }
})();

/** The files a step's check reads, or undefined when its check depends on more than files. */
function filesOf(step: StepConfig, pipeline: Pipeline): string[] | undefined {
  const local = (p: string) => (isUrl(p) || /[*?[]/.test(p) ? undefined : path.resolve(pipeline.baseDir, p));
  if (step.params.stream !== undefined || step.type === 'api') return undefined;
  if (step.type === 'function') {
    const file = local(step.value.slice(0, step.value.lastIndexOf('#')));
    return file ? [file] : undefined;
  }
  if (step.layer === 'connect' || typeof step.params.connection === 'string') return undefined;
  if (step.layer === 'ingest' && step.type === 'config_op') {
    const file = local(step.value);
    return file ? [file] : undefined;
  }
  return [];
}

/** The cache key of a pipeline's dry run, or undefined when one of its checks cannot be keyed. */
async function keyOf(pipeline: Pipeline, options: DryRunOptions): Promise<string | undefined> {
  const hash = createHash('sha256');
  const selected = options.steps ? new Set(options.steps) : undefined;
  hash.update(JSON.stringify({ build: BUILD, base: pipeline.baseDir, typecheck: options.typecheck !== false, steps: options.steps ?? null }));
  for (const step of pipeline.steps) {
    if (selected && !selected.has(step.name)) continue;
    const files = filesOf(step, pipeline);
    if (!files) return undefined;
    const stats = [];
    for (const f of files) {
      const s = await stat(f).catch(() => undefined);
      if (!s) return undefined;
      stats.push([f, s.size, s.mtimeMs]);
    }
    hash.update(JSON.stringify([step.layer, step.name, step.type, step.value, step.params, step.inputs, step.outputs, step.dependsOn, stats]));
  }
  return hash.digest('hex').slice(0, 32);
}

/** `dryRun`, answered from `cacheDir` when this exact pipeline passed it before. */
export async function cachedDryRun(pipeline: Pipeline, options: DryRunOptions, cacheDir: string): Promise<DryRunResult & { cached: boolean }> {
  const key = await keyOf(pipeline, options);
  const file = key ? path.join(cacheDir, `${key}.json`) : undefined;
  if (file) {
    const saved = await readFile(file, 'utf8').then((t) => JSON.parse(t) as Saved, () => undefined);
    if (saved?.version === 1) return { problems: [], notes: saved.notes, schemas: new Map(saved.schemas), cached: true };
  }
  const result = await dryRun(pipeline, options);
  if (file && result.problems.length === 0) {
    const saved: Saved = { version: 1, notes: result.notes, schemas: [...result.schemas] };
    // A cache that cannot be written (a read-only state dir) only costs the next run a check.
    await mkdir(cacheDir, { recursive: true }).then(() => writeFileAtomic(file, JSON.stringify(saved))).catch(() => undefined);
  }
  return { ...result, cached: false };
}
