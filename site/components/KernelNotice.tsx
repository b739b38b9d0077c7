'use client';
/**
 * Said when the page's kernel is not the one the cells above ran on (it restarted, ran out of
 * memory, was shut down while idle): why, and the two ways on.
 */
export function KernelNotice({ message, onRunAbove, onRunThis, busy }: { message: string; onRunAbove: () => void; onRunThis: () => void; busy: boolean }) {
  return (
    <div className="kernel-notice" role="alert">
      <p>{message}</p>
      <button type="button" className="run" onClick={onRunAbove} disabled={busy}>Run the cells above, then this one</button>
      <button type="button" onClick={onRunThis} disabled={busy}>Run only this cell</button>
    </div>
  );
}
