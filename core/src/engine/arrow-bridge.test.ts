import { describe, expect, it } from 'vitest';
import { arrowToColumns, columnsToArrow } from './arrow-bridge.js';

describe('columnsToArrow', () => {
  it('keeps values and nulls of every numeric width, and of the other types', () => {
    const table = columnsToArrow({
      schema: [
        { name: 'd', type: 'DOUBLE' }, { name: 'f', type: 'FLOAT' }, { name: 'i8', type: 'TINYINT' }, { name: 'u16', type: 'USMALLINT' },
        { name: 'i32', type: 'INTEGER' }, { name: 'i64', type: 'BIGINT' }, { name: 'u64', type: 'UBIGINT' }, { name: 'dec', type: 'DECIMAL(9,3)' },
        { name: 's', type: 'VARCHAR' }, { name: 'b', type: 'BOOLEAN' },
      ],
      columns: [
        [1.5, null, -2.25], [0.5, 1, null], [-128, null, 127], [65535, 0, null],
        [null, -7, 2147483647], [9007199254740993n, null, -1n], [18446744073709551615n, 0n, null], [1.125, null, 3],
        ['x', null, 'z'], [true, null, false],
      ],
      rowCount: 3,
    });
    expect(table.numRows).toBe(3);
    expect(table.toArray().map((r) => r.toJSON())).toEqual([
      { d: 1.5, f: 0.5, i8: -128, u16: 65535, i32: null, i64: 9007199254740993n, u64: 18446744073709551615n, dec: 1.125, s: 'x', b: true },
      { d: null, f: 1, i8: null, u16: 0, i32: -7, i64: null, u64: 0n, dec: null, s: null, b: null },
      { d: -2.25, f: null, i8: 127, u16: null, i32: 2147483647, i64: -1n, u64: null, dec: 3, s: 'z', b: false },
    ]);
    const back = arrowToColumns(table);
    expect(back.schema.map((c) => c.type)).toEqual(['DOUBLE', 'FLOAT', 'TINYINT', 'USMALLINT', 'INTEGER', 'BIGINT', 'UBIGINT', 'DOUBLE', 'VARCHAR', 'BOOLEAN']);
    expect(back.columns[5]).toEqual([9007199254740993n, null, -1n]);
  });

  it('leaves no validity bitmap on a column without nulls', () => {
    const table = columnsToArrow({ schema: [{ name: 'n', type: 'DOUBLE' }], columns: [[1, 2, 3]], rowCount: 3 });
    expect(table.getChild('n')!.nullCount).toBe(0);
    expect([...table.getChild('n')!]).toEqual([1, 2, 3]);
  });
});
