/**
 * The folders a pipeline's steps write files into: where a run stages its outputs, and so where
 * the next run looks for staging files a killed run left behind.
 */
import path from 'node:path';
import type { Pipeline, StepConfig } from '../config/model.js';
import { objectConnection, onObjectStore } from '../storage/locate.js';
import { isUrl } from '../shared/url.js';
import { resolvePath } from './context.js';

function writesFile(pipeline: Pipeline, step: StepConfig): boolean {
  return (step.layer === 'store' || step.layer === 'publish') && typeof step.params.url !== 'string' && step.type !== 'api'
    && (typeof step.params.connection !== 'string' || !!objectConnection(pipeline, step.params.connection));
}

/** The folders (keys, with the step whose connection reaches them) a pipeline writes objects into. */
export function objectOutputFolders(pipeline: Pipeline): { step: StepConfig; folder: string }[] {
  const out: { step: StepConfig; folder: string }[] = [];
  for (const step of pipeline.steps) {
    if (!step.value || !writesFile(pipeline, step) || !onObjectStore(pipeline, step)) continue;
    const target = step.value.replace(/\/+$/, '');
    out.push({ step, folder: parentOf(target) });
    if (step.params.mode === 'append') out.push({ step, folder: target });
  }
  return out;
}

export function outputFolders(pipeline: Pipeline): string[] {
  const folders = new Set<string>();
  for (const step of pipeline.steps) {
    if (!step.value || isUrl(step.value) || onObjectStore(pipeline, step)) continue;
    // A SQLite file connection is rewritten whole at the end of a run.
    if (!writesFile(pipeline, step) && step.layer !== 'connect') continue;
    const target = resolvePath(pipeline, step.value);
    folders.add(path.dirname(target));
    // `append` writes part files inside the target folder.
    if (step.params.mode === 'append') folders.add(target);
  }
  return [...folders];
}

/** The folder of a key or URI: `s3://b/out/x.csv` → `s3://b/out`, `s3://b/x.csv` → `s3://b/`, `x.csv` → ''. */
function parentOf(value: string): string {
  const scheme = value.indexOf('://');
  const start = scheme >= 0 ? value.indexOf('/', scheme + 3) : -1;
  const slash = value.lastIndexOf('/');
  if (scheme >= 0) return slash > start && start >= 0 ? value.slice(0, slash) : `${value.slice(0, start < 0 ? undefined : start)}/`;
  return slash >= 0 ? value.slice(0, slash) : '';
}
