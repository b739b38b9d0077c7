/**
 * Writes recorded steps as a pipeline config (the core JSON contract). Paths are rewritten relative
 * to the exported file's folder, so `odibi run <file>` works from anywhere. `${var:…}` references
 * stay as the cells wrote them; the notebook's values (`%set`) become the `dev` profile of the
 * config. With `parameterize`, the folders the notebook reads from and writes to become the
 * variables `data_root` and `out_root`, so another profile runs the same config on other roots.
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
  // A value that starts with a variable (or an environment variable) is where the variable says.
  if (!value || URL_LIKE.test(value) || value.startsWith('${')) return value;
  const [file, fragment] = value.includes('#') ? [value.slice(0, value.lastIndexOf('#')), value.slice(value.lastIndexOf('#'))] : [value, ''];
  const rel = path.relative(toDir, path.resolve(fromDir, file)) || '.';
  return `${rel.startsWith('.') ? rel : `./${rel}`}${fragment}`.replace(/^\.\/\.\.\//, '../');
}

export interface ExportedConfig {
  name: string;
  profiles?: { dev: { vars: Record<string, string> } };
  steps: StepFields[];
}

export interface ExportOptions {
  /** The notebook's variables (`%set`): the config's `dev` profile. */
  vars?: Readonly<Record<string, string>>;
  /** Lift the notebook's input and output folders into `data_root` and `out_root`. */
  parameterize?: boolean;
}

export function toConfig(name: string, steps: readonly StepFields[], baseDir: string, exportDir: string, options: ExportOptions = {}): ExportedConfig {
  let out = steps.map((s) => (valueIsPath(s) && typeof s.value === 'string' ? { ...s, value: rebase(s.value, baseDir, exportDir) } : { ...s }));
  const vars: Record<string, string> = { ...options.vars };
  if (options.parameterize) {
    for (const [variable, layers] of [['data_root', ['ingest']], ['out_root', ['store', 'publish']]] as const) {
      const lifted = liftRoot(out, layers, exportDir, variable);
      if (!lifted) continue;
      out = lifted.steps;
      vars[variable] = lifted.root;
    }
  }
  return { name, ...(Object.keys(vars).length ? { profiles: { dev: { vars } } } : {}), steps: out };
}

/** A local file step's path (relative to the export folder), for lifting: not a URL, variable, function or connection. */
function localPath(s: StepFields): string | undefined {
  if (!valueIsPath(s) || typeof s.value !== 'string' || s.type === 'function' || s.layer === 'connect') return undefined;
  return s.value && !URL_LIKE.test(s.value) && !s.value.startsWith('${') ? s.value : undefined;
}

/**
 * The deepest folder (relative to the export folder) holding every local path of these layers'
 * steps, and the steps with that folder replaced by `${var:<variable>}`. Glob characters never
 * make part of the folder.
 */
function liftRoot(steps: StepFields[], layers: readonly string[], exportDir: string, variable: string): { steps: StepFields[]; root: string } | undefined {
  const paths = steps.filter((s) => layers.includes(String(s.layer))).map(localPath).filter((p): p is string => p !== undefined);
  if (!paths.length) return undefined;
  const dirs = paths.map((p) => {
    const parts = path.resolve(exportDir, p).split(path.sep);
    const glob = parts.findIndex((x) => /[*?[{]/.test(x));
    return parts.slice(0, glob >= 0 ? glob : parts.length - 1);
  });
  let common = dirs[0];
  for (const d of dirs.slice(1)) {
    let i = 0;
    while (i < common.length && i < d.length && common[i] === d[i]) i++;
    common = common.slice(0, i);
  }
  const rootAbs = common.join(path.sep) || path.sep;
  const root = path.relative(exportDir, rootAbs).split(path.sep).join('/') || '.';
  return {
    root,
    steps: steps.map((s) => {
      const p = layers.includes(String(s.layer)) ? localPath(s) : undefined;
      if (p === undefined) return s;
      return { ...s, value: `\${var:${variable}}/${path.relative(rootAbs, path.resolve(exportDir, p)).split(path.sep).join('/')}` };
    }),
  };
}

/** Modules the kernel generated from %%ts cells live here; the export carries copies of them. */
const GENERATED = `${path.sep}.odibi${path.sep}notebook${path.sep}`;

/**
 * Writes the config atomically; returns its absolute path. Generated function modules are copied
 * beside it (`<config name>.<module>.ts`) so the export does not depend on the notebook's state.
 */
export async function exportConfig(file: string, name: string, steps: readonly StepFields[], baseDir: string, options: ExportOptions = {}): Promise<string> {
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
  const config = toConfig(name, copied, baseDir, exportDir, options);
  await writeFileAtomic(target, `${JSON.stringify(config, null, 2)}\n`);
  return target;
}
