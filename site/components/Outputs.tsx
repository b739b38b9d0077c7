/** A cell's outputs: HTML tables, SVG charts, text and errors. Shared by saved and live outputs. */
import type { ShownOutput } from '@/lib/content/outputs';

export function Outputs({ outputs }: { outputs: ShownOutput[] }) {
  if (!outputs.length) return null;
  return (
    <div className="outputs" role="log" aria-label="cell output" aria-live="polite">
      {outputs.map((o, i) => {
        switch (o.kind) {
          case 'html':
            return <div key={i} className="output-html" dangerouslySetInnerHTML={{ __html: o.html }} />;
          case 'svg':
            return <img key={i} className="output-svg" alt={o.alt} src={`data:image/svg+xml;charset=utf-8,${encodeURIComponent(o.svg)}`} />;
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
