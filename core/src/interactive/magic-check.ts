/**
 * `%check <key> <type> [args…] [--warn] [--name NAME]`: a data check (config/checks.ts) added to
 * the step that makes dataset <key>, from the magic's arguments alone. Shared by the kernel (which
 * runs it at once) and `odibi convert`.
 *
 *   %check clean not_null device_id ts          %check clean row_count min=1 max=1000000
 *   %check clean unique device_id               %check clean relationships device_id devices.device_id
 *   %check clean accepted_values status ok hot  %check clean freshness ts 1d
 *   %check clean sql "SELECT * FROM data WHERE temp < -273.15"
 */
import { parseArgs } from 'node:util';
import { CHECK_TYPES, checkName, parseChecks, type CheckSpec } from '../config/checks.js';
import { suggest } from '../shared/suggest.js';
import type { MagicCall } from './magic-parse.js';
import { MagicUsageError } from './magic-steps.js';
import type { StepFields } from './step-fields.js';

export const CHECK_USAGE = '%check <key> <not_null|unique|accepted_values|row_count|relationships|freshness|sql> [args…] [--warn] [--name NAME]';

export function checkFromMagic(call: MagicCall): { key: string; check: CheckSpec } {
  let parsed: { values: { warn?: boolean; name?: string }; positionals: string[] };
  try {
    parsed = parseArgs({ args: call.args, options: { warn: { type: 'boolean' }, name: { type: 'string' } }, allowPositionals: true, strict: true }) as typeof parsed;
  } catch (err) {
    throw new MagicUsageError('check', (err as Error).message.replace(/\. To specify a positional.*$/s, ''), `usage: ${CHECK_USAGE}`);
  }
  const [key, type, ...args] = parsed.positionals;
  if (!key || !type) throw new MagicUsageError('check', 'missing argument', `usage: ${CHECK_USAGE}`);
  const fail = (message: string, example: string) => new MagicUsageError('check', message, `e.g. %check ${key} ${example}`);
  let raw: Record<string, unknown>;
  switch (type) {
    case 'not_null':
    case 'unique':
      if (!args.length) throw fail(`${type} needs the columns`, `${type} device_id`);
      raw = { type, columns: args };
      break;
    case 'accepted_values':
      if (args.length < 2) throw fail('accepted_values needs a column and its values', 'accepted_values status ok hot');
      raw = { type, column: args[0], values: args.slice(1) };
      break;
    case 'row_count': {
      raw = { type };
      for (const a of args) {
        const m = /^(min|max)=(\d+)$/.exec(a);
        if (!m) throw fail(`cannot read '${a}'`, 'row_count min=1 max=1000000');
        raw[m[1]] = Number(m[2]);
      }
      break;
    }
    case 'relationships': {
      const [column, target] = args;
      const dot = target?.lastIndexOf('.') ?? -1;
      if (!column || dot <= 0 || args.length !== 2) throw fail('relationships needs a column and <dataset>.<field>', 'relationships device_id devices.device_id');
      raw = { type, column, to: target.slice(0, dot), field: target.slice(dot + 1) };
      break;
    }
    case 'freshness':
      if (args.length !== 2) throw fail('freshness needs a column and a max age', 'freshness ts 1d');
      raw = { type, column: args[0], max_age: args[1] };
      break;
    case 'sql':
      if (!args.length) throw fail('sql needs a query over `data` that returns the failing rows', 'sql "SELECT * FROM data WHERE temp < -273.15"');
      raw = { type, query: args.join(' ') };
      break;
    default:
      throw new MagicUsageError('check', `unknown check '${type}'`, suggest(type, [...CHECK_TYPES], `checks: ${CHECK_TYPES.join(', ')}`));
  }
  if (parsed.values.warn) raw.severity = 'warn';
  if (parsed.values.name) raw.name = parsed.values.name;
  const { checks, problems } = parseChecks([raw]);
  if (problems.length) throw new MagicUsageError('check', problems[0].replace(/^params\.checks\[0\]\.?:?\s*/, ''), `usage: ${CHECK_USAGE}`);
  return { key, check: checks[0] };
}

/** The step's definition with the check added (one of the same name replaced). */
export function withCheck(fields: StepFields, check: CheckSpec): StepFields {
  const params = (fields.params ?? {}) as Record<string, unknown>;
  const own = parseChecks(params.checks).checks.filter((c) => checkName(c) !== checkName(check));
  return { ...fields, params: { ...params, checks: [...own, check] } };
}
