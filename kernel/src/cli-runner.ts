/**
 * `odibi.cli(...args)` in a TypeScript cell: the same `odibi` command a terminal runs (the core's
 * CLI, on this Node), in the notebook's folder, with its output returned rather than printed.
 * NO_COLOR keeps the text plain.
 */
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);
const CLI = path.join(path.dirname(require.resolve('@odibi/core/package.json')), 'bin/odibi.js');

export function runCli(cwd: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args.map(String)], { cwd, env: { ...process.env, NO_COLOR: '1' }, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}
