/**
 * Real message brokers for stream-source and distributed tests, from Debian (`scripts/setup.sh
 * --system` installs them): `redis-server` (Redis 7: Streams, BullMQ) and `nats-server -js` (NATS
 * 2.9 with JetStream), each on a free 127.0.0.1 port with its data in a temp folder, run and
 * cleaned up as every test server is (server-process.ts).
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { startServerProcess } from './server-process.js';

export interface BrokerServer {
  url: string;
  port: number;
  stop(): Promise<void>;
}

function binary(name: string): string {
  for (const dir of ['/usr/bin', '/usr/sbin', '/usr/local/bin']) if (existsSync(path.join(dir, name))) return path.join(dir, name);
  throw new Error(`${name} is not installed: run \`bash scripts/setup.sh --system\` (npm test does this)`);
}

export async function startRedis(): Promise<BrokerServer> {
  const bin = binary('redis-server');
  const s = await startServerProcess('redis-server', (port, dir) => [bin, '--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir]);
  return { url: `redis://127.0.0.1:${s.port}`, port: s.port, stop: s.stop };
}

export async function startNats(): Promise<BrokerServer> {
  const bin = binary('nats-server');
  const s = await startServerProcess('nats-server', (port, dir) => [bin, '-js', '-a', '127.0.0.1', '-p', String(port), '-sd', dir]);
  return { url: `nats://127.0.0.1:${s.port}`, port: s.port, stop: s.stop };
}
