/** Retry and timeout policy of a step, read from its params in one place. */
import type { StepConfig } from '../config/model.js';

export interface StepPolicy {
  /** Extra attempts after the first. */
  retries: number;
  /** Delay before the first retry; doubles for each further one. */
  retryDelayMs: number;
  /** 0 = no timeout. */
  timeoutMs: number;
}

function nonNegative(v: unknown, fallback: number): number {
  const n = typeof v === 'string' ? Number(v) : v;
  return typeof n === 'number' && Number.isFinite(n) && n >= 0 ? n : fallback;
}

export function policyOf(step: StepConfig, defaults: { timeoutMs?: number } = {}): StepPolicy {
  return {
    retries: Math.floor(nonNegative(step.params.retries, 0)),
    retryDelayMs: nonNegative(step.params.retry_delay_ms, 1000),
    timeoutMs: nonNegative(step.params.timeout_ms, defaults.timeoutMs ?? 0),
  };
}

/** Exponential backoff: delay, 2·delay, 4·delay, ... for retry 1, 2, 3, ... */
export function backoffMs(policy: StepPolicy, retryNumber: number): number {
  return policy.retryDelayMs * 2 ** (retryNumber - 1);
}
