#!/usr/bin/env node
/**
 * `odibi-kernel install [--user | --prefix DIR] [--sandbox ...]` writes the kernelspec;
 * `odibi-kernel start <connection-file>` is what Jupyter runs (from kernel.json) to start the
 * kernel; `odibi-kernel sandbox --config F <connection-file>` starts it confined (a sandboxed
 * kernelspec runs this).
 */
// First: a Jupyter interrupt that arrives while the kernel is still loading must not kill it.
import './early-sigint.js';
import path from 'node:path';
import { Command, Option } from 'commander';
import { installKernel, KERNEL_NAME } from './install.js';
import type { SandboxFlags } from './sandbox/flags.js';

const program = new Command('odibi-kernel').description('the ODIBI Jupyter kernel');

const collect = (value: string, previous: string[] = []) => [...previous, value];

interface InstallFlags extends SandboxFlags {
  user?: boolean;
  prefix?: string;
  name?: string;
  sandbox?: boolean;
}

program.command('install')
  .description(`install the "${KERNEL_NAME}" kernelspec (display name "ODIBI (TypeScript)")`)
  .option('--user', 'install for the current user (default)')
  .option('--prefix <dir>', 'install into <dir>/share/jupyter/kernels (set JUPYTER_PATH=<dir>/share/jupyter)')
  .option('--name <name>', 'the kernelspec name', KERNEL_NAME)
  .option('--sandbox', 'start each kernel confined: own uid, no network, read-only runtime, limits (Jupyter must run as root with --KernelManager.transport=ipc)')
  .addOption(new Option('--state-dir <dir>', 'sandbox: root-only folder for kernel sockets and status').default('/var/lib/odibi-sandbox'))
  .option('--mount <at=dir>', 'sandbox: show host folder <dir> read-only at <at> under the kernel home (repeatable)', collect)
  .option('--workdir <name>', 'sandbox: a folder under the home a kernel may start in, picked by the last part of Jupyter\'s working folder (repeatable)', collect)
  .option('--uids <first-last>', 'sandbox: unprivileged uids for kernels', '61000-61999')
  .option('--memory <size>', 'sandbox: memory per kernel, its files included', '1g')
  .option('--disk <size>', 'sandbox: size of the kernel\'s writable home', '128m')
  .option('--processes <n>', 'sandbox: processes and threads per kernel', '256')
  .option('--cpus <n>', 'sandbox: CPU cores per kernel', '2')
  .option('--heap <size>', 'sandbox: Node heap per kernel', '512m')
  .option('--duckdb-memory <size>', 'sandbox: DuckDB memory_limit per kernel', '256m')
  .option('--duckdb-threads <n>', 'sandbox: DuckDB threads per kernel', '1')
  .action(async (o: InstallFlags) => {
    let sandbox;
    if (o.sandbox) {
      const { sandboxConfigFromFlags } = await import('./sandbox/flags.js');
      sandbox = sandboxConfigFromFlags(o);
    }
    const dir = await installKernel({ user: o.user, prefix: o.prefix, name: o.name, sandbox });
    process.stdout.write(`installed kernelspec '${o.name ?? KERNEL_NAME}'${sandbox ? ' (sandboxed)' : ''} in ${dir}\n`);
    if (o.prefix) process.stdout.write(`Jupyter finds it with JUPYTER_PATH=${path.join(path.resolve(o.prefix), 'share', 'jupyter')}\n`);
  });

program.command('start')
  .description('start the kernel (Jupyter runs this from kernel.json)')
  .argument('<connection-file>')
  .action(async (file: string) => {
    const { startKernel } = await import('./start.js');
    await startKernel(file);
  });

program.command('sandbox')
  .description('start the kernel in a sandbox (a sandboxed kernelspec runs this, as root)')
  .requiredOption('--config <file>', 'the sandbox.json that `install --sandbox` wrote')
  .argument('<connection-file>')
  .action(async (file: string, o: { config: string }) => {
    const { launchSandboxed } = await import('./sandbox/launch.js');
    process.exitCode = await launchSandboxed(o.config, file);
  });

program.parseAsync(process.argv).catch((err: Error & { hint?: string }) => {
  process.stderr.write(`odibi-kernel: ${err.message}\n${err.hint ? `hint: ${err.hint}\n` : ''}`);
  process.exitCode = 2;
});
