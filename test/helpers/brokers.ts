/**
 * Real message brokers for stream-source tests, from Debian (`scripts/setup.sh --system` installs
 * them): `redis-server` (Redis 7, Streams) and `nats-server -js` (NATS 2.9 with JetStream), each on
 * a free 127.0.0.1 port with its data in a temp folder. Like the other servers, each runs in its own
 * process group under `setpriv --pdeathsig KILL`, and a watcher (`reaper.ts`) kills it and removes
 * its folder on `stop()` or when the test process dies.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freeServerPort, isListening } from './ports.js';
import { startReaper } from './reaper.js';

export interface BrokerServer {
  url: string;
  port: number;
  stop(): Promise<void>;
}

function binary(name: string): string {
  for (const dir of ['/usr/bin', '/usr/sbin', '/usr/local/bin']) if (existsSync(path.join(dir, name))) return path.join(dir, name);
  throw new Error(`${name} is not installed: run \`bash scripts/setup.sh --system\` (npm test does this)`);
}

async function startServer(name: string, args: (port: number, dir: string) => string[], url: (port: number) => string): Promise<BrokerServer> {
  const bin = binary(name);
  const dir = mkdtempSync(path.join(os.tmpdir(), `odibi-${name}-`));
  const port = await freeServerPort();
  const child = spawn('setpriv', ['--pdeathsig', 'KILL', '--', bin, ...args(port, dir)], { cwd: dir, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const reaper = startReaper(dir);
  reaper.track(child.pid);
  let log = '';
  const keep = (d: Buffer) => (log = (log + d.toString()).slice(-4000));
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let stopped: Promise<void> | undefined;
  const stop = () =>
    (stopped ??= (async () => {
      await reaper.cleanup();
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
    })());
  const deadline = Date.now() + 20_000;
  while (!isListening(port)) {
    if (child.exitCode !== null || child.signalCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`${name} did not start on 127.0.0.1:${port}\n--- output (tail)\n${log}`);
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  return { url: url(port), port, stop };
}

export function startRedis(): Promise<BrokerServer> {
  return startServer('redis-server', (port, dir) => ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], (port) => `redis://127.0.0.1:${port}`);
}

export function startNats(): Promise<BrokerServer> {
  return startServer('nats-server', (port, dir) => ['-js', '-a', '127.0.0.1', '-p', String(port), '-sd', dir], (port) => `nats://127.0.0.1:${port}`);
}
