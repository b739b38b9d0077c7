/**
 * What the protocol layer asks of a kernel. The server turns Jupyter requests into these calls and
 * their results into replies; implementations never see sockets or messages.
 */

export type MimeBundle = Record<string, unknown>;

/** Where one execution's outputs go (iopub messages with the request as parent). */
export interface OutputSink {
  stream(name: 'stdout' | 'stderr', text: string): void;
  display(data: MimeBundle, metadata?: Record<string, unknown>, displayId?: string): void;
  updateDisplay(data: MimeBundle, metadata: Record<string, unknown>, displayId: string): void;
  clearOutput(wait?: boolean): void;
}

export interface ErrorResult {
  status: 'error';
  ename: string;
  evalue: string;
  traceback: string[];
}

export type ExecuteResult =
  | { status: 'ok'; /** The cell's value, shown as execute_result. */ data?: MimeBundle; metadata?: Record<string, unknown> }
  | ErrorResult;

export interface CompleteResult {
  matches: string[];
  cursorStart: number;
  cursorEnd: number;
}

export interface InspectResult {
  found: boolean;
  data: MimeBundle;
}

export interface KernelInfo {
  implementation: string;
  implementationVersion: string;
  languageInfo: Record<string, unknown>;
  banner: string;
}

export interface KernelHandler {
  info(): KernelInfo;
  execute(code: string, sink: OutputSink, options: { silent: boolean; executionCount: number }): Promise<ExecuteResult>;
  complete(code: string, cursorPos: number): CompleteResult | Promise<CompleteResult>;
  inspect(code: string, cursorPos: number): InspectResult;
  isComplete(code: string): { status: 'complete' | 'incomplete' | 'invalid' | 'unknown'; indent?: string };
  /** Stop the running execution (SIGINT from the client or an interrupt_request). */
  interrupt(): void;
  shutdown(): Promise<void>;
}
