/**
 * The folders a pipeline's steps write files into: where a run stages its outputs, and so where
 * the next run looks for staging files a killed run left behind.
 */
import path from 'node:path';
import type { Pipeline } from '../config/model.js';
import { isUrl } from '../shared/url.js';
import { resolvePath } from './context.js';

export function outputFolders(pipeline: Pipeline): string[] {
  const folders = new Set<string>();
  for (const step of pipeline.steps) {
    if (!step.value || isUrl(step.value)) continue;
    const writesFile = ((step.layer === 'store' || step.layer === 'publish') && typeof step.params.connection !== 'string' && typeof step.params.url !== 'string' && step.type !== 'api')
      // A SQLite file connection is rewritten whole at the end of a run.
      || step.layer === 'connect';
    if (!writesFile) continue;
    const target = resolvePath(pipeline, step.value);
    folders.add(path.dirname(target));
    // `append` writes part files inside the target folder.
    if (step.params.mode === 'append') folders.add(target);
  }
  return [...folders];
}
