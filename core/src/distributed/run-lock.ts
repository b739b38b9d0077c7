/**
 * One run per pipeline at a time across machines: a Redis key set only if absent, naming the run,
 * with an expiry renewed while the run lives. A coordinator that dies leaves a lock that expires
 * on its own (ODIBI_LOCK_TTL_MS, 30 s by default), so `odibi run --resume` can take over.
 */
import type { Redis } from 'ioredis';
import { OdibiError } from '../errors.js';

const RENEW = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end`;
const RELEASE = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;

export class RunLock {
  #timer?: NodeJS.Timeout;
  #lost = false;

  private constructor(private readonly redis: Redis, private readonly key: string, private readonly runId: string, ttl: number) {
    this.#timer = setInterval(() => {
      void this.redis.eval(RENEW, 1, this.key, this.runId, ttl).then((n) => {
        if (Number(n) === 0) this.#lost = true;
      }, () => undefined);
    }, Math.max(250, Math.floor(ttl / 3)));
    this.#timer.unref();
  }

  static async acquire(redis: Redis, pipeline: string, runId: string): Promise<RunLock> {
    const ttl = Math.max(1000, Number(process.env.ODIBI_LOCK_TTL_MS) || 30_000);
    const key = `odibi:run-lock:${pipeline}`;
    const ok = await redis.set(key, runId, 'PX', ttl, 'NX');
    if (ok !== 'OK') {
      const holder = await redis.get(key);
      const left = await redis.pttl(key);
      throw new OdibiError(`pipeline '${pipeline}' is already running (run ${holder ?? '?'} holds its lock in Redis for ${Math.max(0, Math.round(left / 1000))} s more)`, {
        hint: 'wait for that run to end; if its coordinator died, the lock expires on its own and `odibi run --resume` takes over',
      });
    }
    return new RunLock(redis, key, runId, ttl);
  }

  /** Whether another run took the lock (this one's renewals stopped reaching Redis for a whole ttl). */
  get lost(): boolean {
    return this.#lost;
  }

  async release(): Promise<void> {
    clearInterval(this.#timer);
    await this.redis.eval(RELEASE, 1, this.key, this.runId).catch(() => undefined);
  }
}
