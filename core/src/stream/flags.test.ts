import { describe, expect, it } from 'vitest';
import { streamFromFlags } from './flags.js';

describe('streamFromFlags', () => {
  it('reads durations with units, and a bare number in the flag\'s own unit', () => {
    expect(streamFromFlags({ untilIdle: '30', triggerInterval: '250' })).toEqual({ untilIdleMs: 30_000, triggerIntervalMs: 250 });
    expect(streamFromFlags({ untilIdle: '500ms', triggerInterval: '2s' })).toEqual({ untilIdleMs: 500, triggerIntervalMs: 2000 });
    expect(streamFromFlags({ untilIdle: 1.5 })).toEqual({ untilIdleMs: 1500 });
    expect(streamFromFlags({ maxBatches: '3', stateDir: 's' })).toEqual({ maxBatches: 3, stateDir: 's' });
  });
  it('refuses what is not a duration or a count, naming the flag', () => {
    expect(() => streamFromFlags({ untilIdle: 'soon' })).toThrow("--until-idle 'soon' is not a duration");
    expect(() => streamFromFlags({ maxBatches: '0' })).toThrow('--max-batches must be a whole number ≥ 1');
    expect(() => streamFromFlags({ triggerInterval: '0' })).toThrow('--trigger-interval must be above 0');
  });
});
