/** Code highlighting for cells (browser and server): TypeScript, and a %%sql cell's body as SQL. */
import hljs from 'highlight.js/lib/core';
import bash from 'highlight.js/lib/languages/bash';
import sql from 'highlight.js/lib/languages/sql';
import typescript from 'highlight.js/lib/languages/typescript';

hljs.registerLanguage('typescript', typescript);
hljs.registerLanguage('sql', sql);
hljs.registerLanguage('bash', bash);

const escape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export function highlight(source: string): string {
  const magic = /^(%%?\w+)([^\n]*)(\n?)/.exec(source);
  if (!magic) return hljs.highlight(source, { language: 'typescript' }).value;
  const head = `<span class="hljs-meta">${escape(magic[1])}</span>${escape(magic[2])}${magic[3]}`;
  const body = source.slice(magic[0].length);
  const language = magic[1] === '%%sql' ? 'sql' : magic[1] === '%%ts' ? 'typescript' : magic[1] === '%%chart' ? 'typescript' : 'bash';
  return head + (body ? hljs.highlight(body, { language }).value : '');
}
