/** `odibi run <config>`: runs a pipeline with live progress, or JSON events with --json. */
import path from 'node:path';
import { checkConfig } from '../../check/check-config.js';
import { ConfigError } from '../../errors.js';
import { createPlan } from '../../graph/plan.js';
import { fusionFor, runPipeline } from '../../run.js';
import { stateDirAt } from '../../state/state-dir.js';
import { explainText, explanation } from '../explain.js';
import type { RunEvent } from '../../exec/events.js';
import { EXIT, reportError } from '../errors.js';
import { Progress } from '../progress.js';
import { painter } from '../format.js';
import { settingsOf } from '../options.js';

export interface RunCommandOptions {
  workers?: number;
  only?: string[];
  skip?: string[];
  keepGoing?: boolean;
  stateDir?: string;
  project?: string;
  json?: boolean;
  timeout?: number;
  checkpoint?: boolean;
  resume?: boolean;
  /** commander's `--no-fuse`: false when given. */
  fuse?: boolean;
  explain?: boolean;
  executor?: 'local' | 'bullmq';
  redis?: string;
  queue?: string;
  exchange?: string;
  /** --var, --vars, --profile (cli/options.ts settingsOf). */
  var?: Record<string, string>;
  vars?: string;
  profile?: string;
}

export async function runCommand(config: string, o: RunCommandOptions): Promise<number> {
  try {
    // The same dry run as `odibi validate`, before anything runs: every problem at once, exit 2.
    const settings = await settingsOf(o);
    const { pipeline, warnings, problems } = await checkConfig(config, { project: o.project, ...settings, only: o.only, skip: o.skip, cacheDir: cacheOf(o.stateDir, config, 'typecheck'), dryRunCache: cacheOf(o.stateDir, config, 'dry-run'), objectCacheDir: cacheOf(o.stateDir, config, 'objects') });
    if (problems.length) throw new ConfigError(problems, pipeline.file);
    if (o.explain) {
      const plan = createPlan(pipeline, { only: o.only, skip: o.skip });
      const fusion = fusionFor(plan, { fuse: o.fuse, checkpoint: o.checkpoint, resume: o.resume });
      process.stdout.write(o.json ? `${JSON.stringify(explanation(plan, fusion), null, 2)}\n` : explainText(plan, fusion, process.stdout));
      return EXIT.ok;
    }
    const hook = o.json ? (e: RunEvent) => { process.stdout.write(`${JSON.stringify(e)}\n`); } : new Progress(process.stdout).handle;
    if (!o.json) for (const w of warnings) process.stderr.write(`${painter(process.stderr)('yellow', 'warning:')} ${w.step ? `step '${w.step}': ` : ''}${w.message}\n`);
    // First Ctrl-C: stop the running steps and roll the outputs back; a second one exits at once.
    const cancel = new AbortController();
    const onSigint = () => {
      process.stderr.write('\ninterrupted: stopping running steps and rolling back outputs (Ctrl-C again to exit now)\n');
      cancel.abort();
      process.once('SIGINT', () => process.exit(EXIT.interrupted));
    };
    process.once('SIGINT', onSigint);
    const result = await runPipeline(pipeline, {
      workers: o.workers, only: o.only, skip: o.skip, keepGoing: o.keepGoing, stateDir: o.stateDir,
      executor: o.executor, redis: o.redis, queue: o.queue, exchange: o.exchange, project: o.project, ...settings,
      timeoutMs: o.timeout, hooks: [hook], signal: cancel.signal, checkpoint: o.checkpoint, resume: o.resume, check: false, fuse: o.fuse,
    }).finally(() => process.removeListener('SIGINT', onSigint));
    if (!o.json && result.recordPath) process.stdout.write(`${painter(process.stdout)('dim', `Run record: ${result.recordPath}`)}\n`);
    if (cancel.signal.aborted) return EXIT.interrupted;
    return result.status === 'success' ? EXIT.ok : EXIT.failed;
  } catch (err) {
    return reportError(err, !!o.json);
  }
}

/** Type-check results and passed dry runs are kept in the state dir's caches (always local). */
function cacheOf(stateDir: string | undefined, config: string, kind: 'typecheck' | 'dry-run' | 'objects'): string {
  return path.join(stateDirAt(stateDir ?? path.join(path.dirname(path.resolve(config)), '.odibi')).cacheDir, kind);
}
