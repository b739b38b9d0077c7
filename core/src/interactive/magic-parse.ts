/** Splits a cell into a magic invocation: `%name args` (line) or `%%name args` + body (cell). */

export interface MagicCall {
  kind: 'line' | 'cell';
  name: string;
  args: string[];
  /** The cell body after the first line (cell magics only). */
  body: string;
}

/** Shell-like words: spaces separate, single or double quotes group. */
export function splitArgs(text: string): string[] {
  const out: string[] = [];
  const re = /"((?:[^"\\]|\\.)*)"|'([^']*)'|(\S+)/g;
  for (let m = re.exec(text); m; m = re.exec(text)) out.push(m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : (m[2] ?? m[3]));
  return out;
}

/** The magic a cell starts with, or undefined for a TypeScript cell. Leading blank lines are ignored. */
export function parseMagic(code: string): MagicCall | undefined {
  const text = code.replace(/^\s*\n/, '');
  const m = /^(%%?)([A-Za-z_][\w-]*)([^\n]*)(?:\n([\s\S]*))?$/.exec(text.trimStart());
  if (!m) return undefined;
  return { kind: m[1] === '%%' ? 'cell' : 'line', name: m[2], args: splitArgs(m[3]), body: m[4] ?? '' };
}
