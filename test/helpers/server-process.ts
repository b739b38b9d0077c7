/**
 * A real server process for tests: started in its own process group under `setpriv --pdeathsig
 * KILL` (it dies with the test process), with a watcher (`reaper.ts`) that kills it and removes its
 * temp folder on `stop()` or when the test process dies. Ready once its port is bound (read from
 * /proc, without connecting: see ports.ts) and, if given, once `ready()` answers.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freeServerPort, isListening } from './ports.js';
import { startReaper } from './reaper.js';

export interface ServerProcess {
  port: number;
  /** Its temp folder (removed on stop). */
  dir: string;
  stop(): Promise<void>;
}

export async function startServerProcess(
  name: string, argv: (port: number, dir: string) => string[], ready?: (port: number) => Promise<void>, timeoutMs = 30_000,
): Promise<ServerProcess> {
  const dir = mkdtempSync(path.join(os.tmpdir(), `odibi-${name}-`));
  const port = await freeServerPort();
  const child = spawn('setpriv', ['--pdeathsig', 'KILL', '--', ...argv(port, dir)], { cwd: dir, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const reaper = startReaper(dir);
  reaper.track(child.pid);
  let log = '';
  const keep = (d: Buffer) => (log = (log + d.toString()).slice(-4000));
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  child.once('error', (e) => keep(Buffer.from(String(e))));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let stopped: Promise<void> | undefined;
  const stop = () =>
    (stopped ??= (async () => {
      await reaper.cleanup();
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
    })());
  const deadline = Date.now() + timeoutMs;
  let lastError = '';
  for (;;) {
    if (isListening(port)) {
      try {
        await ready?.(port);
        break;
      } catch (e) {
        lastError = `${(e as Error).name}: ${(e as Error).message}`;
      }
    }
    if (child.exitCode !== null || child.signalCode !== null || Date.now() > deadline) {
      const why = child.exitCode !== null || child.signalCode !== null ? `exited (${child.exitCode ?? child.signalCode})` : `did not answer within ${timeoutMs / 1000} s`;
      await stop();
      throw new Error(`${name} ${why} on 127.0.0.1:${port}\n${lastError}\n--- output (tail)\n${log}`);
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  return { port, dir, stop };
}
