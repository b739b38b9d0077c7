/** `odibi dag <config>`: the DAG as Mermaid (default), DOT or SVG, to stdout or a file. */
import { writeFileAtomic } from '../../shared/atomic-write.js';
import { loadPipeline } from '../../load/pipeline.js';
import { dagOf } from '../../graph/plan.js';
import { toDot } from '../../render/dot.js';
import { settingsOf } from '../options.js';
import { toMermaid } from '../../render/mermaid.js';
import { toSvg } from '../../render/svg.js';
import { EXIT, reportError, UsageError } from '../errors.js';

const RENDERERS = { mermaid: toMermaid, dot: toDot, svg: toSvg } as const;

export async function dagCommand(config: string, o: { format?: string; output?: string; project?: string; var?: Record<string, string>; vars?: string; profile?: string }): Promise<number> {
  try {
    const format = (o.format ?? (o.output?.endsWith('.svg') ? 'svg' : o.output?.endsWith('.dot') ? 'dot' : 'mermaid')).toLowerCase();
    if (!(format in RENDERERS)) throw new UsageError(`unknown format '${o.format}'`, { hint: 'use --format mermaid, svg or dot' });
    const { pipeline } = await loadPipeline(config, { project: o.project, ...(await settingsOf(o)) });
    const text = RENDERERS[format as keyof typeof RENDERERS](dagOf(pipeline));
    if (o.output) {
      await writeFileAtomic(o.output, text.endsWith('\n') ? text : `${text}\n`);
      process.stderr.write(`wrote ${o.output}\n`);
    } else {
      process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
    }
    return EXIT.ok;
  } catch (err) {
    return reportError(err, false);
  }
}
