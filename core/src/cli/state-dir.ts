/** The state dir a command reads: --state-dir, else the one beside --config, else ./.odibi. */
import path from 'node:path';
import { loadPipeline } from '../load/pipeline.js';
import { defaultStateDir } from '../run.js';

export async function stateDirOf(o: { stateDir?: string; config?: string }): Promise<string> {
  if (o.stateDir) return path.resolve(o.stateDir);
  if (o.config) return defaultStateDir((await loadPipeline(o.config)).pipeline);
  return path.resolve('.odibi');
}
