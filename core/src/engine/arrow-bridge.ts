/**
 * Conversions for TypeScript function steps: DuckDB columns → apache-arrow Tables (what user
 * functions receive) and Arrow Tables → DuckDB columns (what they return). Only function steps pay
 * for this (and for loading apache-arrow); SQL steps never leave DuckDB.
 */
import {
  Bool, DateDay, Float32, Float64, Int16, Int32, Int64, Int8, Table, TimestampMillisecond,
  Uint16, Uint32, Uint64, Uint8, Utf8, Type, vectorFromArray, type DataType, type Vector,
} from 'apache-arrow';
import type { ColumnSchema, JsColumns } from './duckdb-engine.js';
import { arrowTypeName, type ArrowTypeName } from './type-names.js';

const ARROW_TYPES: Record<ArrowTypeName, () => DataType> = {
  Bool: () => new Bool(), Int8: () => new Int8(), Int16: () => new Int16(), Int32: () => new Int32(), Int64: () => new Int64(),
  Uint8: () => new Uint8(), Uint16: () => new Uint16(), Uint32: () => new Uint32(), Uint64: () => new Uint64(),
  Float32: () => new Float32(), Float64: () => new Float64(), DateDay: () => new DateDay(),
  TimestampMillisecond: () => new TimestampMillisecond(), Utf8: () => new Utf8(),
};

function arrowTypeFor(duckType: string): DataType {
  return ARROW_TYPES[arrowTypeName(duckType)]();
}

function toArrowValue(v: unknown, type: DataType): unknown {
  if (v === null || v === undefined) return null;
  switch (type.typeId) {
    case Type.Float:
      return typeof v === 'bigint' ? Number(v) : typeof v === 'number' ? v : Number(v);
    case Type.Int:
      return (type as Int64).bitWidth === 64 ? BigInt(v as bigint) : Number(v);
    case Type.Date:
    case Type.Timestamp:
      return v instanceof Date ? v : new Date(String(v));
    case Type.Bool:
      return Boolean(v);
    default:
      return typeof v === 'string' ? v : v instanceof Date ? v.toISOString() : typeof v === 'object' ? JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? x.toString() : x)) : String(v);
  }
}

export function columnsToArrow(data: JsColumns): Table {
  const vectors: Record<string, Vector> = {};
  data.schema.forEach((col, i) => {
    const type = arrowTypeFor(col.type);
    vectors[col.name] = vectorFromArray(data.columns[i].map((v) => toArrowValue(v, type)), type);
  });
  return new Table(vectors);
}

/** What a user function may return: duck-typed so a different apache-arrow copy works too. */
export function isArrowTable(v: unknown): v is Table {
  return !!v && typeof v === 'object' && 'schema' in v && 'numRows' in v && typeof (v as Table).getChildAt === 'function';
}

function duckTypeForArrow(type: DataType): string {
  switch (type.typeId) {
    case Type.Bool: return 'BOOLEAN';
    case Type.Int: {
      const { bitWidth, isSigned } = type as unknown as { bitWidth: number; isSigned: boolean };
      const base = ({ 8: 'TINYINT', 16: 'SMALLINT', 32: 'INTEGER', 64: 'BIGINT' } as Record<number, string>)[bitWidth] ?? 'BIGINT';
      return isSigned ? base : `U${base}`;
    }
    case Type.Float: return (type as Float32).precision === 2 ? 'DOUBLE' : 'FLOAT';
    case Type.Decimal: return 'DOUBLE';
    case Type.Date: return 'DATE';
    case Type.Timestamp: return 'TIMESTAMP';
    case Type.Utf8:
    case Type.LargeUtf8: return 'VARCHAR';
    case Type.Dictionary: return duckTypeForArrow((type as unknown as { dictionary: DataType }).dictionary);
    default: return 'VARCHAR';
  }
}

function fromArrowValue(v: unknown, duckType: string): unknown {
  if (v === null || v === undefined) return null;
  if (duckType === 'DATE' || duckType === 'TIMESTAMP') return v instanceof Date ? v : new Date(Number(v));
  if (duckType === 'DOUBLE' || duckType === 'FLOAT') return Number(v);
  if (duckType === 'VARCHAR') return typeof v === 'string' ? v : JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? x.toString() : x));
  return v;
}

export function arrowToColumns(table: Table): JsColumns {
  const schema: ColumnSchema[] = table.schema.fields.map((f) => ({ name: f.name, type: duckTypeForArrow(f.type) }));
  const columns = schema.map((col, i) => {
    const vector = table.getChildAt(i)!;
    const out = new Array<unknown>(table.numRows);
    for (let r = 0; r < table.numRows; r++) out[r] = fromArrowValue(vector.get(r), col.type);
    return out;
  });
  return { schema, columns, rowCount: table.numRows };
}
