/**
 * What a running stream reports, besides the run events of each batch: the CLI's live progress,
 * `--json` output, the kernel's `%stream status` and tests all read these.
 */
import type { ErrorInfo } from '../exec/events.js';

interface StreamEventBase {
  /** ISO-8601 time the event was emitted. */
  timestamp: string;
}
import type { StreamMode } from './sources/source.js';

export interface StreamStartEvent extends StreamEventBase {
  type: 'stream_start';
  stream: string;
  stateDir: string;
  sources: { step: string; mode: StreamMode; endpoint?: string }[];
  /** Last batch committed before this start, if any. */
  lastCommitted?: number;
  /** A batch planned but not committed before a crash, replayed first. */
  replaying?: number;
}
export interface BatchStartEvent extends StreamEventBase {
  type: 'batch_start';
  stream: string;
  batchId: number;
  replay: boolean;
  /** Streaming step → files (or snapshots) it reads in this batch. */
  inputs: Record<string, number>;
}
export interface BatchEndEvent extends StreamEventBase {
  type: 'batch_end';
  stream: string;
  batchId: number;
  replay: boolean;
  status: 'success' | 'failed';
  runId: string;
  /** Rows the streaming steps read. */
  rowsIn: number;
  /** Rows the sinks (store, publish) wrote. */
  rowsOut: number;
  durationMs: number;
  /** From the input becoming available to the batch's commit. */
  lagMs?: number;
  error?: ErrorInfo;
}
export interface StreamWaitingEvent extends StreamEventBase {
  type: 'stream_waiting';
  stream: string;
  /** Since the last batch (or the start). */
  idleMs: number;
}
export interface StreamLogEvent extends StreamEventBase {
  type: 'stream_log';
  stream: string;
  message: string;
}
/** A subscriber (a display, a log sink) threw; the stream goes on. */
export interface StreamHookErrorEvent extends StreamEventBase {
  type: 'hook_error';
  error: ErrorInfo;
}
export interface StreamEndEvent extends StreamEventBase {
  type: 'stream_end';
  stream: string;
  batches: number;
  reason: 'max_batches' | 'until_idle' | 'stopped' | 'failed';
  error?: ErrorInfo;
}

export type StreamEvent = StreamStartEvent | BatchStartEvent | BatchEndEvent | StreamWaitingEvent | StreamLogEvent | StreamHookErrorEvent | StreamEndEvent;
/** A stream event before the bus stamps it. */
export type StreamEventDraft = StreamEvent extends infer E ? (E extends StreamEvent ? Omit<E, 'timestamp'> : never) : never;
