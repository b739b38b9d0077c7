/**
 * The string inside a kernel's text/plain for a string value, which the kernel shows as Node's REPL
 * does: quoted (`'ab'`, or "…"/`…` when the text has quotes), with escapes, and a multi-line string
 * as `'a\n' + 'b'`. Anything else comes back as it is.
 */
const LITERAL = /^\s*(?:\+\s*)?(['"`])((?:\\[\s\S]|(?!\1)[^\\])*)\1/;

function unescape(body: string): string {
  return body.replace(/\\(u\{[0-9a-fA-F]+\}|u[0-9a-fA-F]{4}|x[0-9a-fA-F]{2}|[\s\S])/g, (_m, e: string) => {
    switch (e[0]) {
      case 'n': return '\n';
      case 't': return '\t';
      case 'r': return '\r';
      case 'b': return '\b';
      case 'f': return '\f';
      case 'v': return '\v';
      case '0': return '\0';
      case 'u': return String.fromCodePoint(parseInt(e.startsWith('u{') ? e.slice(2, -1) : e.slice(1), 16));
      case 'x': return String.fromCharCode(parseInt(e.slice(1), 16));
      default: return e;
    }
  });
}

export function inspectedString(text: string): string {
  let rest = text.trim();
  if (!/^['"`]/.test(rest)) return text;
  let out = '';
  while (rest.length) {
    const m = LITERAL.exec(rest);
    if (!m) return text;
    out += unescape(m[2]);
    rest = rest.slice(m[0].length).trim();
  }
  return out;
}
