/** An error from a lower layer (a store, a parser) as the step's own, keeping its hint. */
import { OdibiError, StepError } from '../errors.js';

export function asStepError(step: string, err: unknown): StepError {
  if (err instanceof StepError) return err;
  const hint = err instanceof OdibiError ? err.hint : undefined;
  return new StepError(step, err instanceof Error ? err.message : String(err), { cause: err, hint });
}
