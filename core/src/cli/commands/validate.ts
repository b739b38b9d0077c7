/**
 * `odibi validate <config>`: a dry run. Reports every problem at once (exit 2), each naming its
 * step and line: the config's shape and params, then what running would meet (missing files, SQL
 * that does not parse or bind to its inputs' columns, function modules that do not compile,
 * export or type-check). Writes nothing.
 */
import path from 'node:path';
import { checkConfig } from '../../check/check-config.js';
import { objectCacheDirOf } from '../../storage/cache-dir.js';
import { createPlan } from '../../graph/plan.js';
import { LAYERS } from '../../config/model.js';
import { ConfigError } from '../../errors.js';
import { EXIT, reportError } from '../errors.js';
import { painter, plural } from '../format.js';
import { settingsOf } from '../options.js';

export async function validateCommand(config: string, o: { project?: string; json?: boolean; var?: Record<string, string>; vars?: string; profile?: string }): Promise<number> {
  try {
    const { pipeline, warnings, problems, notes } = await checkConfig(config, { project: o.project, ...(await settingsOf(o)), objectCacheDir: objectCacheDirOf(path.join(path.dirname(path.resolve(config)), '.odibi')) });
    if (problems.length) throw new ConfigError(problems, pipeline.file);
    const plan = createPlan(pipeline);
    if (o.json) {
      process.stdout.write(`${JSON.stringify({ type: 'valid', pipeline: pipeline.name, steps: plan.steps.map((s) => ({ name: s.step.name, layer: s.step.layer, type: s.step.type, level: s.level, upstream: s.upstream })), levels: plan.levels, warnings, notes })}\n`);
      return EXIT.ok;
    }
    const p = painter(process.stdout);
    const byLayer = LAYERS.map((l) => [l, pipeline.steps.filter((s) => s.layer === l).length] as const).filter(([, n]) => n > 0);
    process.stdout.write(`${p('green', '✔')} ${config}: pipeline '${pipeline.name}' is valid — ${plural(pipeline.steps.length, 'step')} in ${plural(plan.levels.length, 'level')} (${byLayer.map(([l, n]) => `${n} ${l}`).join(', ')})\n`);
    plan.levels.forEach((level, i) => process.stdout.write(p('dim', `  level ${i}: ${level.join(', ')}\n`)));
    for (const w of warnings) process.stdout.write(`${p('yellow', 'warning:')} ${w.step ? `step '${w.step}': ` : ''}${w.message}\n`);
    for (const n of notes) process.stdout.write(`${p('dim', 'note:')} ${n.step ? `step '${n.step}': ` : ''}${n.message}\n`);
    return EXIT.ok;
  } catch (err) {
    return reportError(err, !!o.json);
  }
}
