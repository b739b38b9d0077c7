/** Temporary project folders: a copy of the IoT example, or a pipeline written by the test. */
import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll } from 'vitest';
import { REPO } from './cli.js';

const made: string[] = [];
afterAll(async () => {
  await Promise.all(made.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

/**
 * A temp folder, removed after the file's tests. `inRepo` places it under test/.tmp so modules
 * written there resolve packages (apache-arrow) from the repo's node_modules, as in a user project.
 */
export async function tempDir(prefix = 'odibi-test-', inRepo = false): Promise<string> {
  const parent = inRepo ? path.join(REPO, 'test/.tmp') : os.tmpdir();
  await mkdir(parent, { recursive: true });
  const dir = await mkdtemp(path.join(parent, prefix));
  made.push(dir);
  return dir;
}

/** A fresh copy of examples/iot (configs, data, transforms) with no outputs. */
export async function copyExample(): Promise<string> {
  const dir = await tempDir('odibi-iot-');
  await cp(path.join(REPO, 'examples/iot'), dir, {
    recursive: true,
    filter: (src) => !/[\\/](out|\.odibi)([\\/]|$)/.test(path.relative(path.join(REPO, 'examples/iot'), src) ? `/${path.relative(path.join(REPO, 'examples/iot'), src)}` : ''),
  });
  return dir;
}

export async function writePipeline(dir: string, steps: unknown[], file = 'pipeline.json'): Promise<string> {
  const p = path.join(dir, file);
  await writeFile(p, JSON.stringify({ name: 'test', steps }, null, 2));
  return p;
}
