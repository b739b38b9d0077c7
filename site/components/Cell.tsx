'use client';
/**
 * An executable cell: editable code, run on the page's odibi kernel (Run, or Ctrl/Shift+Enter in
 * the editor), outputs streamed in as they come; interrupt, restart the kernel, reset the code.
 */
import { useEffect, useId, useMemo, useRef, useState, type KeyboardEvent } from 'react';
import { highlight } from '@/lib/content/highlight';
import type { ShownOutput } from '@/lib/content/outputs';
import { KernelNotice } from './KernelNotice';
import { Outputs } from './Outputs';
import { usePage } from './page-context';
import { statusText, useRunner } from './use-runner';

export interface CellProps {
  code: string;
  /** Saved outputs shown until the cell is run (notebooks). */
  outputs?: ShownOutput[];
  /** The cell is meant to fail (a lesson about errors). */
  expectError?: boolean;
  label?: string;
}

export function Cell({ code, outputs, expectError, label }: CellProps) {
  const kernel = usePage();
  const [src, setSrc] = useState(code);
  const runner = useRunner(kernel, outputs);
  const id = useId();
  const self = useRef<HTMLElement>(null);
  // The latest code, for "run the cells above" started from another cell.
  const latest = useRef(src);
  latest.current = src;
  const { run } = runner;
  useEffect(() => {
    const el = self.current;
    return el ? kernel.register(el, async (o) => (await run(latest.current, o)).done) : undefined;
  }, [kernel, run]);
  const runAboveThenThis = async () => {
    if (self.current && (await kernel.runAbove(self.current))) await runner.run(src, { force: true });
  };
  const onKey = (e: KeyboardEvent<HTMLTextAreaElement>) => {
    if (e.key === 'Enter' && (e.ctrlKey || e.shiftKey || e.metaKey)) {
      e.preventDefault();
      void runner.run(src);
    }
  };
  const rows = Math.min(24, Math.max(1, src.split('\n').length));
  const [editing, setEditing] = useState(false);
  const editor = useRef<HTMLTextAreaElement>(null);
  const html = useMemo(() => highlight(src), [src]);
  const edit = () => {
    setEditing(true);
    requestAnimationFrame(() => editor.current?.focus());
  };
  return (
    <section ref={self} className="cell" aria-label={label ?? 'code cell'} data-expect-error={expectError ? 'true' : undefined}>
      {editing ? (
        <>
          <label htmlFor={id} className="visually-hidden">Code (Ctrl+Enter or Shift+Enter runs it)</label>
          <textarea id={id} ref={editor} className="cell-code" value={src} rows={rows} spellCheck={false} onChange={(e) => setSrc(e.target.value)} onKeyDown={onKey} />
        </>
      ) : (
        <pre className="cell-code hljs" onDoubleClick={edit}><code dangerouslySetInnerHTML={{ __html: html }} /></pre>
      )}
      <div className="cell-toolbar">
        <button type="button" className="run" onClick={() => void runner.run(src)} disabled={runner.running}>{runner.running ? 'Running…' : 'Run'}</button>
        <button type="button" onClick={() => (editing ? setEditing(false) : edit())}>{editing ? 'Done editing' : 'Edit'}</button>
        <button type="button" onClick={() => void runner.interrupt()} disabled={!runner.running}>Interrupt</button>
        <button type="button" onClick={() => void runner.restart()} disabled={runner.running} title="a fresh kernel for this page: everything defined so far is forgotten">Restart kernel</button>
        {src !== code ? <button type="button" onClick={() => setSrc(code)}>Reset code</button> : null}
        <span className="cell-status" role="status">{runner.running ? 'running…' : statusText(runner.done)}</span>
      </div>
      {runner.done?.status === 'lost' ? <KernelNotice message={runner.done.message ?? ''} busy={runner.running} onRunAbove={() => void runAboveThenThis()} onRunThis={() => void runner.run(src, { force: true })} /> : null}
      <Outputs outputs={runner.outputs} />
    </section>
  );
}
