/** Writes the `odibi` kernelspec so Jupyter, VS Code and nbconvert can start this kernel. */
import { mkdir, rm } from 'node:fs/promises';
import { writeFileAtomic } from '@odibi/core/atomic-write';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SandboxConfig } from './sandbox/config.js';

export const KERNEL_NAME = 'odibi';
export const DISPLAY_NAME = 'ODIBI (TypeScript)';

export interface InstallOptions {
  /** Kernelspec goes to <prefix>/share/jupyter/kernels/odibi (then set JUPYTER_PATH=<prefix>/share/jupyter). */
  prefix?: string;
  /** Per-user location (the default). */
  user?: boolean;
  /** The kernelspec's name (default `odibi`). */
  name?: string;
  /**
   * Start every kernel in a sandbox with this configuration (written beside kernel.json). Jupyter
   * must then run as root with `--KernelManager.transport=ipc`.
   */
  sandbox?: SandboxConfig;
}

export function kernelsDir(options: InstallOptions): string {
  if (options.prefix) return path.join(path.resolve(options.prefix), 'share', 'jupyter', 'kernels');
  const data = process.env.XDG_DATA_HOME || path.join(os.homedir(), '.local', 'share');
  return path.join(data, 'jupyter', 'kernels');
}

/** The kernelspec; with a sandbox config file, kernels start through `odibi-kernel sandbox`. */
export function kernelSpec(sandboxConfigFile?: string): Record<string, unknown> {
  const cli = fileURLToPath(new URL('./cli.js', import.meta.url));
  return {
    argv: sandboxConfigFile
      ? [process.execPath, cli, 'sandbox', '--config', sandboxConfigFile, '{connection_file}']
      : [process.execPath, cli, 'start', '{connection_file}'],
    display_name: sandboxConfigFile ? `${DISPLAY_NAME}, sandboxed` : DISPLAY_NAME,
    language: 'typescript',
    interrupt_mode: 'signal',
    metadata: { debugger: false },
  };
}

/** Installs the kernelspec; returns its folder. */
export async function installKernel(options: InstallOptions = {}): Promise<string> {
  const dir = path.join(kernelsDir(options), options.name ?? KERNEL_NAME);
  await mkdir(dir, { recursive: true });
  let sandboxFile: string | undefined;
  if (options.sandbox) {
    sandboxFile = path.join(dir, 'sandbox.json');
    await writeFileAtomic(sandboxFile, `${JSON.stringify(options.sandbox, null, 2)}\n`);
  } else {
    await rm(path.join(dir, 'sandbox.json'), { force: true });
  }
  await writeFileAtomic(path.join(dir, 'kernel.json'), `${JSON.stringify(kernelSpec(sandboxFile), null, 2)}\n`);
  return dir;
}
