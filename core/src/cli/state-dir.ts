/** The state dir a command reads: --state-dir (a folder or a URI), else the one beside --config, else ./.odibi. */
import path from 'node:path';
import { loadPipeline } from '../load/pipeline.js';
import { defaultStateDir } from '../run.js';
import { openStateDir, type StateDir } from '../state/state-dir.js';

export async function stateDirOf(o: { stateDir?: string; config?: string }): Promise<StateDir> {
  if (o.stateDir) return openStateDir(o.stateDir);
  if (o.config) return openStateDir(defaultStateDir((await loadPipeline(o.config)).pipeline));
  return openStateDir(path.resolve('.odibi'));
}
