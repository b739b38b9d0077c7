/**
 * Redis connections for the distributed executor. BullMQ's blocking commands need
 * `maxRetriesPerRequest: null`; reconnecting gives up after about eight seconds, so a Redis that is
 * gone ends the connection and fails the run with its name instead of hanging it.
 */
import type { Redis, RedisOptions } from 'ioredis';
import { withoutCredentials } from '../shared/url.js';

export async function redisConnection(url: string, options: RedisOptions = {}): Promise<Redis> {
  const { Redis: IORedis } = await import('ioredis');
  const r = new IORedis(url, {
    maxRetriesPerRequest: null,
    connectTimeout: 5000,
    retryStrategy: (times) => (times > 12 ? null : Math.min(times * 100, 1000)),
    ...options,
  });
  r.on('error', () => undefined);
  return r;
}

/** The URL as messages show it. */
export function redisLabel(url: string): string {
  return withoutCredentials(url);
}

/** The Redis URL: the flag, else ODIBI_REDIS_URL. */
export function redisUrlOf(flag: string | undefined): string | undefined {
  return flag ?? (process.env.ODIBI_REDIS_URL || undefined);
}
