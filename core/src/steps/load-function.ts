/**
 * Loads `module.ts#exportName` (or .js/.mjs) relative to the config. TypeScript runs through tsx
 * so users need no build step; modules are cached per process by their file URL.
 */
import { access } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { StepError } from '../errors.js';
import type { StepContext } from './context.js';

const cache = new Map<string, Promise<Record<string, unknown>>>();

export type UserFunction = (...args: unknown[]) => unknown;

export async function loadFunction(ctx: StepContext): Promise<UserFunction> {
  const { step, pipeline } = ctx;
  const hash = step.value.lastIndexOf('#');
  const modulePath = path.resolve(pipeline.baseDir, step.value.slice(0, hash));
  const exportName = step.value.slice(hash + 1);
  try {
    await access(modulePath);
  } catch {
    throw new StepError(step.name, `function module not found: ${modulePath}`, { hint: `paths are relative to the config folder ${pipeline.baseDir}` });
  }
  const url = pathToFileURL(modulePath).href;
  let loading = cache.get(url);
  if (!loading) {
    loading = /\.(c|m)?tsx?$/.test(modulePath)
      ? import('tsx/esm/api').then(({ tsImport }) => tsImport(url, { parentURL: import.meta.url }) as Promise<Record<string, unknown>>)
      : (import(url) as Promise<Record<string, unknown>>);
    cache.set(url, loading);
    loading.catch(() => cache.delete(url));
  }
  let mod: Record<string, unknown>;
  try {
    mod = await loading;
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
