/** `odibi worker`: runs pipeline steps that `odibi run --executor bullmq` queues, until SIGTERM or Ctrl-C. */
import { startWorker } from '../../distributed/worker.js';
import { redisUrlOf } from '../../distributed/redis.js';
import { EXIT, reportError, UsageError } from '../errors.js';

export interface WorkerCommandOptions {
  redis?: string;
  concurrency?: number;
  queue?: string;
}

export async function workerCommand(o: WorkerCommandOptions): Promise<number> {
  try {
    const redis = redisUrlOf(o.redis);
    if (!redis) throw new UsageError('odibi worker needs a Redis URL', { hint: 'pass --redis redis://host:6379 or set ODIBI_REDIS_URL' });
    const worker = await startWorker({ redis, queue: o.queue, concurrency: o.concurrency, log: (line) => process.stdout.write(`${line}\n`) });
    await new Promise<void>((resolve) => {
      // The first signal finishes the steps in progress; a second one exits at once.
      const stop = () => {
        process.stdout.write('stopping: finishing the steps in progress (again to exit now)\n');
        process.once('SIGINT', () => process.exit(EXIT.interrupted));
        process.once('SIGTERM', () => process.exit(EXIT.interrupted));
        void worker.close().then(resolve, resolve);
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
    return EXIT.ok;
  } catch (err) {
    return reportError(err, false);
  }
}
