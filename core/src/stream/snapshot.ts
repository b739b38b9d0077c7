/** Writes a query's rows to a Parquet file atomically (temporary name, then rename). */
import { mkdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Session } from '../engine/duckdb-engine.js';
import { str } from '../engine/sql.js';

export async function writeParquet(session: Session, selectSql: string, file: string): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  try {
    await session.run(`COPY (${selectSql}) TO ${str(tmp)} (FORMAT parquet)`);
    await rename(tmp, file);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}
