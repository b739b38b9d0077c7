/**
 * Atomic file outputs. A step writes to a temporary file beside its target; the run commits all
 * staged files (rename) only when it succeeds, and deletes them otherwise, so a failed run never
 * leaves a truncated or changed output behind.
 */
import { mkdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';

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
}

let seq = 0;

export async function stageFile(finalPath: string, runId: string): Promise<StagedFile & StagedAction> {
  await mkdir(path.dirname(finalPath), { recursive: true });
  // The temp name starts with a dot and does not end in the data extension, so globs such as
  // read_parquet('dir/**/*.parquet') never see a half-written file.
  const tempPath = path.join(path.dirname(finalPath), `.${path.basename(finalPath)}.${runId}.${process.pid}.${++seq}.odibi-tmp`);
  return {
    tempPath,
    finalPath,
    target: finalPath,
    commit: () => rename(tempPath, finalPath),
    rollback: () => rm(tempPath, { force: true, recursive: true }),
  };
}

/** Staged actions of one run, committed together at its end. */
export class OutputTransaction {
  readonly #pending: StagedAction[] = [];

  add(actions: readonly StagedAction[]): void {
    this.#pending.push(...actions);
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
    return done;
  }

  async rollback(): Promise<void> {
    await Promise.allSettled(this.#pending.splice(0).map((a) => a.rollback()));
  }
}

export class CommitFailure extends Error {
  constructor(readonly target: string, readonly committed: string[], cause: unknown) {
    super(`could not commit ${target}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'CommitFailure';
  }
}
