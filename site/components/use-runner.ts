'use client';
/** Running code on the page's kernel from a component: outputs as they stream, status, controls. */
import { useCallback, useRef, useState } from 'react';
import type { ShownOutput } from '@/lib/content/outputs';
import { control, execute, type Done } from './kernel-client';
import type { PageKernel } from './page-context';

interface Slot {
  displayId?: string;
  output: ShownOutput;
}

export interface RunOptions {
  /** A check behind the scenes: its outputs come back to the caller, not onto the page. */
  quiet?: boolean;
  /** Run even though the page's kernel changed since this page last used it. */
  force?: boolean;
}

export function useRunner(kernel: PageKernel, initial: ShownOutput[] = []) {
  const { page, token } = kernel;
  const [slots, setSlots] = useState<Slot[]>(initial.map((output) => ({ output })));
  const [running, setRunning] = useState(false);
  const [done, setDone] = useState<Done>();
  const busy = useRef(false);

  const run = useCallback(async (code: string, options: RunOptions = {}): Promise<{ done: Done; outputs: ShownOutput[] }> => {
    if (busy.current) return { done: { status: 'failed', message: 'already running' }, outputs: [] };
    busy.current = true;
    setRunning(true);
    setDone(undefined);
    let local: Slot[] = [];
    if (!options.quiet) setSlots([]);
    try {
      const d = await execute(page, code, { after: token.current, force: options.force }, (output, type, content) => {
        const id = (content.transient as { display_id?: string } | undefined)?.display_id;
        if (type === 'clear_output') local = [];
        else if (type === 'update_display_data' && id) local = local.map((s) => (s.displayId === id ? { displayId: id, output } : s));
        else local = [...local, { displayId: id, output }];
        if (!options.quiet) setSlots(local);
      });
      // A lost kernel keeps its old token until the learner chooses what to run: the notice stays.
      if (d.status !== 'lost' && d.kernel) token.current = d.kernel;
      setDone(d);
      return { done: d, outputs: local.map((s) => s.output) };
    } catch (err) {
      const d: Done = { status: 'failed', message: (err as Error).message };
      setDone(d);
      return { done: d, outputs: [] };
    } finally {
      busy.current = false;
      setRunning(false);
    }
  }, [page, token]);

  const interrupt = useCallback(() => control(page, 'interrupt'), [page]);
  const restart = useCallback(async () => {
    const r = await control(page, 'restart');
    if (r.kernel) token.current = r.kernel;
    setSlots([]);
    setDone(undefined);
  }, [page, token]);

  return { outputs: slots.map((s) => s.output), running, done, run, interrupt, restart, setOutputs: (o: ShownOutput[]) => setSlots(o.map((output) => ({ output }))) };
}

/** What to say about a finished run, if anything (a lost kernel has its own notice). */
export function statusText(done: Done | undefined): string {
  if (!done) return '';
  switch (done.status) {
    case 'ok': return done.executionCount ? `done [${done.executionCount}]` : 'done';
    case 'error': return 'the cell raised an error';
    case 'timeout': return done.message ?? 'stopped: the cell ran past the time limit';
    case 'lost': return 'the kernel restarted';
    case 'busy': return `busy: ${done.message ?? 'try again in a minute'}`;
    default: return `could not run: ${done.message ?? ''}`;
  }
}
