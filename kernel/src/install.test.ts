import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { installKernel } from './install.js';

const dirs: string[] = [];
afterEach(async () => {
  delete process.env.XDG_DATA_HOME;
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

async function temp(): Promise<string> {
  const d = await mkdtemp(path.join(os.tmpdir(), 'odibi-install-'));
  dirs.push(d);
  return d;
}

describe('installKernel', () => {
  it('writes the odibi kernelspec under --prefix with absolute paths', async () => {
    const prefix = await temp();
    const dir = await installKernel({ prefix });
    expect(dir).toBe(path.join(prefix, 'share/jupyter/kernels/odibi'));
    const spec = JSON.parse(await readFile(path.join(dir, 'kernel.json'), 'utf8'));
    expect(spec).toMatchObject({ display_name: 'ODIBI (TypeScript)', language: 'typescript', interrupt_mode: 'signal' });
    expect(spec.argv[0]).toBe(process.execPath);
    expect(path.isAbsolute(spec.argv[1])).toBe(true);
    expect(spec.argv.slice(2)).toEqual(['start', '{connection_file}']);
  });

  it('installs per user (the default) into the XDG data folder', async () => {
    process.env.XDG_DATA_HOME = await temp();
    const dir = await installKernel({ user: true });
    expect(dir).toBe(path.join(process.env.XDG_DATA_HOME, 'jupyter/kernels/odibi'));
    expect(JSON.parse(await readFile(path.join(dir, 'kernel.json'), 'utf8')).display_name).toBe('ODIBI (TypeScript)');
  });
});
