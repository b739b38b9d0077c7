import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatSize, parseSize, readSandboxConfig, sandboxConfig } from './config.js';
import { sandboxConfigFromFlags } from './flags.js';

describe('sandbox config', () => {
  it('reads sizes as people write them', () => {
    expect(parseSize('512m')).toBe(512 * 1024 * 1024);
    expect(parseSize('1g')).toBe(1024 ** 3);
    expect(parseSize('1.5GiB')).toBe(1.5 * 1024 ** 3);
    expect(parseSize('300k')).toBe(300 * 1024);
    expect(() => parseSize('lots')).toThrow('"lots" is not a size; write e.g. 512m or 1g');
    expect(formatSize(1024 ** 3)).toBe('1 GiB');
    expect(formatSize(640 * 1024 * 1024)).toBe('640 MiB');
  });

  it('runs the kernel from this installation: its packages read-only, never the sources', () => {
    const c = sandboxConfig({ stateDir: '/tmp/x' });
    expect(c.runtime.some((p) => p.endsWith('node_modules'))).toBe(true);
    expect(c.runtime.some((p) => p.endsWith(`kernel${path.sep}dist`))).toBe(true);
    expect(c.runtime.some((p) => p.endsWith('src'))).toBe(false);
    expect(c.command[1]).toBe('--max-old-space-size=512');
  });

  it('takes the install flags, and refuses bad ones with the flag named', () => {
    const c = sandboxConfigFromFlags({ stateDir: '/s', mount: ['lessons/data=/d'], workdir: ['lessons'], memory: '2g', processes: '64', uids: '70000-70010' });
    expect(c).toMatchObject({ stateDir: '/s', mounts: { 'lessons/data': '/d' }, workdirs: ['lessons'], uids: [70000, 70010] });
    expect(c.limits.memoryBytes).toBe(2 * 1024 ** 3);
    expect(c.limits.processes).toBe(64);
    expect(() => sandboxConfigFromFlags({ mount: ['../x=/d'] })).toThrow('<at> must be a path inside the kernel home');
    expect(() => sandboxConfigFromFlags({ uids: '0-10' })).toThrow('--uids takes <first>-<last>');
    expect(() => sandboxConfigFromFlags({ cpus: 'many' })).toThrow('--cpus must be a positive number');
  });

  it('names every problem of a damaged config file', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'odibi-sandbox-'));
    const file = path.join(dir, 'sandbox.json');
    writeFileSync(file, JSON.stringify({ stateDir: 'relative', uids: [0, 1], mounts: { '/abs': 'rel' }, workdirs: ['a/b'], runtime: ['x'], command: [], limits: { memoryBytes: -1 } }));
    expect(() => readSandboxConfig(file)).toThrow(/stateDir must be an absolute path; uids must be .*; mount "\/abs" must be a relative path inside the home; mount "\/abs" must come from an absolute path; workdirs must be folder names; runtime must be absolute paths; command must be the kernel command; limits.memoryBytes must be a positive number/);
    writeFileSync(file, '{');
    expect(() => readSandboxConfig(file)).toThrow(/cannot read the sandbox config .*: .*write it again with `odibi-kernel install --sandbox`/);
  });
});
