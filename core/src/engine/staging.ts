/**
 * Atomic file outputs. A step writes to a temporary file beside its target; the run commits all
 * staged files (rename) only when it succeeds, and deletes them otherwise, so a failed run never
 * leaves a truncated or changed output behind.
 */
import { mkdir, readdir, rename, rm, stat, utimes } from 'node:fs/promises';
import path from 'node:path';
import { OWN_START, PID_SPACE, processAlive } from '../shared/process.js';

export interface StagedFile {
  /** Where the step writes. */
  readonly tempPath: string;
  /** Where the file lands on commit. */
  readonly finalPath: string;
}

/** A pending side effect that becomes visible on commit. */
export interface StagedAction {
  commit(): Promise<void>;
  rollback(): Promise<void>;
  readonly target: string;
  /** Marks a staged file as still wanted (see HEARTBEAT_MS). */
  touch?(): Promise<void>;
  /** What another process needs to commit or roll it back (a worker hands its writes to the coordinator). */
  readonly handoff?: Handoff;
}

/** A staged write another process can finish: a staged file (renamed at commit) or a staging object (copied). */
export type Handoff =
  | { kind: 'file'; temp: string; final: string }
  | { kind: 'object'; uri: string; staging: string };

/**
 * The process a staging name says owns the staged write (default: this one). A worker stages in its
 * coordinator's name: the coordinator commits or rolls back, and a sweep judges the file by it.
 */
export interface StagingOwner {
  space: string;
  pid: number;
  start: number;
}

export const OWN_PROCESS: StagingOwner = { space: PID_SPACE, pid: process.pid, start: OWN_START };

let seq = 0;

/** `.<name>.<run>.<pid space>.<pid>.<start ticks>.<seq>.odibi-tmp`: who staged it, exactly. */
const STAGED = /^\.(.+)\.([0-9a-f]{8})\.(\d+)\.(\d+)\.(\d+)\.odibi-tmp$/;

/**
 * A live run refreshes the time of files it staged and has not committed yet this often, so a sweep
 * from another host (sharing the folder) can tell them from the leftovers of a run that is gone.
 */
export const HEARTBEAT_MS = 60 * 60_000;
/** A staged file from another host, untouched this long, belongs to no live run. */
export const FOREIGN_STALE_MS = 6 * HEARTBEAT_MS;

/** The hidden name a run stages `base` under, beside it (a file, or an object in the same folder). */
export function stagingName(base: string, runId: string, owner: StagingOwner = OWN_PROCESS): string {
  return `.${base}.${runId}.${owner.space}.${owner.pid}.${owner.start}.${++seq}.odibi-tmp`;
}

/**
 * Whether a name is a staging file or object left by a run that is gone: staged in this pid space
 * by a process that no longer exists (or whose pid now names another process), or staged elsewhere
 * and untouched for FOREIGN_STALE_MS. A live run's never is. Not a staging name: false.
 */
export function isStaleStaging(name: string, modifiedMs: number, now = Date.now()): boolean {
  const m = STAGED.exec(name);
  if (!m) return false;
  const [space, pid, start] = [m[2], Number(m[3]), Number(m[4])];
  return space === PID_SPACE ? !processAlive(pid, start) : now - modifiedMs > FOREIGN_STALE_MS;
}

export async function stageFile(finalPath: string, runId: string, owner?: StagingOwner): Promise<StagedFile & StagedAction> {
  await mkdir(path.dirname(finalPath), { recursive: true });
  // The temp name starts with a dot and does not end in the data extension, so globs such as
  // read_parquet('dir/**/*.parquet') never see a half-written file. The pid space (machine, boot,
  // pid namespace), pid and start time name the process that owns it.
  const tempPath = path.join(path.dirname(finalPath), stagingName(path.basename(finalPath), runId, owner));
  return { tempPath, finalPath, ...stagedFileAction(tempPath, finalPath) };
}

/** The commit (a rename) and rollback of a file staged at `tempPath`, by whichever process holds them. */
export function stagedFileAction(tempPath: string, finalPath: string): StagedAction {
  return {
    target: finalPath,
    handoff: { kind: 'file', temp: tempPath, final: finalPath },
    commit: () => rename(tempPath, finalPath),
    rollback: () => rm(tempPath, { force: true, recursive: true }),
    touch: async () => {
      const now = new Date();
      await utimes(tempPath, now, now).catch(() => undefined);
    },
  };
}

export interface SweepOptions {
  now?: number;
}

/**
 * Removes staging files in `folders` left by runs that are gone: killed (SIGKILL, OOM, power) before
 * they could commit or roll back. A file staged in this pid space is stale when its process no
 * longer exists, or when its pid now belongs to a process with another start time (a container
 * restarted with the same pid); no clock is compared. A file from another machine or container is
 * stale once untouched for FOREIGN_STALE_MS. A live run's files are never removed. Returns the
 * paths removed.
 */
export async function sweepStaging(folders: Iterable<string>, options: SweepOptions = {}): Promise<string[]> {
  const now = options.now ?? Date.now();
  const removed: string[] = [];
  for (const dir of new Set(folders)) {
    let names: string[];
    try {
      names = await readdir(dir);
    } catch {
      continue; // not there yet (first run) or not a folder
    }
    for (const name of names) {
      if (!STAGED.test(name)) continue;
      const file = path.join(dir, name);
      const info = await stat(file).catch(() => undefined);
      if (!info || !isStaleStaging(name, info.mtimeMs, now)) continue;
      await rm(file, { recursive: true, force: true });
      removed.push(file);
    }
  }
  return removed;
}

/** Staged actions of one run, committed together at its end. */
export class OutputTransaction {
  readonly #pending: StagedAction[] = [];
  #heartbeat?: NodeJS.Timeout;

  add(actions: readonly StagedAction[]): void {
    this.#pending.push(...actions);
    if (this.#pending.length && !this.#heartbeat) {
      this.#heartbeat = setInterval(() => {
        for (const a of this.#pending) void a.touch?.();
      }, HEARTBEAT_MS);
      this.#heartbeat.unref();
    }
  }

  #settled(): void {
    if (this.#pending.length) return;
    clearInterval(this.#heartbeat);
    this.#heartbeat = undefined;
  }

  get size(): number {
    return this.#pending.length;
  }

  /**
   * Commits every action in order. If one fails, the ones not yet committed are rolled back and a
   * CommitFailure says which targets did land before it.
   */
  async commit(): Promise<string[]> {
    const done: string[] = [];
    while (this.#pending.length) {
      const a = this.#pending[0];
      try {
        await a.commit();
      } catch (err) {
        await this.rollback();
        throw new CommitFailure(a.target, done, err);
      }
      this.#pending.shift();
      done.push(a.target);
    }
    this.#settled();
    return done;
  }

  async rollback(): Promise<void> {
    await Promise.allSettled(this.#pending.splice(0).map((a) => a.rollback()));
    this.#settled();
  }
}

export class CommitFailure extends Error {
  constructor(readonly target: string, readonly committed: string[], cause: unknown) {
    super(`could not commit ${target}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'CommitFailure';
  }
}
