/** The part files of an append sink: one per batch (or run), named so a replay rewrites the same file. */

/** Part file name of a batch: sorts in batch order, and a replay rewrites the same name. */
export function partName(batchId: number, extension: string): string {
  return `part-${String(batchId).padStart(8, '0')}${extension}`;
}

/** The batch id of a part file name, if it is one. */
export function partIdOf(name: string): number | undefined {
  const m = /^part-(\d{8})\./.exec(name);
  return m ? Number(m[1]) : undefined;
}
