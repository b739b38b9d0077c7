/**
 * The composition root: protocol server + TypeScript kernel, and the process-level guards that
 * keep one bad cell from killing the kernel.
 */
import { KernelServer } from './protocol/server.js';
import { OdibiKernel } from './odibi-kernel.js';

export async function startKernel(connectionFile: string): Promise<void> {
  const kernel = await OdibiKernel.create(process.cwd());
  const server = await KernelServer.fromFile(connectionFile, kernel);
  // Jupyter interrupts with SIGINT: stop the cell, never the process.
  process.on('SIGINT', () => kernel.interrupt());
  // Errors that escape a cell (a throwing timer, a rejected promise nobody awaited) are reported
  // into the current cell's output and the kernel carries on.
  process.on('uncaughtException', (err) => process.stderr.write(`Uncaught ${err.stack ?? err}\n`));
  process.on('unhandledRejection', (reason) => process.stderr.write(`Unhandled rejection: ${reason instanceof Error ? reason.stack : String(reason)}\n`));
  // A cell calling process.exit() would take the whole kernel (and every dataset) with it.
  const exit = process.exit.bind(process);
  process.exit = ((code?: number) => {
    throw new Error(`process.exit(${code ?? ''}) is disabled inside the kernel; restart the kernel from Jupyter instead`);
  }) as typeof process.exit;
  server.closed.then(() => exit(0));
  await server.start();
}
