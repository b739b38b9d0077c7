/**
 * Data checks (`params.checks`): what a step's data must satisfy, as dbt's tests and Dagster's
 * asset checks, declared on the step itself so v1's CSV and SQLite rows carry them too. This
 * module is the contract: the kinds, their fields, their default names. Running them is
 * checks/run-checks.ts.
 */
import * as z from 'zod';
import type { StepConfig } from './model.js';

const columns = z.array(z.string().min(1)).min(1, 'needs at least one column');
const common = { name: z.string().min(1).optional(), severity: z.enum(['error', 'warn']).optional() };

const checkShape = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('not_null'), columns, ...common }),
  z.strictObject({ type: z.literal('unique'), columns, ...common }),
  z.strictObject({ type: z.literal('accepted_values'), column: z.string().min(1), values: z.array(z.union([z.string(), z.number(), z.boolean()])).min(1), ...common }),
  z.strictObject({ type: z.literal('row_count'), min: z.number().int().nonnegative().optional(), max: z.number().int().nonnegative().optional(), ...common })
    .refine((c) => c.min !== undefined || c.max !== undefined, 'needs "min", "max" or both'),
  z.strictObject({ type: z.literal('relationships'), column: z.string().min(1), to: z.string().min(1), field: z.string().min(1), ...common }),
  z.strictObject({ type: z.literal('freshness'), column: z.string().min(1), max_age: z.string().regex(/^\d+(\.\d+)?\s*(ms|s|m|h|d|w)$/, 'is a duration like "30m", "12h" or "1d"'), ...common }),
  z.strictObject({ type: z.literal('sql'), query: z.string().min(1), ...common }),
], { error: (issue) => (issue.code === 'invalid_union' ? `"type" is one of ${CHECK_TYPES.join(', ')}` : undefined) });

export const CHECK_TYPES = ['not_null', 'unique', 'accepted_values', 'row_count', 'relationships', 'freshness', 'sql'] as const;
export type CheckSpec = z.infer<typeof checkShape>;
export type Severity = 'error' | 'warn';

/** What `params.checks` holds, checked: the specs, or what is wrong with each (`checks[1]: …`). */
export function parseChecks(value: unknown): { checks: CheckSpec[]; problems: string[] } {
  if (value === undefined) return { checks: [], problems: [] };
  if (!Array.isArray(value)) return { checks: [], problems: ['params.checks must be a list of checks, like [{"type": "not_null", "columns": ["id"]}]'] };
  const checks: CheckSpec[] = [];
  const problems: string[] = [];
  value.forEach((raw, i) => {
    const r = checkShape.safeParse(raw);
    if (r.success) checks.push(r.data);
    else for (const issue of r.error.issues) problems.push(`params.checks[${i}]${issue.path.length ? `.${issue.path.join('.')}` : ''}: ${issue.message}`);
  });
  const names = checks.map(checkName);
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup) problems.push(`params.checks: two checks are named '${dup}'; give one a "name"`);
  return { checks, problems };
}

/** The step's checks (validation has already refused malformed ones). */
export function checksOf(step: StepConfig): CheckSpec[] {
  return parseChecks(step.params.checks).checks;
}

/** A check's name: its own, or one made from its kind and fields (`not_null(device_id)`). */
export function checkName(c: CheckSpec): string {
  if (c.name) return c.name;
  switch (c.type) {
    case 'not_null':
    case 'unique':
      return `${c.type}(${c.columns.join(', ')})`;
    case 'accepted_values':
      return `accepted_values(${c.column})`;
    case 'row_count':
      return `row_count(${c.min ?? ''}..${c.max ?? ''})`;
    case 'relationships':
      return `relationships(${c.column} → ${c.to}.${c.field})`;
    case 'freshness':
      return `freshness(${c.column}, ${c.max_age})`;
    case 'sql':
      return 'sql';
  }
}

/** Datasets a step's checks read besides its own (a relationships check's `to`). */
export function checkInputs(step: StepConfig): string[] {
  return checksOf(step).flatMap((c) => (c.type === 'relationships' ? [c.to] : []));
}
