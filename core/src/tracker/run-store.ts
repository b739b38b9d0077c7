/** Run records in the state dir: `runs/<run-id>.json`, each written whole (a local folder or a store). */
import { OdibiError } from '../errors.js';
import { stateDirAt, type StateDir } from '../state/state-dir.js';
import type { RunRecord } from './run-record.js';

export class RunStore {
  readonly state: StateDir;

  constructor(stateDir: string | StateDir) {
    this.state = stateDirAt(stateDir);
  }

  get runsDir(): string {
    return this.state.where('runs');
  }

  pathOf(runId: string): string {
    return this.state.where(`runs/${runId}.json`);
  }

  async save(record: RunRecord): Promise<void> {
    await this.state.write(`runs/${record.runId}.json`, `${JSON.stringify(record, null, 2)}\n`);
  }

  async remove(runId: string): Promise<void> {
    await this.state.remove(`runs/${runId}.json`);
  }

  /** Every run, newest first. */
  async list(): Promise<RunRecord[]> {
    const files = (await this.state.list('runs')).filter((f) => f.endsWith('.json'));
    const records: (RunRecord | undefined)[] = [];
    // A few at a time: on a store each is a request.
    for (let i = 0; i < files.length; i += 16) {
      records.push(...await Promise.all(files.slice(i, i + 16).map(async (f) => {
        try {
          const text = await this.state.read(`runs/${f}`);
          return text === undefined ? undefined : JSON.parse(text) as RunRecord;
        } catch {
          return undefined;
        }
      })));
    }
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
