/** The checkpoint store of a state dir: its folder, or its prefix on an object store. */
import { ObjectStateDir, type StateDir } from '../state/state-dir.js';
import { ObjectCheckpointStore } from './object-checkpoint-store.js';
import { LocalCheckpointStore, type CheckpointStore } from './store.js';

export function checkpointStoreOf(state: StateDir): CheckpointStore {
  return state instanceof ObjectStateDir ? new ObjectCheckpointStore(state) : new LocalCheckpointStore(state);
}
