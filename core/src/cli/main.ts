#!/usr/bin/env node
/**
 * The `odibi` command. Parsing is commander's; each command lives in commands/ and returns its
 * exit code: 0 success, 1 a step failed, 2 invalid config or usage. A command's module (and with it
 * DuckDB, zod, esbuild…) is imported only when that command runs, so `--version`, `--help` and
 * light commands start as fast as Node itself.
 */
import { Command, CommanderError, Option } from 'commander';
import { EXIT, reportError } from './errors.js';
import { collect, collectVar, positiveInt } from './options.js';
import { packageVersion } from './package-root.js';

/** `--var`, `--vars` and `--profile`: what `${var:…}` and the profile (config/profiles.ts) resolve to. */
function withSettings(cmd: Command): Command {
  return cmd
    .option('--var <name=value>', 'set ${var:name} (repeatable; wins over --vars and the profile)', collectVar)
    .option('--vars <file>', 'variables from a JSON file: {"name": "value", …}')
    .option('--profile <name>', 'profile from odibi.profiles.json (default: ODIBI_PROFILE, else dev)');
}

export function buildProgram(setExit: (code: number) => void): Command {
  const program = new Command('odibi')
    .description('ODIBI: declare, validate, run and inspect data pipelines')
    .version(packageVersion())
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();

  withSettings(program.command('run'))
    .description('run a pipeline (JSON, CSV or SQLite config)')
    .argument('<config>', 'pipeline config: .json, .csv, .db/.sqlite/.sqlite3')
    .option('-w, --workers <n>', 'steps to run at once (default: four per core, at most 16)', positiveInt('--workers'))
    .option('--only <selector>', 'run only these steps: name, +name (with upstream), name+ (with downstream), layer:<layer>; repeatable or comma-separated', collect)
    .option('--skip <selector>', 'leave these steps out (same syntax as --only)', collect)
    .option('--keep-going', 'after a failure, let independent branches finish (dependents are skipped)')
    .option('--state-dir <dir>', 'where run records and checkpoints go: a folder, s3://… or az://… (default: .odibi/ beside the config)')
    .option('--project <name>', 'rows of this project only (CSV/SQLite configs)')
    .option('--timeout <ms>', 'default per-step timeout in ms (params.timeout_ms wins)', positiveInt('--timeout'))
    .option('--checkpoint', 'save each step\'s outputs (Parquet in the state dir) so a failed run can be resumed')
    .option('--resume', 'restore unchanged steps from their checkpoints; run only failed, unfinished and changed ones (saves checkpoints too)')
    .option('--no-fuse', 'store every dataset as a table (by default a dataset read by one SQL step only is a view inside that step)')
    .option('--explain', 'print the plan (levels, and which datasets are fused as views) without running it; with --json as JSON')
    .addOption(new Option('--executor <name>', 'where steps run: here, or as BullMQ jobs that `odibi worker`s take (default: local)').choices(['local', 'bullmq']))
    .option('--redis <url>', 'with --executor bullmq: the Redis URL (default: ODIBI_REDIS_URL)')
    .option('--queue <name>', 'with --executor bullmq: the queue workers take steps from (default: odibi)')
    .option('--exchange <uri>', 'with --executor bullmq: where datasets pass between workers: a shared folder, s3://… or az://… (default: the state dir\'s exchange/)')
    .option('--json', 'print one JSON event per line instead of progress')
    .action(async (config, o) => setExit(await (await import('./commands/run.js')).runCommand(config, o)));

  program.command('worker')
    .description('take pipeline steps from a BullMQ queue on Redis and run them (for `odibi run --executor bullmq`)')
    .option('--redis <url>', 'the Redis URL (default: ODIBI_REDIS_URL)')
    .option('--concurrency <n>', 'steps at once (default: the number of cores)', positiveInt('--concurrency'))
    .option('--queue <name>', 'the queue to take steps from (default: odibi)')
    .action(async (o) => setExit(await (await import('./commands/worker.js')).workerCommand(o)));

  withSettings(program.command('stream'))
    .description('run a pipeline continuously as exactly-once micro-batches (ingest steps with params.stream)')
    .argument('<config>', 'pipeline config: .json, .csv, .db/.sqlite/.sqlite3')
    .option('--state-dir <dir>', 'offsets and commits logs, the lock, snapshots and run records: a folder, s3://… or az://… (default: .odibi/ beside the config)')
    .option('--max-batches <n>', 'stop after n batches')
    .option('--until-idle <duration>', 'stop after this long without new input: 30s, 500ms, 2m (a bare number is seconds)')
    .option('--trigger-interval <duration>', 'how often to look for new input when nothing signals it: 1s, 250ms (a bare number is milliseconds; default 1000)')
    .option('-w, --workers <n>', 'steps to run at once within a batch (default: four per core, at most 16)', positiveInt('--workers'))
    .option('--project <name>', 'rows of this project only (CSV/SQLite configs)')
    .option('--json', 'print stream and run events as JSON lines instead of progress')
    .action(async (config, o) => setExit(await (await import('./commands/stream.js')).streamCommand(config, o)));

  withSettings(program.command('schedule'))
    .description('run a pipeline on a trigger: cron (timezone aware), a fixed interval, or file arrival')
    .argument('<config>', 'pipeline config: .json, .csv, .db/.sqlite/.sqlite3')
    .option('--cron <expr>', 'cron expression, e.g. "*/15 * * * *", "0 6 * * 1-5", @hourly')
    .option('--tz <timezone>', 'IANA timezone of --cron (default: the machine\'s), e.g. Europe/Paris')
    .option('--every <duration>', 'fixed interval, e.g. 30s, 5m, 1h')
    .option('--on-file <dir>', 'run when a file arrives in this folder')
    .option('--pattern <glob>', 'with --on-file: only files matching this glob, e.g. "*.csv"')
    .addOption(new Option('--overlap <policy>', 'a trigger while a run is going: skip it, or queue one run (default: skip; queue for --on-file)').choices(['skip', 'queue']))
    .addOption(new Option('--missed <policy>', 'runs missed while the scheduler was down: skip them, or run once at start (default: skip)').choices(['skip', 'run-once']))
    .option('--max-runs <n>', 'stop after n runs', positiveInt('--max-runs'))
    .option('--state-dir <dir>', 'run records and schedule state: a folder, s3://… or az://… (default: .odibi/ beside the config)')
    .option('-w, --workers <n>', 'steps to run at once (default: four per core, at most 16)', positiveInt('--workers'))
    .option('--project <name>', 'rows of this project only (CSV/SQLite configs)')
    .option('--json', 'print schedule and run events as JSON lines')
    .action(async (config, o) => setExit(await (await import('./commands/schedule.js')).scheduleCommand(config, o)));

  withSettings(program.command('validate'))
    .description('check a pipeline config and report every problem at once')
    .argument('<config>')
    .option('--project <name>', 'rows of this project only (CSV/SQLite configs)')
    .option('--json', 'machine-readable result')
    .action(async (config, o) => setExit(await (await import('./commands/validate.js')).validateCommand(config, o)));

  withSettings(program.command('check'))
    .description('run the data checks (params.checks) against what the pipeline\'s sinks already wrote, without running it (as `dbt test`)')
    .argument('<config>', 'pipeline config: .json, .csv, .db/.sqlite/.sqlite3')
    .option('--only <selector>', 'check only these steps (same syntax as `odibi run --only`)', collect)
    .option('--project <name>', 'rows of this project only (CSV/SQLite configs)')
    .option('--json', 'one JSON event per check')
    .action(async (config, o) => setExit(await (await import('./commands/check.js')).checkCommand(config, o)));

  withSettings(program.command('dag'))
    .description('draw the pipeline DAG')
    .argument('<config>')
    .addOption(new Option('--format <format>', 'output format').choices(['mermaid', 'svg', 'dot']))
    .option('-o, --output <file>', 'write to a file instead of stdout')
    .option('--project <name>', 'rows of this project only (CSV/SQLite configs)')
    .action(async (config, o) => setExit(await (await import('./commands/dag.js')).dagCommand(config, o)));

  program.command('convert')
    .description('write the pipeline a saved notebook declares (its magics) as a config, without running it')
    .argument('<notebook>', 'a .ipynb notebook using the odibi kernel')
    .option('-o, --output <file>', 'config to write (default: the notebook name with .json)')
    .option('--strict', 'fail on a cell that cannot be converted (e.g. one whose saved output is an error)')
    .option('--parameterize', 'make the folders the notebook reads from and writes to the variables data_root and out_root (values in the config\'s dev profile)')
    .action(async (notebook, o) => setExit(await (await import('./commands/convert.js')).convertCommand(notebook, o)));

  program.command('init')
    .description('create a runnable starter project: sample data, pipeline.json, a notebook')
    .argument('<dir>')
    .option('--force', 'write into a non-empty folder (existing files are kept)')
    .action(async (dir, o) => setExit(await (await import('./commands/init.js')).initCommand(dir, o)));

  const checkpoint = program.command('checkpoint')
    .description('step checkpoints saved by `odibi run --checkpoint` / `--resume`')
    .option('--state-dir <dir>', 'state dir to read: a folder, s3://… or az://… (default: ./.odibi)')
    .option('--config <file>', 'read the state dir beside this config');
  checkpoint.command('list')
    .description('every checkpoint: step, run, rows, size, age')
    .option('--json', 'one JSON object per checkpoint')
    .action(async (o) => setExit(await (await import('./commands/checkpoint.js')).checkpointListCommand({ ...checkpoint.opts(), ...o })));
  checkpoint.command('show')
    .description('the checkpoints a run saved')
    .argument('<run>', 'run id, a unique prefix of one, or "latest"')
    .option('--json', 'the manifests')
    .action(async (run, o) => setExit(await (await import('./commands/checkpoint.js')).checkpointShowCommand(run, { ...checkpoint.opts(), ...o })));
  checkpoint.command('clear')
    .description('delete checkpoints (all, or those older than a duration)')
    .option('--older-than <duration>', 'only checkpoints older than this, e.g. 7d, 12h, 30m')
    .action(async (o) => setExit(await (await import('./commands/checkpoint.js')).checkpointClearCommand({ ...checkpoint.opts(), ...o })));

  const runs = program.command('runs')
    .description('list recorded runs (newest first)')
    .option('--state-dir <dir>', 'state dir to read: a folder, s3://… or az://… (default: ./.odibi)')
    .option('--config <file>', 'read the state dir beside this config')
    .option('--json', 'one JSON object per run')
    .action(async (o) => setExit(await (await import('./commands/runs.js')).runsListCommand(o)));
  runs.command('show')
    .description('show one run: steps, rows, schema, samples, lineage')
    .argument('<id>', 'run id, a unique prefix of one, or "latest"')
    .option('--state-dir <dir>', 'state dir to read: a folder, s3://… or az://… (default: ./.odibi)')
    .option('--config <file>', 'read the state dir beside this config')
    .option('--json', 'the raw run record')
    .action(async (id, o) => setExit(await (await import('./commands/runs.js')).runsShowCommand(id, { ...runs.opts(), ...o })));

  return program;
}

export async function main(argv: string[]): Promise<number> {
  let code: number = EXIT.ok;
  const program = buildProgram((c) => { code = c; });
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      // Help and version exit 0; every other parse problem is a usage error.
      return err.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    return reportError(err, argv.includes('--json'));
  }
  return code;
}

main(process.argv).then((code) => {
  // Exit even if user code left timers or sockets open (e.g. a function step that timed out);
  // the empty writes let buffered output drain first.
  process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
});
