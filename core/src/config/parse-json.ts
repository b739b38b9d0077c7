/**
 * JSON pipeline files: an array of steps, or `{"name": ..., "steps": [...]}`. Parsed with
 * jsonc-parser in strict mode because it reports every syntax error with an offset (JSON.parse
 * stops at the first and, on Node 20, often without a position) and gives each step's line.
 */
import { parseTree, printParseErrorCode, getNodeValue, type Node, type ParseError } from 'jsonc-parser';
import { ConfigError, type ConfigProblem } from '../errors.js';
import type { RawPipeline, RawStep } from './model.js';
import { lineColumn, lineStarts } from './text-position.js';

export function parseJsonPipeline(text: string, file: string): RawPipeline {
  const errors: ParseError[] = [];
  const root = parseTree(text, errors, { allowTrailingComma: false, disallowComments: true });
  if (errors.length > 0 || !root) {
    // One mistake often yields several errors at the same spot (a trailing comma: "property name
    // expected" and "value expected"); the first says it best.
    const firstAtOffset = errors.filter((e, i) => errors.findIndex((x) => x.offset === e.offset) === i);
    const problems: ConfigProblem[] = firstAtOffset.map((e) => ({
      message: `malformed JSON: ${describeJsonError(printParseErrorCode(e.error))}`,
      file,
      ...lineColumn(text, e.offset),
      hint: 'fix the JSON syntax at that position (a missing comma, quote or bracket is the usual cause)',
    }));
    if (problems.length === 0) problems.push({ message: 'the file is empty', file, hint: 'write an array of steps' });
    throw new ConfigError(problems, file);
  }

  let stepsNode: Node | undefined;
  let name: string | undefined;
  let profiles: RawPipeline['profiles'];
  if (root.type === 'array') {
    stepsNode = root;
  } else if (root.type === 'object') {
    for (const prop of root.children ?? []) {
      const [key, value] = prop.children ?? [];
      if (key?.value === 'steps') stepsNode = value;
      if (key?.value === 'name' && value?.type === 'string') name = value.value as string;
      if (key?.value === 'profiles' && value) profiles = { value: getNodeValue(value), line: lineColumn(text, value.offset).line };
    }
  }
  if (!stepsNode || stepsNode.type !== 'array') {
    throw new ConfigError(
      [{ message: 'expected an array of steps or an object with a "steps" array', file, line: 1, column: 1,
        hint: 'write [{"layer": "ingest", "name": "...", ...}] or {"name": "my_pipeline", "steps": [...]}' }],
      file,
    );
  }

  const starts = lineStarts(text);
  const steps: RawStep[] = (stepsNode.children ?? []).map((child, index) => {
    const value = getNodeValue(child);
    const { line } = lineColumn(text, child.offset, starts);
    const fields = value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : { __notAnObject: value, __index: index };
    return { fields, origin: { file, line } };
  });
  return { name, file, steps, ...(profiles ? { profiles } : {}) };
}

function describeJsonError(code: string): string {
  return code.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase();
}
