/** `odibi init <dir>`: a runnable starter project (sample data, pipeline.json, a notebook). */
import { cp, mkdir, readdir } from 'node:fs/promises';
import path from 'node:path';
import { EXIT, reportError, UsageError } from '../errors.js';
import { painter } from '../format.js';
import { packageRoot } from '../package-root.js';


export async function initCommand(dir: string, o: { force?: boolean }): Promise<number> {
  try {
    const target = path.resolve(dir);
    const existing = await readdir(target).catch(() => [] as string[]);
    if (existing.length > 0 && !o.force) {
      throw new UsageError(`${dir} is not empty`, { hint: 'pick a new folder, or pass --force to add the starter files anyway (existing files are kept)' });
    }
    await mkdir(target, { recursive: true });
    await cp(path.join(packageRoot(), 'templates', 'init'), target, { recursive: true, force: false, errorOnExist: false });
    const p = painter(process.stdout);
    const rel = path.relative(process.cwd(), target) || '.';
    process.stdout.write(`${p('green', '✔')} created an ODIBI project in ${rel}\n\n  odibi validate ${path.join(rel, 'pipeline.json')}\n  odibi run ${path.join(rel, 'pipeline.json')}\n  odibi dag ${path.join(rel, 'pipeline.json')} --format svg -o ${path.join(rel, 'dag.svg')}\n\nOpen ${path.join(rel, 'explore.ipynb')} in Jupyter to build steps interactively.\n`);
    return EXIT.ok;
  } catch (err) {
    return reportError(err, false);
  }
}
