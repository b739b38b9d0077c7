/** Writes a query's rows to a Parquet file atomically (temporary name, then rename). */
import { produceAtomic } from '../shared/atomic-write.js';
import type { Session } from '../engine/duckdb-engine.js';
import { str } from '../engine/sql.js';

export async function writeParquet(session: Session, selectSql: string, file: string): Promise<void> {
  await produceAtomic(file, (tmp) => session.run(`COPY (${selectSql}) TO ${str(tmp)} (FORMAT parquet)`));
}
