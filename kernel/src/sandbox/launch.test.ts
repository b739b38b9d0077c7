import { describe, expect, it } from 'vitest';
import { findHierarchy } from './cgroup.js';
import { sandboxHint } from './hints.js';
import { explainExit, kernelIdOf } from './launch.js';

const GiB = 1024 ** 3;

describe('the launcher', () => {
  it('finds the kernel id in Jupyter\'s connection file name', () => {
    expect(kernelIdOf('/run/jupyter/kernel-5c1e-42.json')).toBe('5c1e-42');
    expect(kernelIdOf('/tmp/other file.json')).toBe('other_file');
  });

  it('says why a kernel stopped: memory first, then its exit', () => {
    expect(explainExit(null, 'SIGKILL', 1, GiB)).toMatchObject({ reason: 'memory', message: 'it used more than its 1 GiB of memory' });
    expect(explainExit(0, null, 0, GiB)).toMatchObject({ reason: 'stopped' });
    expect(explainExit(1, null, 0, GiB)).toMatchObject({ reason: 'crash', message: 'it stopped with exit code 1' });
    expect(explainExit(null, 'SIGSEGV', 0, GiB)).toMatchObject({ reason: 'crash', message: 'it was stopped by SIGSEGV' });
  });

  it('finds cgroup v1 controllers or a v2 hierarchy from /proc/self/mounts', () => {
    const v1 = 'cgroup /sys/fs/cgroup/memory cgroup rw,relatime,memory 0 0\ncgroup /sys/fs/cgroup/pids cgroup rw,pids 0 0\ncgroup /sys/fs/cgroup/cpu,cpuacct cgroup rw,cpu,cpuacct 0 0\n';
    expect(findHierarchy(v1)).toEqual({ version: 1, roots: { memory: '/sys/fs/cgroup/memory', pids: '/sys/fs/cgroup/pids', cpu: '/sys/fs/cgroup/cpu,cpuacct', cpuacct: '/sys/fs/cgroup/cpu,cpuacct' } });
    expect(findHierarchy('proc /proc proc rw 0 0\n')).toBeUndefined();
  });
});

describe('error hints inside a sandbox', () => {
  const facts = { memoryBytes: GiB, diskBytes: 128 * 1024 * 1024, processes: 256, duckdbMemoryBytes: 256 * 1024 * 1024, home: '/home/learner' };
  it('names the limit an error ran into', () => {
    expect(sandboxHint("ENOSPC: no space left on device, write", facts)).toMatch(/holds at most 128 MiB/);
    expect(sandboxHint('IO Error: Could not write file "out/x.parquet": No space left on device', facts)).toMatch(/holds at most 128 MiB/);
    expect(sandboxHint('TypeError: fetch failed', facts)).toMatch(/no network/);
    expect(sandboxHint('Error: listen EACCES: permission denied 0.0.0.0:8080', facts)).toMatch(/no network/);
    expect(sandboxHint('Out of Memory Error: could not allocate block of size 256.0 KiB', facts)).toMatch(/DuckDB may use 256 MiB/);
    expect(sandboxHint('Error: spawn EAGAIN', facts)).toMatch(/at most 256 processes/);
    expect(sandboxHint('Error: something else', facts)).toBeUndefined();
    expect(sandboxHint('ENOSPC', undefined)).toBeUndefined();
  });
});
