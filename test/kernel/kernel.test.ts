/**
 * The odibi kernel through real Jupyter clients: jupyter_client (execute results, errors, a
 * 20,000-line flood, interrupts, 300 cells) and nbconvert --execute --allow-errors.
 */
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { REPO } from '../helpers/cli.js';
import { tempDir } from '../helpers/project.js';
import { jupyterEnv } from '../helpers/jupyter.js';

const run = promisify(execFile);
type Output = { type: string; [k: string]: any };
type Scenario = { reply: Record<string, any>; outputs: Output[] };
let r: Record<string, Scenario & Record<string, any>>;

beforeAll(async () => {
  const env = await jupyterEnv();
  const { stdout } = await run('/usr/bin/python3', [path.join(REPO, 'test/kernel/client_checks.py')], { env, maxBuffer: 64 * 1024 * 1024, timeout: 240_000 });
  r = JSON.parse(stdout);
}, 300_000);

const streamText = (s: Scenario, name = 'stdout') => s.outputs.filter((o) => o.type === 'stream' && o.name === name).map((o) => o.text).join('');

describe('odibi kernel over jupyter_client', () => {
  it('sends execute_input and execute_result with the execution count', () => {
    const s = r.value;
    expect(s.reply).toMatchObject({ status: 'ok', execution_count: 1 });
    expect(s.outputs[0]).toMatchObject({ type: 'execute_input', execution_count: 1 });
    expect(s.outputs.find((o) => o.type === 'execute_result')).toMatchObject({ execution_count: 1, data: { 'text/plain': '42' } });
  });

  it('streams stdout and stderr separately', () => {
    expect(streamText(r.stdout)).toBe('hello\n');
    expect(streamText(r.stdout, 'stderr')).toBe('careful\n');
  });

  it('sends a proper error message for a thrown error, and the next cell runs', () => {
    const err = r.runtime_error.outputs.find((o) => o.type === 'error')!;
    expect(err).toMatchObject({ ename: 'RangeError', evalue: 'too far' });
    expect(err.traceback.join('\n')).toContain('RangeError: too far');
    expect(err.traceback.join('\n')).not.toContain('tslab');
    expect(r.runtime_error.reply).toMatchObject({ status: 'error', ename: 'RangeError' });
    expect(r.after_error.reply.status).toBe('ok');
    expect(r.after_error.outputs.find((o) => o.type === 'execute_result')?.data['text/plain']).toBe('43');
  });

  it('reports TypeScript type errors with line and column', () => {
    expect(r.type_error.reply).toMatchObject({ status: 'error', ename: 'TypeScriptError' });
    expect(r.type_error.reply.evalue).toBe("1:7 - Type 'number' is not assignable to type 'string'.");
  });

  it('delivers a 20,000-line print loop complete, in order, and returns to idle', () => {
    const text = streamText(r.flood);
    const lines = text.trimEnd().split('\n');
    expect(lines).toHaveLength(20_000);
    expect(lines[0]).toBe('line 0');
    expect(lines[19_999]).toBe('line 19999');
    // Batched: far fewer messages than lines.
    expect(r.flood.outputs.filter((o) => o.type === 'stream').length).toBeLessThan(200);
  });

  it('delivers 3,000 display messages from one cell, in order', () => {
    const shown = r.display_flood.outputs.filter((o) => o.type === 'display_data').map((o) => o.data['text/plain']);
    expect(shown).toHaveLength(3000);
    expect(shown[0]).toBe('d0');
    expect(shown[2999]).toBe('d2999');
    expect(r.display_flood.reply.status).toBe('ok');
  });

  it('keeps tslab.display working (display_data)', () => {
    expect(r.display.outputs.find((o) => o.type === 'display_data')?.data['text/html']).toBe('<b>bold</b>');
  });

  it('interrupts a busy loop and a pending await, and stays usable', () => {
    expect(r.sync_interrupt.reply.status).toBe('error');
    expect(r.after_sync_interrupt.reply.status).toBe('ok');
    expect(r.after_sync_interrupt.outputs.find((o) => o.type === 'execute_result')?.data['text/plain']).toBe('84');
    expect(r.async_interrupt.reply).toMatchObject({ status: 'error', ename: 'Interrupted' });
    expect(r.after_async_interrupt.outputs.find((o) => o.type === 'execute_result')?.data['text/plain']).toBe("'still alive'");
  });

  it('interrupts a long DuckDB query in a magic, and stays usable', () => {
    expect(r.sql_interrupt.reply).toMatchObject({ status: 'error', ename: 'MagicError' });
    expect(r.sql_interrupt.reply.evalue).toMatch(/^%%sql: (cancelled|.*INTERRUPT)/i);
    expect(r.after_sql_interrupt.reply.status).toBe('ok');
  });

  it('refuses process.exit() in a cell instead of dying', () => {
    expect(r.exit.reply).toMatchObject({ status: 'error' });
    expect(r.exit.reply.evalue).toMatch(/process\.exit\(3\) is disabled/);
    expect(r.after_exit.reply.status).toBe('ok');
  });

  it('completes and inspects TypeScript (tslab)', () => {
    expect(r.complete.status).toBe('ok');
    expect(r.complete.matches).toContain('filter');
    expect(r.inspect).toMatchObject({ status: 'ok', found: true });
    expect(r.inspect.data['text/plain']).toMatch(/max/);
  });

  it('survives an error thrown later by a timer', () => {
    expect(r.after_late_throw.reply.status).toBe('ok');
  });

  it('runs 300 consecutive cells without a hang', () => {
    expect(r.many_cells.ok).toBe(true);
    expect(r.many_cells.counts[1] - r.many_cells.counts[0]).toBe(299);
  });
});

describe('nbconvert --execute', () => {
  it('runs every cell of a notebook with --allow-errors, including those after a failing one', async () => {
    const env = await jupyterEnv();
    const dir = await tempDir();
    const nb = {
      nbformat: 4, nbformat_minor: 5,
      metadata: { kernelspec: { name: 'odibi', display_name: 'ODIBI (TypeScript)', language: 'typescript' } },
      cells: [
        { cell_type: 'code', id: 'a', metadata: {}, execution_count: null, outputs: [], source: 'const n: number = 21;\nn * 2' },
        { cell_type: 'code', id: 'b', metadata: {}, execution_count: null, outputs: [], source: 'throw new Error("expected failure")' },
        { cell_type: 'code', id: 'c', metadata: {}, execution_count: null, outputs: [], source: 'console.log("after", n)' },
      ],
    };
    const file = path.join(dir, 'errors.ipynb');
    await writeFile(file, JSON.stringify(nb));
    await run('/usr/bin/jupyter', ['nbconvert', '--to', 'notebook', '--execute', '--allow-errors', '--output', 'out.ipynb', file], { env, cwd: dir, timeout: 120_000 });
    const out = JSON.parse(await readFile(path.join(dir, 'out.ipynb'), 'utf8'));
    const [a, b, c] = out.cells;
    // nbformat may store multi-line strings as arrays of lines.
    const text = (v: string | string[]) => (Array.isArray(v) ? v.join('') : v);
    expect(a.outputs[0]).toMatchObject({ output_type: 'execute_result', execution_count: 1 });
    expect(text(a.outputs[0].data['text/plain'])).toBe('42');
    expect(b.outputs[0]).toMatchObject({ output_type: 'error', ename: 'Error', evalue: 'expected failure' });
    expect(c.outputs[0]).toMatchObject({ output_type: 'stream', name: 'stdout' });
    expect(text(c.outputs[0].text)).toBe('after 21\n');
  });
});
