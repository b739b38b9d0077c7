/** The handler for each layer. */
import type { Layer } from '../config/model.js';
import type { StepHandler } from './context.js';
import { runConnect } from './connect.js';
import { runIngest } from './ingest.js';
import { runPublish } from './publish.js';
import { runStore } from './store.js';
import { runTransform } from './transform.js';

export const HANDLERS: Readonly<Record<Layer, StepHandler>> = {
  connect: runConnect,
  ingest: runIngest,
  store: runStore,
  transform: runTransform,
  publish: runPublish,
};
