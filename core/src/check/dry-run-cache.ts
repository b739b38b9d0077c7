/**
 * The dry run's memory: a config that passed its dry run, with the same steps, the same input files,
 * the same function modules with everything they import and the tsconfig.json over them (size,
 * times and inode), and the same ODIBI and DuckDB builds, passes again, so `odibi run` of an
 * unchanged pipeline skips it (on a 2,000-step DAG it costs as much as the run). Only clean
 * results are kept: a config with problems is always checked afresh. What the key cannot see (a
 * glob's set of files, a URL, a stream source, a connection's database, a file named inside SQL)
 * makes the run check every time. `odibi validate` never reads the cache.
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
import { version as duckdbVersion } from '@duckdb/node-api';
import { dryRun, type DryRunOptions, type DryRunResult } from './dry-run.js';

interface Saved {
  version: 2;
  notes: DryRunResult['notes'];
  schemas: [string, ColumnSchema[]][];
  /** The function modules' own files and the tsconfig.json that would apply, each with its stamp. */
  sources: [string, string][];
}

/** This build of ODIBI and of DuckDB: a rebuilt or upgraded core, or another DuckDB, checks again. */
const BUILD = (() => {
  try {
    const s = statSync(fileURLToPath(import.meta.url));
    return `${s.size}:${s.mtimeMs}:${duckdbVersion()}`;
  } catch {
    return 'unknown';
  }
})();

/**
 * A file as it is now: size, times and inode (ctime changes on any write or rename, and no tool can
 * set it back, so a copy that keeps the modification time still counts as changed). "-" if absent.
 */
async function stampOf(file: string): Promise<string> {
  const s = await stat(file).catch(() => undefined);
  return s ? `${s.size}:${s.mtimeMs}:${s.ctimeMs}:${s.ino}` : '-';
}

/** The files a step's check reads, or undefined when its check depends on more than files. */
function filesOf(step: StepConfig, pipeline: Pipeline): string[] | undefined {
  const local = (p: string) => (isUrl(p) || /[*?[]/.test(p) ? undefined : path.resolve(pipeline.baseDir, p));
  if (step.params.stream !== undefined || step.type === 'api') return undefined;
  if (step.type === 'function') {
    const hash = step.value.lastIndexOf('#');
    const file = local(hash >= 0 ? step.value.slice(0, hash) : step.value);
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
    const stamps = [];
    for (const f of files) {
      const stamp = await stampOf(f);
      if (stamp === '-') return undefined;
      stamps.push([f, stamp]);
    }
    hash.update(JSON.stringify([step.layer, step.name, step.type, step.value, step.params, step.inputs, step.outputs, step.dependsOn, stamps]));
  }
  return hash.digest('hex').slice(0, 32);
}

/** Files the modules' check depends on: their sources, and a tsconfig.json in any folder above them. */
function dependedOn(sources: readonly string[]): string[] {
  const out = new Set(sources);
  for (const f of sources) for (let d = path.dirname(f); ; d = path.dirname(d)) {
    out.add(path.join(d, 'tsconfig.json'));
    if (path.dirname(d) === d) break;
  }
  return [...out];
}

async function unchanged(entries: readonly [string, string][]): Promise<boolean> {
  for (const [file, stamp] of entries) if ((await stampOf(file)) !== stamp) return false;
  return true;
}

/** `dryRun`, answered from `cacheDir` when this exact pipeline passed it before. */
export async function cachedDryRun(pipeline: Pipeline, options: DryRunOptions, cacheDir: string): Promise<DryRunResult & { cached: boolean }> {
  const key = await keyOf(pipeline, options);
  const file = key ? path.join(cacheDir, `${key}.json`) : undefined;
  if (file) {
    const saved = await readFile(file, 'utf8').then((t) => JSON.parse(t) as Saved, () => undefined);
    if (saved?.version === 2 && (await unchanged(saved.sources))) {
      return { problems: [], notes: saved.notes, schemas: new Map(saved.schemas), readsOutside: [], sources: saved.sources.map(([f]) => f), cached: true };
    }
  }
  const result = await dryRun(pipeline, options);
  // A step whose SQL names its own files (read_csv('x.csv'), FROM 'x.csv') depends on more than the key sees.
  if (file && result.problems.length === 0 && result.readsOutside.length === 0) {
    const sources: [string, string][] = [];
    for (const f of dependedOn(result.sources)) sources.push([f, await stampOf(f)]);
    const saved: Saved = { version: 2, notes: result.notes, schemas: [...result.schemas], sources };
    // A cache that cannot be written (a read-only state dir) only costs the next run a check.
    await mkdir(cacheDir, { recursive: true }).then(() => writeFileAtomic(file, JSON.stringify(saved))).catch(() => undefined);
  }
  return { ...result, cached: false };
}
