'use client';
/** Running code on the page's kernel from a component: outputs as they stream, status, controls. */
import { useCallback, useRef, useState } from 'react';
import type { ShownOutput } from '@/lib/content/outputs';
import { control, execute, type Done } from './kernel-client';

interface Slot {
  displayId?: string;
  output: ShownOutput;
}

export function useRunner(page: string, initial: ShownOutput[] = []) {
  const [slots, setSlots] = useState<Slot[]>(initial.map((output) => ({ output })));
  const [running, setRunning] = useState(false);
  const [done, setDone] = useState<Done>();
  const busy = useRef(false);

  const run = useCallback(async (code: string, options: { quiet?: boolean } = {}): Promise<{ done: Done; outputs: ShownOutput[] }> => {
    if (busy.current) return { done: { status: 'failed', message: 'already running' }, outputs: [] };
    busy.current = true;
    setRunning(true);
    setDone(undefined);
    // quiet: a check behind the scenes; its outputs come back to the caller, not onto the page.
    let local: Slot[] = [];
    if (!options.quiet) setSlots([]);
    try {
      const d = await execute(page, code, (output, type, content) => {
        const id = (content.transient as { display_id?: string } | undefined)?.display_id;
        if (type === 'clear_output') local = [];
        else if (type === 'update_display_data' && id) local = local.map((s) => (s.displayId === id ? { displayId: id, output } : s));
        else local = [...local, { displayId: id, output }];
        if (!options.quiet) setSlots(local);
      });
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
  }, [page]);

  const interrupt = useCallback(() => control(page, 'interrupt'), [page]);
  const restart = useCallback(async () => {
    await control(page, 'restart');
    setSlots([]);
    setDone(undefined);
  }, [page]);

  return { outputs: slots.map((s) => s.output), running, done, run, interrupt, restart, setOutputs: (o: ShownOutput[]) => setSlots(o.map((output) => ({ output }))) };
}

/** What to say about a finished run, if anything. */
export function statusText(done: Done | undefined): string {
  if (!done) return '';
  switch (done.status) {
    case 'ok': return done.executionCount ? `done [${done.executionCount}]` : 'done';
    case 'error': return 'the cell raised an error';
    case 'timeout': return 'stopped: the cell ran past the time limit';
    case 'busy': return `busy, try again: ${done.message ?? ''}`;
    default: return `could not run: ${done.message ?? ''}`;
  }
}
