/**
 * `npx odibi` and `npx odibi-kernel` work from the repository root as the README says: their bin
 * files are in the repository, so `npm ci` links them in a fresh clone before anything is built.
 */
import { execFile } from 'node:child_process';
import { lstat, realpath } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { REPO } from '../helpers/cli.js';

const run = promisify(execFile);

describe('the commands a fresh clone gets', () => {
  it('links odibi and odibi-kernel to files kept in the repository', async () => {
    for (const [bin, target] of [['odibi', 'core/bin/odibi.js'], ['odibi-kernel', 'kernel/bin/odibi-kernel.js']]) {
      const link = path.join(REPO, 'node_modules/.bin', bin);
      expect((await lstat(link)).isSymbolicLink()).toBe(true);
      expect(await realpath(link)).toBe(path.join(REPO, target));
    }
  });

  it('runs them with npx from the repository root', async () => {
    expect((await run('npx', ['odibi', '--version'], { cwd: REPO })).stdout.trim()).toBe('0.1.0');
    expect((await run('npx', ['odibi-kernel', '--help'], { cwd: REPO })).stdout).toMatch(/install \[options\]/);
  });
});
