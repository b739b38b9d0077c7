import { mkdir, mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Exchange } from './exchange.js';

const dirs: string[] = [];
afterEach(async () => Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true }))));

describe('a local exchange', () => {
  it('keeps each dataset of a run in its own file, whole, and clears the run', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'odibi-exchange-'));
    dirs.push(dir);
    const ex = new Exchange(dir, path.join(dir, 'cache'));
    // Keys are free text: two that differ only in characters a file name cannot hold stay apart.
    expect(ex.where('r1', 'a/b')).not.toBe(ex.where('r1', 'a_b'));
    await ex.put('r1', 'a/b', (file) => writeFile(file, 'x'), dir);
    expect(await ex.get('r1', 'a/b')).toBe(ex.where('r1', 'a/b'));
    await expect(ex.put('r1', 'bad', async () => {
      throw new Error('COPY failed');
    }, dir)).rejects.toThrow('COPY failed');
    expect(await readdir(path.join(dir, 'r1'))).toHaveLength(1);
    await ex.clear('r1');
    expect(await readdir(dir)).toEqual([]);
  });

  it('sweeps the folders of runs untouched for a day, not a live one', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'odibi-exchange-'));
    dirs.push(dir);
    await mkdir(path.join(dir, 'dead'));
    await mkdir(path.join(dir, 'live'));
    const old = new Date(Date.now() - 25 * 3600_000);
    await utimes(path.join(dir, 'dead'), old, old);
    expect(await new Exchange(dir, dir).sweep()).toEqual(['dead']);
    expect(await readdir(dir)).toEqual(['live']);
  });
});
