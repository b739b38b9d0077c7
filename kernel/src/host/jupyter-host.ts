/**
 * A Jupyter notebook server on 127.0.0.1 that runs odibi kernels, for a host that lets other
 * people run code (LearnODIBI, a class): the server, its kernelspec and, by default, a sandbox for
 * every kernel (`../sandbox`). The token goes to Jupyter in its environment, never on a command
 * line; every folder it uses is root-only.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { installKernel, KERNEL_NAME } from '../install.js';
import { sandboxConfig, type SandboxLimits } from '../sandbox/config.js';

export interface JupyterHostOptions {
  /** Jupyter's runtime files, the kernelspec, the notebook root and sandbox state go under it. */
  runtimeDir: string;
  /**
   * Confine every kernel (the default). `false` runs kernels as the server's own user with full
   * access to this machine: only for a machine nobody else can reach.
   */
  sandbox?: false | {
    /** Read-only folders in each kernel's home, e.g. {"lessons/data": "/repo/examples/iot/data"}. */
    mounts?: Record<string, string>;
    /** Folders under the home a kernel starts in (the last part of its session path's folder). */
    workdirs?: string[];
    limits?: Partial<SandboxLimits>;
  };
  /** Where the server's stderr goes (default: kept, and shown if it fails to start). */
  log?: (text: string) => void;
}

export interface JupyterHost {
  baseUrl: string;
  token: string;
  /** The server's root: a session's path is relative to it, and picks its kernel's working folder. */
  rootDir: string;
  /** Where sandboxed kernels report their CPU time and why they stopped (undefined unsandboxed). */
  sandboxStateDir?: string;
  readonly process: ChildProcess;
  /** Shuts every kernel down, then the server. */
  stop(): Promise<void>;
}

export class HostError extends Error {
  readonly hint?: string;
  constructor(message: string, hint?: string) {
    super(message);
    this.name = 'HostError';
    this.hint = hint;
  }
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    }).on('error', reject);
  });
}

export async function startJupyterHost(o: JupyterHostOptions): Promise<JupyterHost> {
  const sandbox = o.sandbox === false ? undefined : (o.sandbox ?? {});
  if (sandbox) {
    if (process.getuid?.() !== 0) throw new HostError('sandboxed kernels need root (namespaces and a uid per kernel)', 'run as root, or turn the sandbox off on a machine only you use');
    if (!existsSync('/usr/bin/bwrap')) throw new HostError('bubblewrap is not installed', 'run `bash scripts/setup.sh --jupyter`, or apt-get install bubblewrap');
  }
  if (!existsSync('/usr/bin/jupyter')) throw new HostError('the Jupyter notebook server is not installed', 'run `bash scripts/setup.sh --jupyter`');
  const runtime = path.resolve(o.runtimeDir);
  await mkdir(runtime, { recursive: true, mode: 0o700 });
  await chmod(runtime, 0o700);
  const dirs = {
    root: path.join(runtime, 'jupyter'),
    data: path.join(runtime, 'jupyter-data'),
    jupyterRuntime: path.join(runtime, 'jupyter-runtime'),
    state: path.join(runtime, 'sandbox'),
  };
  for (const d of Object.values(dirs)) await mkdir(d, { recursive: true, mode: 0o700 });
  await installKernel({
    prefix: dirs.data,
    sandbox: sandbox ? sandboxConfig({ stateDir: dirs.state, mounts: sandbox.mounts, workdirs: sandbox.workdirs, limits: sandbox.limits }) : undefined,
  });

  const token = randomBytes(24).toString('hex');
  const port = await freePort();
  const args = [
    'notebook', '--no-browser', '--allow-root', '--ip=127.0.0.1', `--port=${port}`, '--NotebookApp.open_browser=False',
    `--NotebookApp.notebook_dir=${dirs.root}`,
    // A kernel asked to stop gets 2 s before it is killed (a stuck cell's restart waits for this),
    // and a dead one is noticed within a second.
    '--KernelManager.shutdown_wait_time=2', '--KernelRestarter.time_to_dead=1',
  ];
  if (sandbox) args.push('--KernelManager.transport=ipc');
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    JUPYTER_TOKEN: token,
    JUPYTER_PATH: path.join(dirs.data, 'share/jupyter'),
    JUPYTER_RUNTIME_DIR: dirs.jupyterRuntime,
    JUPYTER_CONFIG_DIR: path.join(runtime, 'jupyter-config'),
    PYDEVD_DISABLE_FILE_VALIDATION: '1',
  };
  const server = spawn('/usr/bin/jupyter', args, { cwd: dirs.root, env, stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  server.stderr!.on('data', (d: Buffer) => {
    if (o.log) o.log(String(d));
    else log = (log + d).slice(-4000);
  });
  const baseUrl = `http://127.0.0.1:${port}/`;
  const auth = { headers: { authorization: `token ${token}` } };
  for (let i = 0; ; i++) {
    if (await fetch(`${baseUrl}api/status`, auth).then((r) => r.ok, () => false)) break;
    if (i > 150 || server.exitCode !== null) {
      server.kill('SIGKILL');
      throw new HostError(`the Jupyter server did not start:\n${log}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }

  let stopping: Promise<void> | undefined;
  const stop = () => {
    // The notebook server does not shut its kernels down when it is killed: do it first.
    stopping ??= (async () => {
      const kernels = (await fetch(`${baseUrl}api/kernels`, auth).then((r) => r.json(), () => [])) as Array<{ id: string }>;
      await Promise.race([
        Promise.allSettled(kernels.map((k) => fetch(`${baseUrl}api/kernels/${k.id}`, { ...auth, method: 'DELETE' }))),
        new Promise((r) => setTimeout(r, 5000)),
      ]);
      if (server.exitCode === null) {
        const exited = new Promise((r) => server.once('exit', r));
        server.kill('SIGTERM');
        await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
      }
    })();
    return stopping;
  };
  return { baseUrl, token, rootDir: dirs.root, sandboxStateDir: sandbox ? dirs.state : undefined, process: server, stop };
}

export { KERNEL_NAME };
export type { SandboxLimits };
