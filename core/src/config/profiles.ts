/**
 * Profiles: named sets of variables and connection settings, so one config runs on a sample under
 * `dev` and on production paths and connections under `prod`, unchanged (as dbt's targets and
 * Kedro's environments). They live in `odibi.profiles.json` beside the config, and under a
 * `profiles` key of the pipeline's JSON object (the file's win, profile by profile):
 *
 *   { "dev":  { "vars": { "root": "data/sample" } },
 *     "prod": { "vars": { "root": "s3://lake/iot" },
 *               "connections": { "warehouse": { "value": "postgres://${env:PG_USER}@db/iot" } } } }
 *
 * The profile is `--profile NAME`, else `ODIBI_PROFILE`, else `dev`. A chosen profile that is not
 * defined is an error; the default `dev` may be absent (then it sets nothing). Secrets stay
 * `${env:…}` inside a profile too, and are substituted (and redacted) like any other.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import * as z from 'zod';
import { ConfigError } from '../errors.js';
import { closest } from '../shared/suggest.js';
import type { RawPipeline } from './model.js';

export const PROFILES_FILE = 'odibi.profiles.json';
export const DEFAULT_PROFILE = 'dev';

/** What a profile sets on a connect step (by its name): its value, and params merged over its own. */
export interface ConnectionSettings {
  value?: string;
  params?: Record<string, unknown>;
}

export interface Profile {
  name: string;
  vars: Record<string, string>;
  connections: Record<string, ConnectionSettings>;
  /** Where it was defined (a file, or the config's `profiles` key), if anywhere. */
  source?: string;
}

const connectionShape = z.strictObject({ value: z.string().optional(), params: z.record(z.string(), z.unknown()).optional() });
const profileShape = z.strictObject({
  description: z.string().optional(),
  vars: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'a variable name is letters, digits and _'), z.union([z.string(), z.number(), z.boolean()])).optional(),
  connections: z.record(z.string(), connectionShape).optional(),
});
const profilesShape = z.record(z.string(), profileShape);

/** The profile a command runs under: `chosen` (--profile), else ODIBI_PROFILE, else dev. */
export async function resolveProfile(raw: RawPipeline, chosen?: string, env: NodeJS.ProcessEnv = process.env): Promise<Profile> {
  const explicit = chosen ?? (env.ODIBI_PROFILE || undefined);
  const name = explicit ?? DEFAULT_PROFILE;
  const found = await readProfiles(raw);
  if (!found) {
    if (explicit && explicit !== DEFAULT_PROFILE) {
      throw new ConfigError([{ message: `profile '${name}' is not defined: there is no ${PROFILES_FILE} beside the config, and it has no "profiles" key`, file: raw.file, hint: `create ${PROFILES_FILE} with {"${name}": {"vars": {…}}}` }], raw.file);
    }
    return { name, vars: {}, connections: {} };
  }
  const { profiles, source, line } = found;
  const profile = profiles[name];
  if (!profile) {
    // dev, the default, may be left undefined, even when named (a worker is told the coordinator's profile).
    if (name === DEFAULT_PROFILE) return { name, vars: {}, connections: {}, source };
    const near = closest(name, Object.keys(profiles));
    throw new ConfigError([{ message: `profile '${name}' is not defined in ${source}`, file: source.startsWith(PROFILES_FILE) ? path.join(path.dirname(raw.file), PROFILES_FILE) : raw.file, ...(source.startsWith(PROFILES_FILE) ? {} : { line }), hint: `${near ? `did you mean '${near}'? ` : ''}profiles: ${Object.keys(profiles).join(', ') || '(none)'}` }], raw.file);
  }
  return {
    name, source,
    vars: Object.fromEntries(Object.entries(profile.vars ?? {}).map(([k, v]) => [k, String(v)])),
    connections: profile.connections ?? {},
  };
}

/**
 * The profiles a config sees: its own `profiles` key (what a notebook export writes), then those of
 * odibi.profiles.json beside it, which replace a profile of the same name (the file is the
 * machine's, the key the notebook's defaults).
 */
async function readProfiles(raw: RawPipeline): Promise<{ profiles: z.infer<typeof profilesShape>; source: string; line?: number } | undefined> {
  const keySource = `the "profiles" key of ${path.basename(raw.file)}`;
  const inline = raw.profiles ? parse(raw.profiles.value, raw.file, raw.profiles.line, keySource) : undefined;
  const file = path.join(path.dirname(path.resolve(raw.file)), PROFILES_FILE);
  let text: string | undefined;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new ConfigError([{ message: `cannot read ${PROFILES_FILE}: ${(err as Error).message}`, file }], file);
  }
  if (text === undefined) return inline ? { profiles: inline, source: keySource, line: raw.profiles?.line } : undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new ConfigError([{ message: `malformed JSON: ${(err as Error).message}`, file, hint: `${PROFILES_FILE} is an object of profiles: {"dev": {"vars": {…}}, "prod": {…}}` }], file);
  }
  const own = parse(value, file, undefined, PROFILES_FILE);
  return { profiles: { ...inline, ...own }, source: inline ? `${PROFILES_FILE} or ${keySource}` : PROFILES_FILE };
}

function parse(value: unknown, file: string, line: number | undefined, where: string): z.infer<typeof profilesShape> {
  const r = profilesShape.safeParse(value);
  if (r.success) return r.data;
  throw new ConfigError(r.error.issues.map((i) => ({
    message: `${where}: ${i.path.length ? `${i.path.join('.')}: ` : ''}${i.message}`, file, line,
    hint: 'a profile is {"vars": {"name": "value"}, "connections": {"<connect step>": {"value": "…", "params": {…}}}}',
  })), file);
}
