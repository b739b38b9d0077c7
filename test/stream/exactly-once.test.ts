/**
 * Exactly-once under crashes, with real processes: `odibi stream` is SIGKILLed at seeded random
 * moments (at least 20 times, some right after a batch starts) while CSV files keep arriving,
 * and restarted each time. At the end the sink, read with DuckDB over all its part files, must
 * equal the same SQL run as one batch over all the inputs: no row lost, none duplicated.
 */
import { mkdir, readdir } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { odibi } from '../helpers/cli.js';
import { tempDir, writePipeline } from '../helpers/project.js';
import { startStream, streamCrashTest } from '../helpers/stream-crash.js';

const KILLS = 22;

describe('odibi stream: exactly-once under SIGKILL', () => {
  it(`survives ${KILLS} kills at random moments while files arrive, with no row lost or duplicated`, async () => {
    const dir = await tempDir('odibi-crash-');
    const summary = await streamCrashTest({
      dir, kills: KILLS, files: 60, rowsPerFile: 40, sink: 'out/clean',
      parts: async () => ({ dir: path.join(dir, 'out/clean'), names: await readdir(path.join(dir, 'out/clean')) }),
    });
    console.log(`crash test: ${summary}`);
  }, 240_000);

  it('refuses a second process on the same stream while the first runs', async () => {
    const dir = await tempDir('odibi-lock-');
    await mkdir(path.join(dir, 'in'));
    await writePipeline(dir, [
      { layer: 'ingest', name: 'readings', value: 'in', params: { stream: { mode: 'file_watch', pattern: '*.csv' } }, outputs: { data: 'raw' } },
      { layer: 'store', name: 'sink', value: 'out', params: { mode: 'append' }, inputs: { data: 'raw' } },
    ]);
    const first = startStream(dir);
    expect(await first.waitFor((l) => l.includes('"stream_start"'), 15_000)).toBe(true);
    const second = await odibi(['stream', 'pipeline.json'], { cwd: dir });
    expect(second.code).toBe(1);
    expect(second.stderr).toMatch(/already running \(process \d+/);
    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);
  }, 60_000);
});
