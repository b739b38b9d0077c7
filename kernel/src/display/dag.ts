/**
 * `%dag` as a notebook shows it: the SVG scaled to the output area's width, but never below three
 * quarters of its size (its 12 px labels stay at 9 px or more) and never above it; a graph wider
 * than that scrolls sideways. The plain SVG stays in the bundle for nbconvert, GitHub and the
 * site, which draws it at its own size in a scrolling frame.
 */
import type { MimeBundle } from '../protocol/handler.js';

const MIN_SCALE = 0.75;

export function dagBundle(svg: string, mermaid: string): MimeBundle {
  const width = Number(/<svg[^>]*\swidth="([\d.]+)"/.exec(svg)?.[1] ?? 0);
  const fluid = svg.replace(/<svg([^>]*?)\swidth="[\d.]+"\s+height="[\d.]+"/, '<svg$1 style="display:block;width:100%;height:auto"');
  const html = width
    ? `<div class="odibi-dag" style="overflow-x:auto;max-width:100%"><div style="width:100%;min-width:${Math.round(width * MIN_SCALE)}px;max-width:${width}px">${fluid}</div></div>`
    : svg;
  return { 'text/html': html, 'image/svg+xml': svg, 'text/plain': mermaid };
}
