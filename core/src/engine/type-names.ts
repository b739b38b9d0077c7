/**
 * DuckDB column types as the other sides see them: the apache-arrow type a function step's input
 * column has, and the TypeScript type of a value as JavaScript receives it (from DuckDB's rows, or
 * from an Arrow row). One table of facts, so a notebook's declared dataset types, the Arrow tables
 * of function steps and what `odibi.rows()` returns cannot drift apart.
 */

export type ArrowTypeName =
  | 'Bool' | 'Int8' | 'Int16' | 'Int32' | 'Int64' | 'Uint8' | 'Uint16' | 'Uint32' | 'Uint64'
  | 'Float32' | 'Float64' | 'DateDay' | 'TimestampMillisecond' | 'Utf8';

const ARROW: Record<string, ArrowTypeName> = {
  BOOLEAN: 'Bool', TINYINT: 'Int8', SMALLINT: 'Int16', INTEGER: 'Int32', BIGINT: 'Int64',
  UTINYINT: 'Uint8', USMALLINT: 'Uint16', UINTEGER: 'Uint32', UBIGINT: 'Uint64',
  FLOAT: 'Float32', DOUBLE: 'Float64', HUGEINT: 'Float64', UHUGEINT: 'Float64', DATE: 'DateDay',
};

/** The Arrow type a DuckDB column becomes in a function step's input. */
export function arrowTypeName(duckType: string): ArrowTypeName {
  const t = duckType.toUpperCase();
  if (ARROW[t]) return ARROW[t];
  if (t.startsWith('DECIMAL')) return 'Float64';
  if (t.startsWith('TIMESTAMP')) return 'TimestampMillisecond';
  return 'Utf8';
}

/** The TypeScript type of an Arrow value of that column (Arrow dates and timestamps are epoch ms). */
export function arrowValueType(duckType: string): string {
  const a = arrowTypeName(duckType);
  if (a === 'Bool') return 'boolean';
  if (a === 'Int64' || a === 'Uint64') return 'bigint';
  if (a === 'Utf8') return 'string';
  return 'number';
}

/** A DuckDB type string, parsed: `INTEGER[]`, `STRUCT("a" INTEGER, b VARCHAR)`, `MAP(VARCHAR, INTEGER)`. */
type TypeNode = { name: string; args: TypeNode[]; fields?: Array<[string, TypeNode]>; list?: TypeNode };

function parseType(text: string): TypeNode {
  let pos = 0;
  const ws = () => {
    while (/\s/.test(text[pos] ?? '')) pos++;
  };
  const ident = (): string => {
    ws();
    if (text[pos] === '"') {
      let out = '';
      pos++;
      while (pos < text.length) {
        if (text[pos] === '"' && text[pos + 1] === '"') {
          out += '"';
          pos += 2;
        } else if (text[pos] === '"') {
          pos++;
          break;
        } else out += text[pos++];
      }
      return out;
    }
    const m = /^[A-Za-z_][\w ]*?(?=[\s(,)[\]]|$)/.exec(text.slice(pos)) ?? /^[^\s(),[\]]+/.exec(text.slice(pos));
    pos += m ? m[0].length : 1;
    return m ? m[0] : '';
  };
  const node = (): TypeNode => {
    ws();
    let name = '';
    // Multi-word type names: TIMESTAMP WITH TIME ZONE, DOUBLE PRECISION.
    const words = /^[A-Za-z_][A-Za-z_0-9]*(?: (?:WITH|TIME|ZONE|PRECISION|VARYING))*/i.exec(text.slice(pos));
    if (words) {
      name = words[0].toUpperCase();
      pos += words[0].length;
    }
    let n: TypeNode = { name, args: [] };
    ws();
    if (text[pos] === '(') {
      pos++;
      if (name === 'STRUCT') {
        n.fields = [];
        while (pos < text.length && text[pos] !== ')') {
          const field = ident();
          n.fields.push([field, node()]);
          ws();
          if (text[pos] === ',') pos++;
          ws();
        }
      } else {
        while (pos < text.length && text[pos] !== ')') {
          // DECIMAL(9,3), ENUM('a', 'b'): arguments that are not types are skipped.
          if (/[\d']/.test(text[pos])) {
            while (pos < text.length && text[pos] !== ',' && text[pos] !== ')') pos++;
          } else n.args.push(node());
          ws();
          if (text[pos] === ',') pos++;
          ws();
        }
      }
      pos++;
    }
    ws();
    while (text[pos] === '[') {
      while (pos < text.length && text[pos] !== ']') pos++;
      pos++;
      n = { name: 'LIST', args: [], list: n };
      ws();
    }
    return n;
  };
  return node();
}

function tsOf(n: TypeNode): string {
  if (n.list) return `Array<${tsOf(n.list)} | null>`;
  if (n.name === 'STRUCT' && n.fields) return `{ ${n.fields.map(([f, t]) => `${JSON.stringify(f)}: ${tsOf(t)} | null`).join('; ')} }`;
  if (n.name === 'MAP' && n.args.length === 2) return `Array<{ key: ${tsOf(n.args[0])}; value: ${tsOf(n.args[1])} | null }>`;
  switch (n.name) {
    case 'BOOLEAN': return 'boolean';
    case 'TINYINT': case 'SMALLINT': case 'INTEGER': case 'UTINYINT': case 'USMALLINT': case 'UINTEGER':
    case 'FLOAT': case 'DOUBLE': case 'DECIMAL': case 'DOUBLE PRECISION':
      return 'number';
    case 'BIGINT': case 'UBIGINT': case 'HUGEINT': case 'UHUGEINT': case 'TIME': case 'TIME WITH TIME ZONE':
      return 'bigint';
    case 'DATE': case 'TIMESTAMP': case 'TIMESTAMP WITH TIME ZONE': case 'TIMESTAMP_S': case 'TIMESTAMP_MS': case 'TIMESTAMP_NS':
      return 'Date';
    case 'VARCHAR': case 'UUID': case 'JSON': case 'ENUM': case 'BIT':
      return 'string';
    case 'BLOB':
      return 'Uint8Array';
    case 'INTERVAL':
      return '{ months: number; days: number; micros: bigint }';
    default:
      return 'unknown';
  }
}

/** The TypeScript type of a value as DuckDB hands it to JavaScript (rows of `odibi.rows()`). */
export function rowValueType(duckType: string): string {
  return tsOf(parseType(duckType));
}
