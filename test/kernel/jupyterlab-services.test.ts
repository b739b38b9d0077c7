/**
 * The kernel through a real notebook server and the client JupyterLab itself uses
 * (@jupyterlab/services over websockets), as a user's browser would drive it.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { KernelManager, ServerConnection, type KernelMessage } from '@jupyterlab/services';
import WebSocket from 'ws';
import { startJupyter } from '../helpers/jupyter-server.js';

let settings: ServerConnection.ISettings;

beforeAll(async () => {
  const { baseUrl, port, token } = await startJupyter();
  settings = ServerConnection.makeSettings({ baseUrl, wsUrl: `ws://127.0.0.1:${port}/`, token, appendToken: true, WebSocket: WebSocket as never });
}, 60_000);

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
