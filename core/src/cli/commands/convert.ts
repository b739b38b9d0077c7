/** `odibi convert <notebook.ipynb>`: the notebook's pipeline as a config, without running it. */
import path from 'node:path';
import { convertNotebook } from '../../interactive/convert-notebook.js';
import { EXIT, reportError } from '../errors.js';
import { painter } from '../format.js';

export async function convertCommand(notebook: string, o: { output?: string; strict?: boolean; parameterize?: boolean }): Promise<number> {
  try {
    const r = await convertNotebook(notebook, { output: o.output, strict: o.strict, parameterize: o.parameterize });
    const p = painter(process.stderr);
    for (const w of r.warnings) process.stderr.write(`${p('yellow', 'warning:')} ${w}\n`);
    const relative = path.relative(process.cwd(), r.file);
    const rel = relative && !relative.startsWith('..') ? relative : r.file;
    process.stdout.write(`${painter(process.stdout)('green', '✔')} wrote ${rel} (${r.steps} steps${r.modules.length ? `, ${r.modules.length} TypeScript module${r.modules.length === 1 ? '' : 's'} beside it` : ''})\n  odibi run ${rel}\n`);
    return EXIT.ok;
  } catch (err) {
    return reportError(err, false);
  }
}
