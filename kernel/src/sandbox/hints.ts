/**
 * Inside a sandbox (ODIBI_SANDBOX set by the launcher), an error caused by one of its limits gets
 * a line saying which limit and what to do, instead of a bare ENOSPC or EACCES.
 */
import { formatSize } from './config.js';

interface SandboxFacts {
  memoryBytes: number;
  diskBytes: number;
  processes: number;
  duckdbMemoryBytes: number;
  home: string;
}

export function sandboxFacts(env = process.env.ODIBI_SANDBOX): SandboxFacts | undefined {
  if (!env) return undefined;
  try {
    return JSON.parse(env) as SandboxFacts;
  } catch {
    return undefined;
  }
}

/** The hint for an error's text, if a sandbox limit explains it. */
export function sandboxHint(text: string, facts = sandboxFacts()): string | undefined {
  if (!facts) return undefined;
  if (/ENOSPC|No space left on device|disk is full/i.test(text)) {
    return `this sandbox's folder (${facts.home}) holds at most ${formatSize(facts.diskBytes)}; delete files you no longer need, e.g. fs.rmSync('out', { recursive: true, force: true })`;
  }
  if (/\b(connect|listen|socket|bind)\b.*\bEACCES\b|fetch failed|EAI_AGAIN|ENETUNREACH/i.test(text)) {
    return 'cells in this sandbox have no network: nothing can be fetched or served; read the files under data/ and ../examples/ instead';
  }
  if (/Out of Memory Error|could not allocate|memory_limit/i.test(text)) {
    return `DuckDB may use ${formatSize(facts.duckdbMemoryBytes)} in this sandbox; filter or aggregate in SQL before reading rows into TypeScript`;
  }
  if (/\bEAGAIN\b|Resource temporarily unavailable/i.test(text)) {
    return `this sandbox runs at most ${facts.processes} processes and threads at once`;
  }
  return undefined;
}
