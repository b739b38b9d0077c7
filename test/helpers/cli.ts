/** Runs the built `odibi` CLI as a user would, in its own process. */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll } from 'vitest';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
// The file `npm install` links as `odibi`: the bundled CLI users run.
export const CLI = path.join(REPO, 'core/bin/odibi.js');

// A test that times out must not leave its CLI process running (e.g. a query that never ends).
const running = new Set<ChildProcess>();
afterAll(() => {
  for (const child of running) child.kill('SIGKILL');
});

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function odibi(args: string[], options: { cwd?: string; env?: Record<string, string> } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd: options.cwd ?? REPO,
      env: { ...process.env, NO_COLOR: '1', ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    running.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => {
      running.delete(child);
      resolve({ code: code ?? -1, stdout, stderr });
    });
  });
}

/** Parses `--json` output: one event per line. */
export function events(stdout: string): Record<string, any>[] {
  return stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
}

/** A long-running `odibi` process (a stream, a worker) whose output lines can be awaited. */
export interface CliProcess {
  child: ChildProcess;
  /** Lines of stdout so far (and of stderr, with `stderr: true`). */
  lines: string[];
  exited: Promise<number | null>;
  /** Whether a line matching `pred` appears within `ms` (false at once if the process exits first). */
  waitFor: (pred: (l: string) => boolean, ms: number) => Promise<boolean>;
}

export function startCli(args: string[], options: { cwd?: string; env?: Record<string, string>; stderr?: boolean } = {}): CliProcess {
  const child = spawn(process.execPath, [CLI, ...args], { cwd: options.cwd ?? REPO, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1', ...options.env } });
  running.add(child);
  const lines: string[] = [];
  const waiters: (() => void)[] = [];
  const collect = (stream: NodeJS.ReadableStream) => {
    let buf = '';
    stream.on('data', (d) => {
      buf += d;
      const parts = buf.split('\n');
      buf = parts.pop()!;
      lines.push(...parts);
      for (const w of waiters.splice(0)) w();
    });
  };
  collect(child.stdout!);
  if (options.stderr) collect(child.stderr!);
  else child.stderr!.on('data', () => undefined);
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => {
    running.delete(child);
    r(code);
  }));
  const waitFor = async (pred: (l: string) => boolean, ms: number) => {
    const deadline = Date.now() + ms;
    while (Date.now() < deadline) {
      if (lines.some(pred)) return true;
      await Promise.race([new Promise<void>((r) => waiters.push(r)), new Promise((r) => setTimeout(r, Math.max(1, deadline - Date.now()))), exited]);
      if (child.exitCode !== null || child.signalCode !== null) return lines.some(pred);
    }
    return false;
  };
  return { child, lines, exited, waitFor };
}
