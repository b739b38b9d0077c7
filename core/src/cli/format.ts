/** Small text helpers for human CLI output; colour only on a TTY and never with NO_COLOR. */
import { styleText } from 'node:util';

type Style = Parameters<typeof styleText>[0];

export function painter(stream: NodeJS.WriteStream): (style: Style, text: string) => string {
  const color = !!stream.isTTY && !process.env.NO_COLOR && process.env.TERM !== 'dumb';
  return (style, text) => (color ? styleText(style, text) : text);
}

export function duration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
  const m = Math.floor(ms / 60_000);
  return `${m}m${Math.round((ms % 60_000) / 1000)}s`;
}

/** 1234567 → "1,234,567". Not toLocaleString: loading ICU for it costs ~14 ms of every command's start. */
export function count(n: number): string {
  if (!Number.isInteger(n)) return String(n);
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/**
 * What a step did to rows, in a few words: "1,200 → 1,150 rows"; an output kept as a view
 * (fusion) was never counted, so it says who reads it instead.
 */
export function rowsSummary(rowsIn: number | null, rowsOut: number | null, outputs: readonly { inlinedInto?: string }[]): string {
  if (rowsOut === null) {
    const into = outputs.find((o) => o.inlinedInto)?.inlinedInto;
    return into ? `fused into ${into}` : 'not counted';
  }
  return `${rowsIn === null ? 'fused' : count(rowsIn)} → ${count(rowsOut)} rows`;
}

export function pad(text: string, width: number): string {
  return text.length >= width ? text : text + ' '.repeat(width - text.length);
}

export function plural(n: number, word: string): string {
  return `${count(n)} ${word}${n === 1 ? '' : 's'}`;
}
