/**
 * file_watch: the step's value is a folder; every new file matching `pattern` is processed exactly
 * once. A file is taken when it is complete: at once if it was moved into place (the usual way to
 * drop a file), or, with `settle_ms`, once its size and mtime have not changed for that long.
 * Hidden files and temporary names (.tmp, .part, ~) are never taken, so writers that write
 * `.name.tmp` and rename are safe with no settle time. The folder is watched (chokidar) so a new
 * file starts a batch at once; listing the folder stays the source of truth.
 */
import { existsSync } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { FSWatcher } from 'chokidar';
import picomatch from 'picomatch';
import { StepError } from '../../errors.js';
import { resolvePath } from '../../steps/context.js';
import { namedArgs, str } from '../../engine/sql.js';
import { formatOf, readerFor } from '../../steps/formats.js';
import { writeParquet } from '../snapshot.js';
import { sourceDir } from './snapshots.js';
import type { BatchInput } from '../../steps/batch-input.js';
import type { PlannedInput, SourceContext, StreamSource } from './source.js';

interface FileWatchState {
  /** Relative paths already taken by committed batches. */
  files: string[];
}

const TEMPORARY = /(^|\/)\.|\.(tmp|temp|part|partial|crdownload|odibi-tmp)$|~$/i;

export class FileWatchSource implements StreamSource {
  readonly mode = 'file_watch' as const;
  readonly step: string;
  readonly #ctx: SourceContext;
  readonly #dir: string;
  readonly #match: (p: string) => boolean;
  readonly #recursive: boolean;
  readonly #settleMs: number;
  readonly #maxFiles: number;
  /** Sizes seen while a file settles: path → size, mtime and since when they held. */
  readonly #seen = new Map<string, { size: number; mtimeMs: number; since: number }>();
  #taken = new Set<string>();
  #takenFrom: unknown;
  #watcher?: FSWatcher;
  readonly #shape: string;

  constructor(ctx: SourceContext, spec: { pattern: string; settleMs: number; maxFiles?: number }) {
    this.#ctx = ctx;
    this.step = ctx.step.name;
    this.#dir = resolvePath(ctx.pipeline, ctx.step.value);
    this.#match = picomatch(spec.pattern, { dot: false });
    this.#recursive = spec.pattern.includes('/');
    this.#settleMs = spec.settleMs;
    this.#maxFiles = spec.maxFiles ?? Infinity;
    this.#shape = path.join(sourceDir(ctx), 'shape.parquet');
  }

  async start(wake: () => void): Promise<void> {
    const s = await stat(this.#dir).catch(() => undefined);
    if (!s?.isDirectory()) {
      throw new StepError(this.step, `the folder to watch does not exist: ${this.#dir}`, { hint: 'a file_watch step\'s value is a folder (relative to the config); create it first' });
    }
    const { watch } = await import('chokidar');
    this.#watcher = watch(this.#dir, { ignoreInitial: true, depth: this.#recursive ? undefined : 0 });
    this.#watcher.on('add', wake).on('change', wake).on('error', () => undefined);
  }

  async plan(state: unknown, _batchId: number): Promise<PlannedInput | undefined> {
    const taken = this.#takenSet(state);
    const now = this.#ctx.clock.now();
    const ready: { rel: string; mtimeMs: number }[] = [];
    const listed = await this.#list();
    for (const rel of listed) {
      if (taken.has(rel)) continue;
      const s = await stat(path.join(this.#dir, rel)).catch(() => undefined);
      if (!s?.isFile()) continue;
      if (this.#settleMs > 0) {
        const prev = this.#seen.get(rel);
        if (!prev || prev.size !== s.size || prev.mtimeMs !== s.mtimeMs) {
          this.#seen.set(rel, { size: s.size, mtimeMs: s.mtimeMs, since: now });
          continue;
        }
        if (now - prev.since < this.#settleMs) continue;
      }
      ready.push({ rel, mtimeMs: s.mtimeMs });
    }
    if (!ready.length) return undefined;
    ready.sort((a, b) => a.rel.localeCompare(b.rel));
    // Oldest names first; the rest wait for the next batch (like Spark's maxFilesPerTrigger).
    ready.splice(this.#maxFiles);
    const files = ready.map((r) => r.rel);
    for (const f of files) this.#seen.delete(f);
    const st = state as FileWatchState | undefined;
    // Names of files no longer in the folder are dropped, so the state does not grow forever when
    // processed files are archived (a file dropped in again under such a name is a new arrival).
    const present = new Set(listed);
    return {
      offset: { files },
      input: this.#input(files.map((f) => path.join(this.#dir, f))),
      nextState: { files: [...(st?.files ?? []).filter((f) => present.has(f)), ...files] } satisfies FileWatchState,
      availableAt: Math.min(...ready.map((r) => r.mtimeMs)),
    };
  }

  /** An empty table shaped like the files: from a zero-row copy kept in the stream's folder. */
  empty(): BatchInput | undefined {
    return existsSync(this.#shape) ? { files: [], format: 'parquet', options: {}, like: this.#shape } : undefined;
  }

  /** Keeps the shape of the files (a zero-row Parquet) once, for batches where this source has nothing. */
  async committed(offset: unknown): Promise<void> {
    const last = (offset as { files?: string[] } | null)?.files?.at(-1);
    if (!last || existsSync(this.#shape)) return;
    const input = this.#input([path.join(this.#dir, last)]);
    const reader = readerFor(input.format);
    await this.#ctx.reader.withSession((s) => writeParquet(s, `SELECT * FROM ${reader.fn}(${str(input.files[0])}${namedArgs({ ...reader.defaults, ...input.options })}) LIMIT 0`, this.#shape));
  }

  async close(): Promise<void> {
    await this.#watcher?.close();
  }

  #input(files: string[]): BatchInput {
    const { step } = this.#ctx;
    const named = files[0] ?? `file${extensionOf(step.params.stream)}`;
    return { files, format: formatOf(step.name, named, step.params.format), options: (step.params.options ?? {}) as Record<string, unknown> };
  }

  #takenSet(state: unknown): Set<string> {
    // The state only grows; keep the Set between batches instead of rebuilding it.
    if (state !== this.#takenFrom) {
      this.#taken = new Set((state as FileWatchState | undefined)?.files ?? []);
      this.#takenFrom = state;
    }
    return this.#taken;
  }

  async #list(): Promise<string[]> {
    const names = await readdir(this.#dir, { recursive: this.#recursive });
    return names.map((n) => n.split(path.sep).join('/')).filter((n) => !TEMPORARY.test(n) && this.#match(n));
  }
}

/** The extension the pattern implies ("*.csv" → ".csv"), for the reader when no file names it. */
function extensionOf(stream: unknown): string {
  const pattern = String((stream as { pattern?: unknown } | undefined)?.pattern ?? '');
  return path.extname(pattern.replace(/[*?{}[\]]/g, ''));
}
