/**
 * Loads `module.ts#exportName` (or .js/.mjs) relative to the config. TypeScript is compiled with
 * esbuild (the module and the relative imports it makes, packages left as imports) so users need
 * no build step; the compiled file lives beside the source for the moment it takes to import it,
 * so package imports resolve exactly as they would from the source. Modules are cached per
 * process by source content.
 */
import { createHash } from 'node:crypto';
import { access, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { StepError } from '../errors.js';
import type { StepContext } from './context.js';

const cache = new Map<string, Promise<Record<string, unknown>>>();

export type UserFunction = (...args: unknown[]) => unknown;

function splitValue(baseDir: string, value: string): { modulePath: string; exportName: string } {
  const hash = value.lastIndexOf('#');
  return { modulePath: path.resolve(baseDir, value.slice(0, hash)), exportName: value.slice(hash + 1) };
}

function importModule(modulePath: string): Promise<Record<string, unknown>> {
  return /\.(c|m)?tsx?$/.test(modulePath) ? importTypeScript(modulePath) : importOnce(pathToFileURL(modulePath).href);
}

/**
 * Starts compiling and importing a function step's module ahead of the step, so that work is off
 * the run's critical path. Failures are left for the step itself to report.
 */
export function preloadFunction(baseDir: string, value: string): void {
  importModule(splitValue(baseDir, value).modulePath).catch(() => undefined);
}

export async function loadFunction(ctx: StepContext): Promise<UserFunction> {
  const { step, pipeline } = ctx;
  const { modulePath, exportName } = splitValue(pipeline.baseDir, step.value);
  try {
    await access(modulePath);
  } catch {
    throw new StepError(step.name, `function module not found: ${modulePath}`, { hint: `paths are relative to the config folder ${pipeline.baseDir}` });
  }
  let mod: Record<string, unknown>;
  try {
    mod = await importModule(modulePath);
  } catch (err) {
    throw new StepError(step.name, `cannot load ${path.basename(modulePath)}: ${(err as Error).message}`, { cause: err, hint: 'fix the module so it compiles and imports cleanly' });
  }
  const fn = mod[exportName] ?? (mod.default as Record<string, unknown> | undefined)?.[exportName];
  if (typeof fn !== 'function') {
    const exported = Object.keys(mod).filter((k) => typeof mod[k] === 'function');
    throw new StepError(step.name, `${path.basename(modulePath)} has no exported function '${exportName}'`, {
      hint: exported.length ? `exported functions: ${exported.join(', ')}` : 'export the function, e.g. `export function addScore(inputs, ctx) { ... }`',
    });
  }
  return fn as UserFunction;
}

function importOnce(url: string): Promise<Record<string, unknown>> {
  let loading = cache.get(url);
  if (!loading) {
    loading = import(url) as Promise<Record<string, unknown>>;
    cache.set(url, loading);
    loading.catch(() => cache.delete(url));
  }
  return loading;
}

/** The module as it runs: TypeScript bundled with its local imports (packages stay external). */
async function compileTypeScript(file: string): Promise<string> {
  const { build } = await import('esbuild');
  const sourceUrl = pathToFileURL(file).href;
  const result = await build({
    entryPoints: [file],
    bundle: true,
    packages: 'external',
    format: 'esm',
    platform: 'node',
    target: 'node20',
    write: false,
    sourcemap: 'inline',
    logLevel: 'silent',
    // The module sees its own location, not the compiled copy's.
    define: { 'import.meta.url': JSON.stringify(sourceUrl) },
  });
  return result.outputFiles[0].text;
}

/**
 * A digest of a function step's code as it would run (its local imports included), so a resumed
 * run notices an edited function. Undefined if the module cannot be read or compiled.
 */
export async function functionDigest(baseDir: string, value: string): Promise<string | undefined> {
  const { modulePath } = splitValue(baseDir, value);
  try {
    const code = /\.(c|m)?tsx?$/.test(modulePath) ? await compileTypeScript(modulePath) : await readFile(modulePath, 'utf8');
    return createHash('sha256').update(code).digest('hex');
  } catch {
    return undefined;
  }
}

async function importTypeScript(file: string): Promise<Record<string, unknown>> {
  const sourceUrl = pathToFileURL(file).href;
  const code = await compileTypeScript(file);
  const digest = createHash('sha256').update(code).digest('hex').slice(0, 16);
  const key = `${sourceUrl}#${digest}`;
  const cached = cache.get(key);
  if (cached) return cached;

  const loading = (async () => {
    const beside = path.join(path.dirname(file), `.${path.basename(file)}.${digest}.odibi.mjs`);
    let target = beside;
    try {
      await writeFile(beside, code);
    } catch {
      // A read-only source folder: compile into the temp dir (package imports then resolve from there).
      target = path.join(os.tmpdir(), `odibi-${digest}.mjs`);
      await writeFile(target, code);
    }
    try {
      return (await import(pathToFileURL(target).href)) as Record<string, unknown>;
    } finally {
      await rm(target, { force: true });
    }
  })();
  cache.set(key, loading);
  loading.catch(() => cache.delete(key));
  return loading;
}
