/** `odibi worker` processes for tests of the distributed executor, killed after each test. */
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
