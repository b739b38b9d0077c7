/**
 * `odibi run --explain`: the plan a run would execute, without running it: the steps level by
 * level, and for every dataset whether it is stored as a table or fused into its one reader as a
 * view, and why.
 */
import type { DatasetPlan, Fusion } from '../graph/fusion.js';
import type { Plan } from '../graph/plan.js';
import { pad, painter, plural } from './format.js';

export interface Explanation {
  pipeline: string;
  configFile: string;
  levels: string[][];
  steps: { name: string; layer: string; level: number; upstream: string[] }[];
  deselected: string[];
  datasets: DatasetPlan[];
}

export function explanation(plan: Plan, fusion: Fusion): Explanation {
  return {
    pipeline: plan.pipeline.name,
    configFile: plan.pipeline.file,
    levels: plan.levels.map((l) => [...l]),
    steps: plan.steps.map((p) => ({ name: p.step.name, layer: p.step.layer, level: p.level, upstream: [...p.upstream] })),
    deselected: [...plan.deselected],
    datasets: [...fusion.datasets],
  };
}

export function explainText(plan: Plan, fusion: Fusion, stream: NodeJS.WriteStream): string {
  const p = painter(stream);
  const views = fusion.datasets.filter((d) => d.storage === 'view').length;
  const byProducer = new Map<string, DatasetPlan[]>();
  for (const d of fusion.datasets) (byProducer.get(d.producer) ?? byProducer.set(d.producer, []).get(d.producer)!).push(d);
  const width = Math.max(8, ...plan.steps.map((s) => s.step.name.length)) + 2;
  const out = [
    `${p('bold', `Plan of '${plan.pipeline.name}'`)}: ${plural(plan.steps.length, 'step')} in ${plural(plan.levels.length, 'level')}, ${plural(fusion.datasets.length, 'dataset')} of which ${views} fused`,
  ];
  for (const [i, level] of plan.levels.entries()) {
    out.push('', p('dim', `level ${i}`));
    for (const name of level) {
      const step = plan.steps.find((s) => s.step.name === name)!.step;
      const made = byProducer.get(name) ?? [];
      const first = made.length ? describe(made[0], p) : p('dim', step.layer === 'connect' ? 'opens a connection' : 'writes when the run commits');
      out.push(`  ${pad(name, width)}${p('dim', pad(step.layer, 10))} ${first}`);
      for (const d of made.slice(1)) out.push(`  ${pad('', width)}${pad('', 10)} ${describe(d, p)}`);
    }
  }
  if (plan.deselected.length) out.push('', p('dim', `not selected: ${plan.deselected.join(', ')}`));
  out.push('', p('dim', 'A fused dataset is a view: DuckDB runs its query inside the one step that reads it, so it is never stored or counted on its own. `--no-fuse` stores every dataset.'));
  return `${out.join('\n')}\n`;
}

function describe(d: DatasetPlan, p: ReturnType<typeof painter>): string {
  return d.storage === 'view'
    ? `${d.key} ${p('cyan', '→ view')} ${p('dim', `(${d.reason})`)}`
    : `${d.key} → table ${p('dim', `(${d.reason})`)}`;
}
