import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { StepConfig } from '../config/model.js';
import { createPlan } from '../graph/plan.js';
import { stepConfig } from '../testing/step-config.js';
import { probePartitions } from './partition-probe.js';

const dirs: string[] = [];
afterEach(async () => Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true }))));

async function probe(files: Record<string, string>, after: { name: string; sql: string }[], params: Record<string, unknown> = { partition: 'files' }) {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'odibi-probe-'));
  dirs.push(dir);
  for (const [name, text] of Object.entries(files)) await writeFile(path.join(dir, name), text);
  const steps: StepConfig[] = [stepConfig('ingest', 'load', { value: '*.csv', writes: ['d0'], params })];
  after.forEach((s, i) => steps.push({ ...stepConfig('transform', s.name, { reads: [`d${i}`], writes: [`d${i + 1}`] }), value: s.sql.replaceAll('$in', `d${i}`) }));
  steps.push(stepConfig('store', 'save', { reads: [`d${after.length}`], value: 'out.csv' }));
  const notes: string[] = [];
  const groups = await probePartitions(createPlan({ name: 't', file: path.join(dir, 'p.json'), baseDir: dir, steps, secrets: [] }), { note: (m) => notes.push(m) });
  return { groups, notes, dir };
}

describe('probePartitions', () => {
  it("gives every part the glob's column types, and follows the chain while DuckDB's plan is row by row", async () => {
    const { groups, dir } = await probe({ 'a.csv': 'x,y\n1,p\n', 'b.csv': 'x,y\n2.5,q\n', 'c.csv': 'x,y\n3,r\n' }, [
      { name: 'f', sql: 'SELECT x * 2 AS x2, upper(y) AS y FROM $in WHERE x > 0' },
      { name: 'u', sql: 'SELECT unnest([x2, x2]) AS v, y FROM $in' },
      { name: 'w', sql: 'SELECT *, row_number() OVER () AS i FROM $in' },
    ]);
    expect(groups).toHaveLength(1);
    const [g] = groups;
    expect(g.chain).toEqual(['f', 'u']);
    expect(g.stop).toBe('w is not row by row (WINDOW)');
    expect(g.parts.map((p) => p.files.map((f) => path.relative(dir, f)))).toEqual([['a.csv'], ['b.csv'], ['c.csv']]);
    // a.csv alone sniffs x as BIGINT; the glob says DOUBLE, and every part is told so.
    expect(g.parts[0].options).toEqual({ types: { x: 'DOUBLE', y: 'VARCHAR' } });
    expect(g.keys).toEqual(['d0', 'd1', 'd2']);
    expect(g.end).toBe('d2');
  });

  it.each([
    ['an aggregate', 'SELECT count(*) AS n FROM $in', 'UNGROUPED_AGGREGATE'],
    ['DISTINCT', 'SELECT DISTINCT x FROM $in', 'HASH_GROUP_BY'],
    ['a sort', 'SELECT * FROM $in ORDER BY x', 'ORDER_BY'],
    ['a LIMIT', 'SELECT * FROM $in LIMIT 1', 'STREAMING_LIMIT'],
    ['a self-join', 'SELECT a.x FROM $in a JOIN $in b USING (x)', 'HASH_JOIN'],
    ['a file read inside the SQL', "SELECT * FROM $in UNION ALL SELECT * FROM read_csv('a.csv')", 'UNION'],
  ])('stops the chain at %s', async (_what, sql, op) => {
    const { groups } = await probe({ 'a.csv': 'x\n1\n', 'b.csv': 'x\n2\n' }, [{ name: 's', sql }]);
    expect(groups[0].chain).toEqual([]);
    expect(groups[0].stop).toBe(`s is not row by row (${op})`);
  });

  it('puts N files in a part, and reads a single file whole, with a note', async () => {
    const three = await probe({ 'a.csv': 'x\n1\n', 'b.csv': 'x\n2\n', 'c.csv': 'x\n3\n' }, [], { partition: 'files', partition_size: 2 });
    expect(three.groups[0].parts.map((p) => p.files.length)).toEqual([2, 1]);
    expect(three.notes[0]).toMatch(/^load fans out over 3 files in 2 parts: load runs per part \(then save is a sink\)$/);
    const one = await probe({ 'a.csv': 'x\n1\n' }, []);
    expect(one.groups).toEqual([]);
    expect(one.notes[0]).toMatch(/^load reads its input whole: .*a?\*\.csv matches 1 file$/);
  });
});
