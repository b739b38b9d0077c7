/**
 * Writes recorded steps as a pipeline config (the core JSON contract). Paths are rewritten relative
 * to the exported file's folder, so `odibi run <file>` works from anywhere.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { writeFileAtomic } from '../shared/atomic-write.js';
import path from 'node:path';
import type { StepFields } from './step-fields.js';

const URL_LIKE = /^[a-z][a-z0-9+.-]*:\/\//i;

/** Layers and types whose `value` is a file path. */
function valueIsPath(f: StepFields): boolean {
  const type = typeof f.type === 'string' ? f.type : undefined;
  if (f.layer === 'connect') return true;
  if (f.layer === 'ingest') return type === undefined || type === 'config_op' || type === 'function';
  if (f.layer === 'store' || f.layer === 'publish') return typeof (f.params as Record<string, unknown> | undefined)?.connection !== 'string' && type !== 'api';
  return type === 'function';
}

function rebase(value: string, fromDir: string, toDir: string): string {
  if (!value || URL_LIKE.test(value)) return value;
  const [file, fragment] = value.includes('#') ? [value.slice(0, value.lastIndexOf('#')), value.slice(value.lastIndexOf('#'))] : [value, ''];
  const rel = path.relative(toDir, path.resolve(fromDir, file)) || '.';
  return `${rel.startsWith('.') ? rel : `./${rel}`}${fragment}`.replace(/^\.\/\.\.\//, '../');
}

export function toConfig(name: string, steps: readonly StepFields[], baseDir: string, exportDir: string): { name: string; steps: StepFields[] } {
  return {
    name,
    steps: steps.map((s) => (valueIsPath(s) && typeof s.value === 'string' ? { ...s, value: rebase(s.value, baseDir, exportDir) } : { ...s })),
  };
}

/** Modules the kernel generated from %%ts cells live here; the export carries copies of them. */
const GENERATED = `${path.sep}.odibi${path.sep}notebook${path.sep}`;

/**
 * Writes the config atomically; returns its absolute path. Generated function modules are copied
 * beside it (`<config name>.<module>.ts`) so the export does not depend on the notebook's state.
 */
export async function exportConfig(file: string, name: string, steps: readonly StepFields[], baseDir: string): Promise<string> {
  const target = path.resolve(baseDir, file);
  const exportDir = path.dirname(target);
  await mkdir(exportDir, { recursive: true });
  const base = path.basename(target).replace(/\.[^.]+$/, '');
  const copied: StepFields[] = [];
  for (const s of steps) {
    const value = typeof s.value === 'string' ? s.value : '';
    const hash = value.lastIndexOf('#');
    const module = hash > 0 ? path.resolve(baseDir, value.slice(0, hash)) : '';
    if (s.type === 'function' && module.includes(GENERATED)) {
      const copy = `${base}.${path.basename(module)}`;
      await writeFileAtomic(path.join(exportDir, copy), await readFile(module));
      // Already relative to the export folder: toConfig must leave it alone.
      copied.push({ ...s, value: path.resolve(exportDir, `${copy}${value.slice(hash)}`) });
    } else {
      copied.push(s);
    }
  }
  const config = toConfig(name, copied, baseDir, exportDir);
  await writeFileAtomic(target, `${JSON.stringify(config, null, 2)}\n`);
  return target;
}
