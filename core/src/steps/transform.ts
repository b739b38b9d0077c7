/** transform: SQL over the step's input aliases (inside DuckDB), or a TypeScript/JS function. */
import { onlyOutput, type StepHandler } from './context.js';
import { runFunctionStep } from './function-step.js';

export const runTransform: StepHandler = async (ctx) => {
  if (ctx.step.type === 'function') return runFunctionStep(ctx);
  await ctx.produce(onlyOutput(ctx.step).key, ctx.step.value, ctx.step.inputs);
};
