'use client';
/**
 * An exercise: a prompt, starter code the learner edits and runs, hints revealed one at a time, a
 * solution, and a check that runs on the kernel after the learner's code and says pass or fail.
 * The check is TypeScript whose value is JSON.stringify({ pass, message }). A pass is kept in the
 * learner's progress.
 */
import { useId, useRef, useState, type KeyboardEvent, type ReactNode } from 'react';
import { KernelNotice } from './KernelNotice';
import { inspectedString } from '@/lib/content/inspected';
import { markPassed, useProgress } from './progress';
import { Outputs } from './Outputs';
import { usePage } from './page-context';
import { statusText, useRunner } from './use-runner';

export interface ExerciseProps {
  id: string;
  title?: string;
  starter: string;
  solution: string;
  check: string;
  hints?: string[];
  children?: ReactNode;
}

type Verdict = { pass: boolean; message: string };

export function Exercise({ id, title, starter, solution, check, hints = [], children }: ExerciseProps) {
  const kernel = usePage();
  const [src, setSrc] = useState(starter);
  const [shownHints, setShownHints] = useState(0);
  const [verdict, setVerdict] = useState<Verdict>();
  const [checking, setChecking] = useState(false);
  const runner = useRunner(kernel);
  const self = useRef<HTMLElement>(null);
  const progress = useProgress();
  const editorId = useId();
  const headingId = useId();

  const runCode = () => runner.run(src);
  const doCheck = async (force = false) => {
    setChecking(true);
    setVerdict(undefined);
    try {
      const mine = await runner.run(src, { force });
      if (mine.done.status === 'lost') return;
      if (mine.done.status !== 'ok') {
        setVerdict({ pass: false, message: 'Your code did not run cleanly: fix the error above, then check again.' });
        return;
      }
      const { done, outputs } = await runner.run(check, { quiet: true });
      // The check's value is a JSON string, shown by the kernel as Node shows strings ('…').
      const text = inspectedString(outputs.map((o) => (o.kind === 'text' ? o.text : o.kind === 'error' ? `${o.ename}: ${o.evalue}` : '')).join('').trim());
      let v: Verdict;
      try {
        v = done.status === 'ok' ? (JSON.parse(text) as Verdict) : { pass: false, message: text || statusText(done) };
      } catch {
        v = { pass: false, message: `The check did not say pass or fail (${text.slice(0, 200)})` };
      }
      setVerdict(v);
      if (v.pass) markPassed(id);
    } finally {
      setChecking(false);
    }
  };
  const onKey = (e: KeyboardEvent<HTMLTextAreaElement>) => {
    if (e.key === 'Enter' && (e.ctrlKey || e.shiftKey || e.metaKey)) {
      e.preventDefault();
      void runCode();
    }
  };
  const passedBefore = !!progress?.passed[id];
  return (
    <section ref={self} className="exercise" aria-labelledby={headingId} data-exercise={id}>
      <h3 id={headingId}>Exercise{title ? `: ${title}` : ''} {passedBefore ? <span className="badge pass" aria-label="passed">✓ passed</span> : null}</h3>
      <div className="exercise-prompt">{children}</div>
      <label htmlFor={editorId} className="visually-hidden">Your code (Ctrl+Enter runs it)</label>
      <textarea id={editorId} className="cell-code" value={src} rows={Math.min(24, Math.max(3, src.split('\n').length))} spellCheck={false} onChange={(e) => setSrc(e.target.value)} onKeyDown={onKey} />
      <div className="cell-toolbar">
        <button type="button" className="run" onClick={() => void runCode()} disabled={runner.running}>Run</button>
        <button type="button" className="check" onClick={() => void doCheck()} disabled={runner.running || checking}>{checking ? 'Checking…' : 'Check'}</button>
        {shownHints < hints.length ? <button type="button" onClick={() => setShownHints(shownHints + 1)}>Hint ({shownHints + 1}/{hints.length})</button> : null}
        <button type="button" onClick={() => setSrc(solution)}>Show solution</button>
        {src !== starter ? <button type="button" onClick={() => setSrc(starter)}>Reset</button> : null}
        <span className="cell-status" role="status">{runner.running ? 'running…' : ''}</span>
      </div>
      {shownHints > 0 ? <ol className="hints" aria-label="hints">{hints.slice(0, shownHints).map((h, i) => <li key={i}>{h}</li>)}</ol> : null}
      {runner.done?.status === 'lost' ? (
        <KernelNotice message={runner.done.message ?? ''} busy={runner.running || checking}
          onRunAbove={() => void (async () => { if (self.current && (await kernel.runAbove(self.current))) await doCheck(true); })()}
          onRunThis={() => void doCheck(true)} />
      ) : null}
      {verdict ? <p className={verdict.pass ? 'verdict pass' : 'verdict fail'} role="status">{verdict.pass ? '✓ Passed: ' : '✗ Not yet: '}{verdict.message}</p> : null}
      <Outputs outputs={runner.outputs} />
    </section>
  );
}
