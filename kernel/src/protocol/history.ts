/**
 * The kernel's input history for `history_request` (a console's up-arrow, %history in other
 * kernels): tail, range and search, as Jupyter's messaging spec defines them. One session per
 * kernel process.
 */
export interface HistoryEntry {
  line: number;
  input: string;
  output?: string;
}

export type HistoryRow = [number, number, string] | [number, number, [string, string | null]];

export interface HistoryQuery {
  hist_access_type?: string;
  output?: boolean;
  n?: number;
  session?: number;
  start?: number;
  stop?: number;
  pattern?: string;
  unique?: boolean;
}

/** Jupyter's glob patterns: `*` any run of characters, `?` one character. */
function globRegExp(pattern: string): RegExp {
  return new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[\\s\\S]*').replace(/\?/g, '[\\s\\S]')}$`);
}

export class History {
  readonly session: number;
  readonly #entries: HistoryEntry[] = [];

  constructor(session = 1) {
    this.session = session;
  }

  add(entry: HistoryEntry): void {
    this.#entries.push(entry);
  }

  /** Records the text a line's result showed (for `output: true`). */
  setOutput(line: number, output: string): void {
    const e = this.#entries.findLast((x) => x.line === line);
    if (e) e.output = output;
  }

  query(q: HistoryQuery): HistoryRow[] {
    let picked: HistoryEntry[];
    switch (q.hist_access_type) {
      case 'range': {
        if (q.session !== undefined && q.session !== this.session && q.session !== 0) return [];
        const start = q.start ?? 0;
        picked = this.#entries.filter((e) => e.line >= start && (q.stop === undefined || q.stop === null || e.line < q.stop));
        break;
      }
      case 'search': {
        const re = globRegExp(q.pattern ?? '*');
        picked = this.#entries.filter((e) => re.test(e.input));
        if (q.unique) picked = picked.filter((e, i) => picked.findLastIndex((x) => x.input === e.input) === i);
        if (q.n) picked = picked.slice(-q.n);
        break;
      }
      default:
        picked = q.n ? this.#entries.slice(-q.n) : [...this.#entries];
    }
    return picked.map((e) => (q.output ? [this.session, e.line, [e.input, e.output ?? null]] : [this.session, e.line, e.input]));
  }
}
