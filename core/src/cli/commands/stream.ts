/**
 * `odibi stream <config>`: runs the pipeline as exactly-once micro-batches until stopped.
 * SIGTERM (and a first Ctrl-C) finish the batch in progress and exit 0; a second Ctrl-C exits
 * at once (the unfinished batch is replayed on the next start).
 */
import { loadPipeline } from '../../load/pipeline.js';
import type { RunEvent } from '../../exec/events.js';
import type { StreamEvent } from '../../stream/events.js';
import { streamFromFlags, type StreamFlags } from '../../stream/flags.js';
import { startStream } from '../../stream/stream.js';
import { EXIT, reportError } from '../errors.js';
import { painter } from '../format.js';
import { settingsOf } from '../options.js';
import { StreamProgress } from '../stream-progress.js';

export interface StreamCommandOptions extends StreamFlags {
  workers?: number;
  project?: string;
  json?: boolean;
  /** --var, --vars, --profile (cli/options.ts settingsOf). */
  var?: Record<string, string>;
  vars?: string;
  profile?: string;
}

export async function streamCommand(config: string, o: StreamCommandOptions): Promise<number> {
  try {
    const { pipeline, warnings } = await loadPipeline(config, { project: o.project, ...(await settingsOf(o)) });
    const json = (e: StreamEvent | RunEvent) => { process.stdout.write(`${JSON.stringify(e)}\n`); };
    const progress = o.json ? undefined : new StreamProgress(process.stdout);
    if (!o.json) for (const w of warnings) process.stderr.write(`${painter(process.stderr)('yellow', 'warning:')} ${w.step ? `step '${w.step}': ` : ''}${w.message}\n`);
    const handle = await startStream(pipeline, {
      ...streamFromFlags(o), workers: o.workers,
      onEvent: o.json ? json : progress!.handle,
      hooks: o.json ? [json] : [],
    });
    let signals = 0;
    const onSignal = (name: string) => () => {
      if (++signals > 1 && name === 'SIGINT') process.exit(EXIT.interrupted);
      if (!o.json) process.stderr.write(`\n${name}: finishing the batch in progress, then stopping${name === 'SIGINT' ? ' (Ctrl-C again to exit now)' : ''}\n`);
      void handle.stop();
    };
    const term = onSignal('SIGTERM');
    const int = onSignal('SIGINT');
    process.on('SIGTERM', term);
    process.on('SIGINT', int);
    const summary = await handle.done.finally(() => {
      process.removeListener('SIGTERM', term);
      process.removeListener('SIGINT', int);
    });
    if (summary.error) return reportError(summary.error, !!o.json);
    return EXIT.ok;
  } catch (err) {
    return reportError(err, !!o.json);
  }
}
