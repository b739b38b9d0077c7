import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readSqlStructure, readSqlStructures, type QueryFn } from './structure.js';

let query: QueryFn;
let close: () => void;
beforeAll(async () => {
  const inst = await DuckDBInstance.create(':memory:');
  const conn = await inst.connect();
  query = async (sql) => (await conn.runAndReadAll(sql)).getRowObjectsJS() as Record<string, unknown>[];
  close = () => {
    conn.closeSync();
    inst.closeSync();
  };
});
afterAll(() => close());

const tables = async (sql: string) => {
  const s = await readSqlStructure(query, sql);
  if (!s.ok) throw new Error(s.message);
  return s.tables.map((t) => (t.schema ? `${t.schema}.${t.name}` : t.name));
};

describe('readSqlStructure', () => {
  it('finds the tables of FROM, JOIN, subqueries and set operations, quoted names too', async () => {
    expect(await tables('SELECT * FROM a JOIN "Silver Readings" s USING (id) WHERE x IN (SELECT y FROM b) UNION ALL SELECT * FROM (SELECT * FROM c) q')).toEqual(['a', 'Silver Readings', 'b', 'c']);
    expect(await tables('SELECT * FROM main.t, other.u')).toEqual(['main.t', 'other.u']);
  });

  it('never counts aliases, literals, columns or table functions', async () => {
    expect(await tables("SELECT count(*) AS readings, 'revenue' AS total, devices FROM orders o WHERE o.status = 'gold'")).toEqual(['orders']);
    expect(await tables("SELECT * FROM read_csv('readings.csv')")).toEqual([]);
  });

  it('leaves out CTE names where they are in scope, and keeps a real table the CTE body reads', async () => {
    expect(await tables('WITH t AS (SELECT * FROM base) SELECT * FROM t JOIN t2 ON true')).toEqual(['base', 't2']);
    expect(await tables('WITH readings AS (SELECT * FROM readings WHERE ok) SELECT * FROM readings')).toEqual(['readings']);
    expect(await tables('WITH a AS (SELECT 1), b AS (SELECT * FROM a) SELECT * FROM b')).toEqual([]);
    expect(await tables('WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 3) SELECT * FROM r')).toEqual([]);
    expect(await tables('SELECT * FROM (WITH inner_t AS (SELECT 1) SELECT * FROM inner_t) JOIN inner_t ON true')).toEqual(['inner_t']);
  });

  it('reports a syntax error with its line and column', async () => {
    expect(await readSqlStructure(query, 'SELECT 1\nFROM x\nWHER y = 1')).toMatchObject({ ok: false, message: expect.stringMatching(/syntax error at or near "y"/), line: 3, column: 6 });
    expect(await readSqlStructure(query, 'SELEC 1')).toMatchObject({ ok: false, line: 1, column: 1 });
  });

  it('names the table functions a statement calls, and parses many statements in one query as it parses each', async () => {
    const sqls = ["SELECT * FROM READ_CSV('a.csv') JOIN range(3) r ON true", 'SELECT 1 FROM t', 'SELEC 1'];
    const many = await readSqlStructures(query, sqls);
    for (const sql of sqls) expect(many.get(sql)).toEqual(await readSqlStructure(query, sql));
    expect(many.get(sqls[0])).toMatchObject({ ok: true, tableFunctions: ['read_csv', 'range'] });
  });

  it('gives each table its position', async () => {
    const s = await readSqlStructure(query, 'SELECT *\nFROM a\n  JOIN b ON true');
    expect(s.ok && s.tables).toEqual([{ name: 'a', line: 2, column: 6 }, { name: 'b', line: 3, column: 8 }]);
  });
});
