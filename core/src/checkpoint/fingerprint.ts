/**
 * A step's fingerprint: what its output depends on. The step's own config (SQL, params, inputs,
 * outputs), the code of a function step (bundled, so its local imports count), the size and mtime
 * of the local files an ingest step reads, and the fingerprints of the steps upstream of it. A
 * resumed run reuses a step's checkpoint only when the fingerprint is unchanged. Sources that
 * cannot be looked at without reading them (HTTP, APIs, SQL on a connection) count by config only.
 */
import { createHash } from 'node:crypto';
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import picomatch from 'picomatch';
import type { Pipeline, StepConfig } from '../config/model.js';
import type { Plan } from '../graph/plan.js';
import { isUrl, resolvePath } from '../steps/context.js';
import { functionDigest } from '../steps/load-function.js';

/** Params that change how a step runs, not what it produces. */
const RUN_ONLY_PARAMS = new Set(['retries', 'retry_delay_ms', 'timeout_ms']);

export async function fingerprints(plan: Plan): Promise<Map<string, string>> {
  const own = new Map<string, string>();
  await Promise.all(plan.dag.order.map(async (name) => own.set(name, await ownFingerprint(plan.pipeline, plan.dag.steps.get(name)!))));
  const full = new Map<string, string>();
  for (const name of plan.dag.order) {
    const h = createHash('sha256').update(own.get(name)!);
    for (const up of [...plan.dag.upstream.get(name)!].sort()) h.update(`\0${up}=${full.get(up)}`);
    full.set(name, h.digest('hex'));
  }
  return full;
}

async function ownFingerprint(pipeline: Pipeline, step: StepConfig): Promise<string> {
  const params = Object.fromEntries(Object.entries(step.params).filter(([k]) => !RUN_ONLY_PARAMS.has(k)).sort(([a], [b]) => a.localeCompare(b)));
  const parts: unknown[] = [step.layer, step.type, step.engine, step.value, params, step.inputs, step.outputs];
  if (step.type === 'function') parts.push(await functionDigest(pipeline.baseDir, step.value));
  if (step.layer === 'ingest' && step.type === 'config_op' && !isUrl(step.value)) parts.push(await filesState(resolvePath(pipeline, step.value)));
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex');
}

/** Size and mtime of a file, or of every file a glob matches (Node 20 has no fs.glob). */
async function filesState(source: string): Promise<unknown> {
  if (!/[*?[]/.test(source)) {
    const s = await stat(source).catch(() => undefined);
    return s ? [s.size, s.mtimeMs] : 'missing';
  }
  const root = path.dirname(source.slice(0, source.search(/[*?[]/) + 1));
  const isMatch = picomatch(source.split(path.sep).join('/'));
  const out: [string, number, number][] = [];
  for (const n of await readdir(root, { recursive: true }).catch(() => [] as string[])) {
    const f = path.join(root, n);
    if (!isMatch(f.split(path.sep).join('/'))) continue;
    const s = await stat(f).catch(() => undefined);
    if (s?.isFile()) out.push([f, s.size, s.mtimeMs]);
  }
  return out.sort((a, b) => a[0].localeCompare(b[0]));
}
