/** The coordinator's side of a write a worker staged: commit or roll back what the handoff describes. */
import type { Pipeline } from '../config/model.js';
import { stagedFileAction, type Handoff, type StagedAction } from '../engine/staging.js';
import { locate } from '../storage/locate.js';
import { stagedObjectAction } from '../storage/staged-object.js';

export async function revive(pipeline: Pipeline, step: string, h: Handoff): Promise<StagedAction> {
  if (h.kind === 'file') return stagedFileAction(h.temp, h.final);
  const config = pipeline.steps.find((s) => s.name === step)!;
  const loc = await locate(pipeline, config, h.uri);
  if (!loc) throw new Error(`'${h.uri}' is not on an object store`);
  return stagedObjectAction(loc, h.staging);
}
