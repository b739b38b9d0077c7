/**
 * What a running stream reports, besides the run events of each batch: the CLI's live progress,
 * `--json` output, the kernel's `%stream status` and tests all read these.
 */
import type { ErrorInfo } from '../exec/events.js';
import type { StreamMode } from './sources/source.js';

export interface StreamStartEvent {
  type: 'stream_start';
  stream: string;
  stateDir: string;
  sources: { step: string; mode: StreamMode; endpoint?: string }[];
  /** Last batch committed before this start, if any. */
  lastCommitted?: number;
  /** A batch planned but not committed before a crash, replayed first. */
  replaying?: number;
}
export interface BatchStartEvent {
  type: 'batch_start';
  stream: string;
  batchId: number;
  replay: boolean;
  /** Streaming step → files (or snapshots) it reads in this batch. */
  inputs: Record<string, number>;
}
export interface BatchEndEvent {
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
export interface StreamWaitingEvent {
  type: 'stream_waiting';
  stream: string;
  /** Since the last batch (or the start). */
  idleMs: number;
}
export interface StreamLogEvent {
  type: 'stream_log';
  stream: string;
  message: string;
}
export interface StreamEndEvent {
  type: 'stream_end';
  stream: string;
  batches: number;
  reason: 'max_batches' | 'until_idle' | 'stopped' | 'failed';
  error?: ErrorInfo;
}

export type StreamEvent = StreamStartEvent | BatchStartEvent | BatchEndEvent | StreamWaitingEvent | StreamLogEvent | StreamEndEvent;
