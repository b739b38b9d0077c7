/**
 * The @odibi/core package folder, found by walking up from this module: the same answer whether
 * the CLI runs from tsc's dist/cli/ or from the bundle in dist/cli-bundle/ (whose chunks sit at
 * another depth).
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

let root: string | undefined;

export function packageRoot(): string {
  if (root) return root;
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = path.join(dir, 'package.json');
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === '@odibi/core') return (root = dir);
    const up = path.dirname(dir);
    if (up === dir) throw new Error(`cannot find the @odibi/core package above ${fileURLToPath(import.meta.url)}`);
    dir = up;
  }
}

export function packageVersion(): string {
  return (JSON.parse(readFileSync(path.join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version;
}
