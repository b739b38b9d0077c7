/** A real Jupyter notebook server on 127.0.0.1 (Debian's), with the odibi kernelspec, stopped after the file's tests. */
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { afterAll } from 'vitest';
import { jupyterEnv } from './jupyter.js';
import { tempDir } from './project.js';

export interface JupyterServer {
  baseUrl: string;
  token: string;
  /** The server's root folder (kernels' working folders are under it). */
  root: string;
  port: number;
}

const running: ChildProcess[] = [];
afterAll(() => {
  for (const s of running.splice(0)) s.kill('SIGTERM');
});

export async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

export async function startJupyter(): Promise<JupyterServer> {
  const env = await jupyterEnv();
  const port = await freePort();
  const token = `odibi-test-${Math.random().toString(36).slice(2)}`;
  const root = await tempDir('odibi-jupyter-');
  const server = spawn('/usr/bin/jupyter', ['notebook', '--no-browser', '--allow-root', '--ip=127.0.0.1', `--port=${port}`, `--NotebookApp.token=${token}`, '--NotebookApp.open_browser=False', `--NotebookApp.notebook_dir=${root}`], {
    cwd: root, env, stdio: ['ignore', 'ignore', 'pipe'],
  });
  running.push(server);
  let log = '';
  server.stderr!.on('data', (d) => (log = (log + d).slice(-4000)));
  const baseUrl = `http://127.0.0.1:${port}/`;
  for (let i = 0; ; i++) {
    if (await fetch(`${baseUrl}api/status?token=${token}`).then((r) => r.ok, () => false)) break;
    if (i > 150 || server.exitCode !== null) throw new Error(`the Jupyter server did not start:\n${log}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  return { baseUrl, token, root, port };
}
