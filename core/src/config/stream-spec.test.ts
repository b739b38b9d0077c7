import { describe, expect, it } from 'vitest';
import { validatePipeline } from '../load/pipeline.js';
import { ConfigError } from '../errors.js';
import { parseDuration } from '../shared/duration.js';
import { parseStreamSpec } from './stream-spec.js';

const ingest = (stream: unknown) => ({ layer: 'ingest' as const, params: { stream } });

describe('stream specs', () => {
  it('reads the four modes with their defaults', () => {
    expect(parseStreamSpec(ingest({ mode: 'file_watch', pattern: '*.csv' })).spec).toEqual({ mode: 'file_watch', pattern: '*.csv', settleMs: 0 });
    expect(parseStreamSpec(ingest({ mode: 'file_watch', max_files: 10 })).spec).toEqual({ mode: 'file_watch', pattern: '*', settleMs: 0, maxFiles: 10 });
    expect(parseStreamSpec(ingest({ mode: 'incremental', watermark_column: 'ts', lateness: '10m' })).spec).toEqual({ mode: 'incremental', watermarkColumn: 'ts', latenessMs: 600_000 });
    expect(parseStreamSpec(ingest({ mode: 'interval', every: '30s' })).spec).toEqual({ mode: 'interval', everyMs: 30_000 });
    expect(parseStreamSpec(ingest({ mode: 'event' })).spec).toEqual({ mode: 'event', port: 0, path: '/events' });
  });

  it('explains a bad spec', () => {
    expect(parseStreamSpec(ingest({ mode: 'tail' })).problems[0].message).toMatch('mode must be one of file_watch, incremental, interval, event');
    const p = parseStreamSpec(ingest({ mode: 'interval', every: 'soon' })).problems[0];
    expect(p.message).toMatch(`params.stream.every: every 'soon' is not a duration`);
    expect(p.hint).toMatch('"every": "30s"');
    expect(parseStreamSpec(ingest({ mode: 'incremental' })).problems[0].message).toMatch('params.stream.watermark_column');
    expect(parseStreamSpec({ layer: 'store', params: { stream: { mode: 'event' } } }).problems[0].message).toMatch('only for ingest steps');
  });

  it('is checked by validation, with the step and line', () => {
    try {
      validatePipeline({ file: '/p/pipeline.json', steps: [{ origin: { file: '/p/pipeline.json', line: 4 }, fields: { layer: 'ingest', name: 'r', value: 'in', params: { stream: { mode: 'file_watch', settle_ms: 'long' } }, outputs: { data: 'x' } } }] });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).problems[0]).toMatchObject({ step: 'r', line: 4, message: expect.stringContaining("settle_ms 'long' is not a duration") });
    }
  });

  it('lets an event step go without a value', () => {
    const v = validatePipeline({ file: '/p/p.json', steps: [{ origin: { file: '/p/p.json' }, fields: { layer: 'ingest', name: 'e', params: { stream: { mode: 'event', port: 8787 } }, outputs: { data: 'x' } } }] });
    expect(v.pipeline.steps[0].value).toBe('');
  });

  it('parses durations', () => {
    expect([parseDuration('500ms'), parseDuration('2h'), parseDuration('7d'), parseDuration(250), parseDuration('1.5s')]).toEqual([500, 7_200_000, 604_800_000, 250, 1500]);
    expect(() => parseDuration('-1s')).toThrow('not a duration');
  });
});
