/** `odibi worker` processes for tests of the distributed executor, killed after each test. */
import { afterAll, afterEach, beforeAll } from 'vitest';
import { startRedis, type BrokerServer } from './brokers.js';
import { startCli, type CliProcess } from './cli.js';

export type WorkerProcess = CliProcess & { id: string };

const workers: WorkerProcess[] = [];

export async function startWorker(redis: string, args: string[] = [], env?: Record<string, string>): Promise<WorkerProcess> {
  const p = startCli(['worker', '--redis', redis, '--concurrency', '2', ...args], { stderr: true, ...(env ? { env } : {}) });
  const w: WorkerProcess = { ...p, id: `:${p.child.pid}` };
  workers.push(w);
  if (!(await w.waitFor((l) => l.includes('taking steps'), 20_000))) throw new Error(`worker did not start:\n${w.lines.join('\n')}`);
  return w;
}

export async function stopWorkers(): Promise<void> {
  for (const w of workers.splice(0)) {
    w.child.kill('SIGKILL');
    await w.exited;
  }
}

/**
 * A real redis-server for the tests of one describe block, and workers stopped after each test:
 * `redis.url` is set once the block's tests start. (Call inside `describe`.)
 */
export function redisWithWorkers(): { readonly url: string } {
  let server: BrokerServer | undefined;
  beforeAll(async () => {
    server = await startRedis();
  }, 60_000);
  afterEach(stopWorkers);
  afterAll(async () => {
    await stopWorkers();
    await server?.stop();
  });
  return {
    get url() {
      if (!server) throw new Error('redis-server is not started yet');
      return server.url;
    },
  };
}
