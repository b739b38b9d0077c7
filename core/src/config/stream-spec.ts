/**
 * `params.stream` of an ingest step: which of the streaming modes it uses and their settings,
 * checked once (at validation, so `odibi validate` reports them with the step's file:line) and
 * turned into a typed spec.
 */
import * as z from 'zod';
import type { StepConfig } from './model.js';
import { parseDuration } from '../shared/duration.js';

export type StreamSpec =
  | { mode: 'file_watch'; pattern: string; settleMs: number; maxFiles?: number }
  | { mode: 'incremental'; watermarkColumn: string; latenessMs: number }
  | { mode: 'interval'; everyMs: number }
  | { mode: 'event'; port: number; path: string }
  | { mode: 'redis'; stream: string; group: string; consumer: string; maxEntries: number; start: 'first' | 'new' }
  | { mode: 'nats'; stream: string; subject: string; durable: string; maxMessages: number };

export const STREAM_MODES = ['file_watch', 'incremental', 'interval', 'event', 'redis', 'nats'] as const;

/** Modes whose step's value names a broker (a Redis or NATS URL), not a file. */
export const BROKER_MODES: ReadonlySet<string> = new Set(['redis', 'nats']);

const duration = (what: string) => z.union([z.string(), z.number()]).transform((v, ctx) => {
  try {
    return parseDuration(v, what);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: (err as Error).message });
    return z.NEVER;
  }
});

const schema = z.discriminatedUnion('mode', [
  z.object({ mode: z.literal('file_watch'), pattern: z.string().min(1).default('*'), settle_ms: duration('settle_ms').default(0), max_files: z.number().int().min(1).optional() }).strict(),
  z.object({ mode: z.literal('incremental'), watermark_column: z.string().min(1), lateness: duration('lateness').default(0) }).strict(),
  z.object({ mode: z.literal('interval'), every: duration('every') }).strict(),
  z.object({ mode: z.literal('event'), port: z.number().int().min(0).max(65535).default(0), path: z.string().startsWith('/').default('/events') }).strict(),
  z.object({
    mode: z.literal('redis'), stream: z.string().min(1), group: z.string().min(1), consumer: z.string().min(1).default('odibi'),
    max_entries: z.number().int().min(1).default(10_000), start: z.enum(['first', 'new']).default('first'),
  }).strict(),
  z.object({ mode: z.literal('nats'), stream: z.string().min(1), subject: z.string().min(1), durable: z.string().min(1).regex(/^[^.*>\s]+$/, 'a durable name has no dots, wildcards or spaces'), max_messages: z.number().int().min(1).default(10_000) }).strict(),
], { error: (issue) => (issue.code === 'invalid_union' ? `mode must be one of ${STREAM_MODES.join(', ')}` : undefined) });

const HINTS: Record<string, string> = {
  file_watch: '{"mode": "file_watch", "pattern": "*.csv", "settle_ms": 500, "max_files": 100}: value is the folder to watch',
  incremental: '{"mode": "incremental", "watermark_column": "ts", "lateness": "10m"}',
  interval: '{"mode": "interval", "every": "30s"}',
  event: '{"mode": "event", "port": 8787}: POST JSON records to http://127.0.0.1:8787/events',
  redis: '{"mode": "redis", "stream": "readings", "group": "odibi"}: value is the Redis URL (redis://host:6379)',
  nats: '{"mode": "nats", "stream": "READINGS", "subject": "readings.>", "durable": "odibi"}: value is the NATS URL (nats://host:4222)',
};

export interface StreamSpecProblem {
  message: string;
  hint: string;
}

/** The step's stream spec, or the problems with it. Only ingest steps stream. */
export function parseStreamSpec(step: Pick<StepConfig, 'layer' | 'params'>): { spec?: StreamSpec; problems: StreamSpecProblem[] } {
  const raw = step.params.stream;
  if (raw === undefined) return { problems: [] };
  if (step.layer !== 'ingest') return { problems: [{ message: 'params.stream is only for ingest steps', hint: 'move params.stream to the ingest step that reads the growing source' }] };
  const mode = typeof raw === 'object' && raw !== null ? String((raw as Record<string, unknown>).mode ?? '') : '';
  const hint = HINTS[mode] ?? `params.stream.mode is one of ${STREAM_MODES.join(', ')}, e.g. ${HINTS.file_watch}`;
  const r = schema.safeParse(raw);
  if (!r.success) {
    return { problems: r.error.issues.map((i) => ({ message: `params.stream${i.path.length ? `.${i.path.join('.')}` : ''}: ${i.message}`, hint })) };
  }
  const s = r.data;
  switch (s.mode) {
    case 'file_watch': return { spec: { mode: s.mode, pattern: s.pattern, settleMs: s.settle_ms, ...(s.max_files ? { maxFiles: s.max_files } : {}) }, problems: [] };
    case 'incremental': return { spec: { mode: s.mode, watermarkColumn: s.watermark_column, latenessMs: s.lateness }, problems: [] };
    case 'interval': return { spec: { mode: s.mode, everyMs: s.every }, problems: [] };
    case 'event': return { spec: { mode: s.mode, port: s.port, path: s.path }, problems: [] };
    case 'redis': return { spec: { mode: s.mode, stream: s.stream, group: s.group, consumer: s.consumer, maxEntries: s.max_entries, start: s.start }, problems: [] };
    case 'nats': return { spec: { mode: s.mode, stream: s.stream, subject: s.subject, durable: s.durable, maxMessages: s.max_messages }, problems: [] };
  }
}

/** The spec of a step already validated. */
export function streamSpecOf(step: StepConfig): StreamSpec | undefined {
  return parseStreamSpec(step).spec;
}
