import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { claimUid, releaseUid } from './uids.js';
import { kernelDir, sweepKernelDirs, writeKernelStatus } from './status.js';

const DEAD = 2 ** 22 + 7;

describe('uids for kernels', () => {
  it('gives each live kernel its own uid, takes back those of launchers that are gone, and says when none is left', async () => {
    const state = mkdtempSync(path.join(os.tmpdir(), 'odibi-uids-'));
    expect(await claimUid(state, [100, 102], process.pid)).toBe(100);
    expect(await claimUid(state, [100, 102], process.ppid)).toBe(101);
    writeFileSync(path.join(state, 'uids', '102'), String(DEAD));
    expect(await claimUid(state, [100, 102], process.pid)).toBe(102);
    await expect(claimUid(state, [100, 102], process.pid)).rejects.toThrow('all 3 sandbox uids (100-102) are in use');
    releaseUid(state, 101, process.pid);
    expect(readdirSync(path.join(state, 'uids')).sort()).toEqual(['100', '101', '102']);
    releaseUid(state, 101, process.ppid);
    expect(await claimUid(state, [100, 102], process.pid)).toBe(101);
  });

  it('sweeps the state of kernels whose launcher is long gone, never a live one\'s', () => {
    const state = mkdtempSync(path.join(os.tmpdir(), 'odibi-kstate-'));
    writeKernelStatus(state, 'gone', { launcherPid: DEAD, uid: 1, startedAt: '' });
    writeKernelStatus(state, 'live', { launcherPid: process.pid, uid: 2, startedAt: '' });
    sweepKernelDirs(state, 60_000, Date.now());
    expect(readdirSync(path.join(state, 'kernels')).sort()).toEqual(['gone', 'live']);
    sweepKernelDirs(state, 60_000, Date.now() + 120_000);
    expect(readdirSync(path.join(state, 'kernels'))).toEqual(['live']);
    expect(() => kernelDir(state, '../etc')).toThrow('is not a kernel id');
  });
});
