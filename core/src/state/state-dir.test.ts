import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { stateDirAt } from './state-dir.js';

const dirs: string[] = [];
afterEach(async () => Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true }))));

describe('a local state dir', () => {
  it('creates an entry only once, leaves no temporary file, and lists and removes entries', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'odibi-state-'));
    dirs.push(dir);
    const state = stateDirAt(dir);
    expect(await state.read('logs/1.json')).toBeUndefined();
    expect(await state.create('logs/1.json', 'first')).toBe(true);
    expect(await state.create('logs/1.json', 'second')).toBe(false);
    expect(await state.read('logs/1.json')).toBe('first');
    await state.write('logs/2.json', 'x'.repeat(100_000));
    await state.write('logs/1.json', 'replaced');
    expect(await state.read('logs/1.json')).toBe('replaced');
    expect((await state.read('logs/2.json'))?.length).toBe(100_000);
    expect((await state.list('logs')).sort()).toEqual(['1.json', '2.json']);
    expect(await readdir(path.join(dir, 'logs'))).toHaveLength(2);
    await state.remove('logs/1.json');
    expect(await state.list('logs')).toEqual(['2.json']);
    await state.removeTree('logs');
    expect(await state.list('logs')).toEqual([]);
    expect(state.cacheDir).toBe(path.join(dir, 'cache'));
  });

  it('keeps caches of a state dir on a store local, one folder per URI', () => {
    const a = stateDirAt('s3://ops/odibi');
    expect(a.local).toBeUndefined();
    expect(a.where('runs/x.json')).toBe('s3://ops/odibi/runs/x.json');
    expect(path.isAbsolute(a.cacheDir)).toBe(true);
    expect(stateDirAt('s3://ops/odibi/').cacheDir).toBe(a.cacheDir);
    expect(stateDirAt('s3://ops/other').cacheDir).not.toBe(a.cacheDir);
  });
});
