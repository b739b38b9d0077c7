/**
 * Conversions for TypeScript function steps: DuckDB columns → apache-arrow Tables (what user
 * functions receive) and Arrow Tables → DuckDB columns (what they return). Only function steps pay
 * for this (and for loading apache-arrow); SQL steps never leave DuckDB.
 */
import {
  Bool, DateDay, Float32, Float64, Int16, Int32, Int64, Int8, Table, TimestampMillisecond,
  Uint16, Uint32, Uint64, Uint8, Utf8, Type, makeData, makeVector, vectorFromArray, type DataType, type Vector,
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

type NumericArray = Float32Array | Float64Array | Int8Array | Int16Array | Int32Array | Uint8Array | Uint16Array | Uint32Array | BigInt64Array | BigUint64Array;

/** The typed array holding a fixed-width numeric Arrow type's values, or undefined for others. */
function numericArray(type: DataType, length: number): NumericArray | undefined {
  if (type.typeId === Type.Float) return (type as Float32).precision === 2 ? new Float64Array(length) : (type as Float32).precision === 1 ? new Float32Array(length) : undefined;
  if (type.typeId !== Type.Int) return undefined;
  const { bitWidth, isSigned } = type as unknown as { bitWidth: number; isSigned: boolean };
  switch (bitWidth) {
    case 8: return isSigned ? new Int8Array(length) : new Uint8Array(length);
    case 16: return isSigned ? new Int16Array(length) : new Uint16Array(length);
    case 32: return isSigned ? new Int32Array(length) : new Uint32Array(length);
    case 64: return isSigned ? new BigInt64Array(length) : new BigUint64Array(length);
    default: return undefined;
  }
}

/**
 * A numeric column written straight into its typed array and validity bitmap: Arrow's builders
 * (vectorFromArray) cost a function call per value, most of a function step's overhead on a
 * table of thousands of rows.
 */
function numericVector(values: readonly unknown[], type: DataType): Vector | undefined {
  const array = numericArray(type, values.length);
  if (!array) return undefined;
  const validity = new Uint8Array((values.length + 7) >> 3);
  const big = array instanceof BigInt64Array || array instanceof BigUint64Array;
  let nulls = 0;
  for (let r = 0; r < values.length; r++) {
    const v = values[r];
    if (v === null || v === undefined) {
      nulls++;
      continue;
    }
    validity[r >> 3] |= 1 << (r & 7);
    array[r] = (big ? BigInt(v as bigint) : Number(v)) as never;
  }
  return makeVector(makeData({ type: type as Float64, length: values.length, nullCount: nulls, nullBitmap: nulls ? validity : null, data: array as never }));
}

export function columnsToArrow(data: JsColumns): Table {
  const vectors: Record<string, Vector> = {};
  data.schema.forEach((col, i) => {
    const type = arrowTypeFor(col.type);
    vectors[col.name] = numericVector(data.columns[i], type) ?? vectorFromArray(data.columns[i].map((v) => toArrowValue(v, type)), type);
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
