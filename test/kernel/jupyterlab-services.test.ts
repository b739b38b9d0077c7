/**
 * The kernel through a real notebook server and the client JupyterLab itself uses
 * (@jupyterlab/services over websockets), as a user's browser would drive it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KernelManager, ServerConnection, type KernelMessage } from '@jupyterlab/services';
import WebSocket from 'ws';
import { jupyterEnv } from '../helpers/jupyter.js';
import { tempDir } from '../helpers/project.js';

let server: ChildProcess;
let settings: ServerConnection.ISettings;

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

beforeAll(async () => {
  const env = await jupyterEnv();
  const port = await freePort();
  const token = 'odibi-test-token';
  server = spawn('/usr/bin/jupyter', ['notebook', '--no-browser', '--allow-root', '--ip=127.0.0.1', `--port=${port}`, `--NotebookApp.token=${token}`, '--NotebookApp.open_browser=False'], {
    cwd: await tempDir(), env, stdio: ['ignore', 'ignore', 'pipe'],
  });
  const baseUrl = `http://127.0.0.1:${port}/`;
  for (let i = 0; i < 100; i++) {
    const ok = await fetch(`${baseUrl}api/status?token=${token}`).then((r) => r.ok, () => false);
    if (ok) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  settings = ServerConnection.makeSettings({ baseUrl, wsUrl: `ws://127.0.0.1:${port}/`, token, appendToken: true, WebSocket: WebSocket as never });
}, 60_000);

afterAll(() => {
  server?.kill('SIGTERM');
});

describe('@jupyterlab/services', () => {
  it('starts the odibi kernel, runs a magic and a TypeScript cell, and shuts it down', async () => {
    const manager = new KernelManager({ serverSettings: settings });
    const kernel = await manager.startNew({ name: 'odibi' });
    try {
      const results: unknown[] = [];
      const collect = (msg: KernelMessage.IIOPubMessage) => {
        if (msg.header.msg_type === 'execute_result') results.push((msg.content as KernelMessage.IExecuteResultMsg['content']).data);
      };
      const sql = kernel.requestExecute({ code: '%%sql answer\nSELECT 42 AS answer' });
      sql.onIOPub = collect;
      expect((await sql.done).content.status).toBe('ok');
      const ts = kernel.requestExecute({ code: '(await odibi.rows("answer"))[0].answer' });
      ts.onIOPub = collect;
      const reply = await ts.done;
      expect(reply.content).toMatchObject({ status: 'ok', execution_count: 2 });
      expect((results[0] as Record<string, string>)['text/html']).toContain('<td>42</td>');
      expect((results[1] as Record<string, string>)['text/plain']).toBe('42');
    } finally {
      await kernel.shutdown();
      manager.dispose();
    }
  });
});
