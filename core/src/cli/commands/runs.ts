/** `odibi runs` lists recorded runs; `odibi runs show <id>` shows one step by step. */
import type { RunRecord } from '../../tracker/run-record.js';
import { RunStore } from '../../tracker/run-store.js';
import { stateDirOf } from '../state-dir.js';
import { EXIT, reportError } from '../errors.js';
import { duration, pad, painter, rowsSummary } from '../format.js';

export interface RunsOptions {
  stateDir?: string;
  config?: string;
  json?: boolean;
}

async function storeFor(o: { stateDir?: string; config?: string }): Promise<RunStore> {
  return new RunStore(await stateDirOf(o));
}

export async function runsListCommand(o: RunsOptions): Promise<number> {
  try {
    const store = await storeFor(o);
    const runs = await store.list();
    if (o.json) {
      for (const r of runs) process.stdout.write(`${JSON.stringify(summary(r))}\n`);
      return EXIT.ok;
    }
    if (runs.length === 0) {
      process.stdout.write(`No runs recorded in ${store.runsDir}\n`);
      return EXIT.ok;
    }
    const p = painter(process.stdout);
    process.stdout.write(p('bold', `${pad('RUN', 26)} ${pad('PIPELINE', 20)} ${pad('STATUS', 8)} ${pad('STARTED', 20)} ${pad('DURATION', 9)} STEPS\n`));
    for (const r of runs) {
      const s = summary(r);
      const status = r.status === 'success' ? p('green', pad(r.status, 8)) : r.status === 'failed' ? p('red', pad(r.status, 8)) : pad(r.status, 8);
      process.stdout.write(`${pad(r.runId, 26)} ${pad(r.pipeline, 20)} ${status} ${pad(r.startedAt.replace('T', ' ').slice(0, 19), 20)} ${pad(r.durationMs !== undefined ? duration(r.durationMs) : '-', 9)} ${s.succeeded} ok, ${s.failed} failed, ${s.skipped} skipped${r.batch ? p('dim', `  (${r.batch.replay ? 'replay of ' : ''}batch ${r.batch.id} of stream ${r.batch.stream})`) : ''}${typeof r.options.trigger === 'string' ? p('dim', `  (scheduled: ${r.options.trigger})`) : ''}${r.options.notebook ? p('dim', '  (a notebook cell\'s step)') : ''}\n`);
    }
    return EXIT.ok;
  } catch (err) {
    return reportError(err, !!o.json);
  }
}

function summary(r: RunRecord) {
  const steps = Object.values(r.steps);
  return {
    runId: r.runId, pipeline: r.pipeline, status: r.status, startedAt: r.startedAt, durationMs: r.durationMs,
    succeeded: steps.filter((s) => s.status === 'success').length,
    failed: steps.filter((s) => s.status === 'failed').length,
    skipped: steps.filter((s) => s.status === 'skipped').length,
    ...(r.batch ? { batch: r.batch } : {}),
    ...(typeof r.options.trigger === 'string' ? { trigger: r.options.trigger } : {}),
  };
}

export async function runsShowCommand(id: string, o: RunsOptions): Promise<number> {
  try {
    const r = await (await storeFor(o)).get(id);
    if (o.json) {
      process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
      return EXIT.ok;
    }
    const p = painter(process.stdout);
    const out: string[] = [];
    out.push(p('bold', `Run ${r.runId}`) + ` — ${r.pipeline} (${r.configFile})`);
    out.push(`status ${r.status === 'success' ? p('green', r.status) : p('red', r.status)}, started ${r.startedAt}${r.durationMs !== undefined ? `, took ${duration(r.durationMs)}` : ''}`);
    if (r.error) out.push(p('red', r.error.message));
    for (const s of Object.values(r.steps)) {
      const mark = { success: p('green', '✔'), failed: p('red', '✖'), skipped: p('gray', '○'), running: '…', pending: '·' }[s.status];
      out.push('');
      out.push(`${mark} ${p('bold', s.name)} ${p('dim', `${s.layer}, ${s.status}${s.attempts > 1 ? `, ${s.attempts} attempts` : ''}${s.durationMs !== undefined ? `, ${duration(s.durationMs)}` : ''}`)}`);
      if (s.rowsIn !== undefined) out.push(`  rows ${rowsSummary(s.rowsIn, s.rowsOut ?? null, s.outputs ?? [])}`);
      if (s.error) out.push(p('red', `  error: ${s.error.message}`) + (s.error.hint ? p('dim', `\n  hint: ${s.error.hint}`) : ''));
      if (s.skipDetail) out.push(p('dim', `  ${s.skipDetail}`));
      for (const c of s.checks ?? []) {
        const mark = c.passed ? p('green', '✔') : c.severity === 'warn' ? p('yellow', '⚠') : p('red', '✖');
        out.push(`  ${mark} check ${c.name}${c.severity === 'warn' ? p('dim', ' (warn)') : ''}: ${c.passed ? p('dim', c.message) : c.message}`);
        for (const row of c.sample ?? []) out.push(p('dim', `      ${JSON.stringify(row)}`));
      }
      if (s.schema?.length) out.push(`  schema: ${s.schema.map((c) => `${c.name} ${p('dim', c.type)}`).join(', ')}`);
      const d = s.schemaDiff;
      if (d && (d.added.length || d.removed.length || d.changed.length)) {
        out.push(`  schema diff: ${[...d.added.map((c) => p('green', `+${c.name}`)), ...d.removed.map((c) => p('red', `-${c.name}`)), ...d.changed.map((c) => p('yellow', `~${c.name} ${c.from}→${c.to}`))].join(' ')}`);
      }
      if (s.sample?.length) {
        out.push('  sample:');
        for (const row of s.sample) out.push(p('dim', `    ${JSON.stringify(row)}`));
      }
      if (s.writes?.length) out.push(`  writes: ${s.writes.join(', ')}`);
    }
    const lineage = Object.entries(r.lineage);
    if (lineage.length) {
      out.push('', p('bold', 'Lineage'));
      for (const [key, l] of lineage) out.push(`  ${key}: ${l.producer} → ${l.consumers.length ? l.consumers.join(', ') : p('dim', '(no consumers)')}`);
    }
    process.stdout.write(`${out.join('\n')}\n`);
    return EXIT.ok;
  } catch (err) {
    return reportError(err, !!o.json);
  }
}
