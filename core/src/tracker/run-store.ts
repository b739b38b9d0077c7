/** Run records on disk: `<state-dir>/runs/<run-id>.json`, written atomically. */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { OdibiError } from '../errors.js';
import { writeFileAtomic } from '../shared/atomic-write.js';
import type { RunRecord } from './run-record.js';

export class RunStore {
  constructor(readonly stateDir: string) {}

  get runsDir(): string {
    return path.join(this.stateDir, 'runs');
  }

  pathOf(runId: string): string {
    return path.join(this.runsDir, `${runId}.json`);
  }

  async save(record: RunRecord): Promise<void> {
    await writeFileAtomic(this.pathOf(record.runId), `${JSON.stringify(record, null, 2)}\n`);
  }

  /** Every run, newest first. */
  async list(): Promise<RunRecord[]> {
    let files: string[];
    try {
      files = (await readdir(this.runsDir)).filter((f) => f.endsWith('.json'));
    } catch {
      return [];
    }
    const records = await Promise.all(files.map(async (f) => {
      try {
        return JSON.parse(await readFile(path.join(this.runsDir, f), 'utf8')) as RunRecord;
      } catch {
        return undefined;
      }
    }));
    return records.filter((r): r is RunRecord => !!r).sort((a, b) => b.startedAt.localeCompare(a.startedAt) || b.runId.localeCompare(a.runId));
  }

  /** A run by id, unique id prefix, or "latest". */
  async get(idOrPrefix: string): Promise<RunRecord> {
    const runs = await this.list();
    if (idOrPrefix === 'latest' && runs.length) return runs[0];
    const exact = runs.find((r) => r.runId === idOrPrefix);
    if (exact) return exact;
    const matches = runs.filter((r) => r.runId.startsWith(idOrPrefix));
    if (matches.length === 1) return matches[0];
    throw new OdibiError(matches.length ? `run id '${idOrPrefix}' is ambiguous (${matches.length} runs match)` : `no run '${idOrPrefix}' in ${this.runsDir}`, {
      hint: runs.length ? 'list runs with `odibi runs` (ids may be shortened to a unique prefix, or use "latest")' : 'run a pipeline first, or pass --state-dir',
    });
  }
}

