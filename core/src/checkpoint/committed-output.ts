/**
 * What a committed sink wrote, as it was at commit, and whether it still is: a local file by size
 * and modification time, an object by size and ETag (reached with the step's own connection).
 * A table on a database connection cannot be looked at this way and is not recorded.
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { Pipeline } from '../config/model.js';
import { errorMessage } from '../errors.js';
import { locate } from '../storage/locate.js';
import { isObjectUri } from '../storage/uri.js';
import type { CommittedOutput } from './store.js';

/** The output `target` of sink `step` as it is now; undefined when it is gone or not a file. */
export type OutputProbe = (step: string, target: string) => Promise<CommittedOutput | undefined>;

export function outputProbe(pipeline: Pipeline): OutputProbe {
  return async (stepName, target) => {
    if (isObjectUri(target)) {
      const step = pipeline.steps.find((s) => s.name === stepName);
      const loc = step && await locate(pipeline, step, target);
      const info = loc && await loc.store.head(loc.key);
      return info ? { path: target, size: info.size, etag: info.etag } : undefined;
    }
    if (!path.isAbsolute(target)) return undefined;
    const st = await stat(target).catch(() => undefined);
    return st?.isFile() ? { path: target, size: st.size, mtimeMs: st.mtimeMs } : undefined;
  };
}

/** How the first recorded output differs from what is there now, if it does. */
export async function changedOutput(step: string, outputs: readonly CommittedOutput[], probe: OutputProbe): Promise<string | undefined> {
  for (const o of outputs) {
    let now;
    try {
      now = await probe(step, o.path);
    } catch (err) {
      return `its output ${o.path} could not be looked at (${errorMessage(err).split('\n')[0]})`;
    }
    if (!now) return `its output ${o.path} is gone`;
    if (now.size !== o.size || now.mtimeMs !== o.mtimeMs || now.etag !== o.etag) return `its output ${o.path} was changed`;
  }
  return undefined;
}
