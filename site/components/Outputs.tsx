'use client';
/** A cell's outputs: HTML tables, SVG charts, text and errors. Shared by saved and live outputs. */
import type { ShownOutput } from '@/lib/content/outputs';
import { SafeHtml } from './SafeHtml';

export function Outputs({ outputs }: { outputs: ShownOutput[] }) {
  if (!outputs.length) return null;
  return (
    <div className="outputs" role="log" aria-label="cell output" aria-live="polite">
      {outputs.map((o, i) => {
        switch (o.kind) {
          case 'html':
            return <SafeHtml key={i} className="output-html" html={o.html} />;
          case 'svg':
            // As an image, an SVG's scripts never run. Shown at its own size (a DAG's labels stay
            // legible on a phone); the frame scrolls when it is wider than the page.
            return (
              <div key={i} className="output-svg-frame" tabIndex={0} role="region" aria-label={`${o.alt.split('\n')[0].slice(0, 80)} (scrolls)`}>
                <img className="output-svg" alt={o.alt} src={`data:image/svg+xml;charset=utf-8,${encodeURIComponent(o.svg)}`} />
              </div>
            );
          case 'text':
            return <pre key={i} className={o.stream === 'stderr' ? 'output-text stderr' : 'output-text'}>{o.text}</pre>;
          case 'error':
            return (
              <div key={i} className="output-error" role="alert">
                <strong>{o.ename}</strong>: {o.evalue}
                {o.traceback && o.traceback !== `${o.ename}: ${o.evalue}` ? <pre>{o.traceback}</pre> : null}
              </div>
            );
        }
      })}
    </div>
  );
}
