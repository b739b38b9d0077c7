#!/usr/bin/env node
/**
 * `odibi-kernel install [--user | --prefix DIR]` writes the kernelspec; `odibi-kernel start
 * <connection-file>` is what Jupyter runs (from kernel.json) to start the kernel.
 */
import path from 'node:path';
import { Command } from 'commander';
import { installKernel, KERNEL_NAME } from './install.js';
import { startKernel } from './start.js';

const program = new Command('odibi-kernel').description('the ODIBI Jupyter kernel');

program.command('install')
  .description(`install the "${KERNEL_NAME}" kernelspec (display name "ODIBI (TypeScript)")`)
  .option('--user', 'install for the current user (default)')
  .option('--prefix <dir>', 'install into <dir>/share/jupyter/kernels (set JUPYTER_PATH=<dir>/share/jupyter)')
  .action(async (o: { user?: boolean; prefix?: string }) => {
    const dir = await installKernel(o);
    process.stdout.write(`installed kernelspec '${KERNEL_NAME}' in ${dir}\n`);
    if (o.prefix) process.stdout.write(`Jupyter finds it with JUPYTER_PATH=${path.join(path.resolve(o.prefix), 'share', 'jupyter')}\n`);
  });

program.command('start')
  .description('start the kernel (Jupyter runs this from kernel.json)')
  .argument('<connection-file>')
  .action(async (file: string) => {
    await startKernel(file);
  });

program.parseAsync(process.argv).catch((err) => {
  process.stderr.write(`odibi-kernel: ${(err as Error).message}\n`);
  process.exitCode = 2;
});
