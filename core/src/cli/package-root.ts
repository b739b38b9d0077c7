/**
 * The @odibi/core package folder, found by walking up from this module: the same answer whether
 * the CLI runs from tsc's dist/cli/ or from the bundle in dist/cli-bundle/ (whose chunks sit at
 * another depth).
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

let root: string | undefined;
let version: string | undefined;

export function packageRoot(): string {
  if (root) return root;
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = path.join(dir, 'package.json');
    const pkg = existsSync(manifest) ? (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string; version?: string }) : undefined;
    if (pkg?.name === '@odibi/core') {
      version = pkg.version;
      return (root = dir);
    }
    const up = path.dirname(dir);
    if (up === dir) throw new Error(`cannot find the @odibi/core package above ${fileURLToPath(import.meta.url)}`);
    dir = up;
  }
}

/** Read with the package root, once: every command's start asks for it. */
export function packageVersion(): string {
  packageRoot();
  return version ?? '0.0.0';
}
