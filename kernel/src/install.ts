/** Writes the `odibi` kernelspec so Jupyter, VS Code and nbconvert can start this kernel. */
import { mkdir, rename, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const KERNEL_NAME = 'odibi';
export const DISPLAY_NAME = 'ODIBI (TypeScript)';

export interface InstallOptions {
  /** Kernelspec goes to <prefix>/share/jupyter/kernels/odibi (then set JUPYTER_PATH=<prefix>/share/jupyter). */
  prefix?: string;
  /** Per-user location (the default). */
  user?: boolean;
}

export function kernelsDir(options: InstallOptions): string {
  if (options.prefix) return path.join(path.resolve(options.prefix), 'share', 'jupyter', 'kernels');
  const data = process.env.XDG_DATA_HOME || path.join(os.homedir(), '.local', 'share');
  return path.join(data, 'jupyter', 'kernels');
}

export function kernelSpec(): Record<string, unknown> {
  const cli = fileURLToPath(new URL('./cli.js', import.meta.url));
  return {
    argv: [process.execPath, cli, 'start', '{connection_file}'],
    display_name: DISPLAY_NAME,
    language: 'typescript',
    interrupt_mode: 'signal',
    metadata: { debugger: false },
  };
}

/** Installs the kernelspec; returns its folder. */
export async function installKernel(options: InstallOptions = {}): Promise<string> {
  const dir = path.join(kernelsDir(options), KERNEL_NAME);
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, 'kernel.json');
  await writeFile(`${file}.tmp`, `${JSON.stringify(kernelSpec(), null, 2)}\n`);
  await rename(`${file}.tmp`, file);
  return dir;
}
