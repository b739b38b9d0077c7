import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { stateDirAt } from '../state/state-dir.js';
import { BatchLog, type CommitEntry, type OffsetsEntry } from './batch-log.js';

const dirs: string[] = [];
afterEach(async () => Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true }))));

const offsets = (batchId: number): OffsetsEntry => ({ version: 1, batchId, plannedAt: '', sources: {} });
const commit = (batchId: number): CommitEntry => ({ version: 1, batchId, committedAt: '', runId: `run-${batchId}`, rowsIn: 0, rowsOut: 0, durationMs: 0, state: { n: batchId } });

describe('BatchLog', () => {
  it('recovers the last commit and the batch planned after it', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'odibi-log-'));
    dirs.push(dir);
    const log = new BatchLog(stateDirAt(dir), 'stream');
    expect(await log.recover()).toEqual({});
    for (const id of [0, 1, 2]) await log.writeOffsets(offsets(id));
    for (const id of [0, 1]) await log.writeCommit(commit(id));
    const r = await log.recover();
    expect(r.commit?.state).toEqual({ n: 1 });
    expect(r.pending?.batchId).toBe(2);
  });

  it('keeps the newest batches and gives back the run ids of the commits it drops', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'odibi-log-'));
    dirs.push(dir);
    const log = new BatchLog(stateDirAt(dir), 'stream');
    for (const id of [0, 1, 2, 3, 4]) {
      await log.writeOffsets(offsets(id));
      await log.writeCommit(commit(id));
    }
    expect(await log.purge(2)).toEqual(['run-0', 'run-1', 'run-2']);
    expect(await readdir(log.commitsDir)).toEqual(['0000000003.json', '0000000004.json']);
    expect(await readdir(log.offsetsDir)).toEqual(['0000000003.json', '0000000004.json']);
    expect((await log.recover()).commit?.batchId).toBe(4);
  });
});
