/**
 * A plain HTTP proxy on 127.0.0.1 in front of a real server, counting the requests that pass: how a
 * test sees which calls a client made (a GET it should have saved) without trusting the client.
 * Headers go through untouched (Host included), so signed requests (SigV4, Shared Key) still verify.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface CountingProxy {
  endpoint: string;
  /** Requests so far, as `METHOD /path` (query string dropped). */
  requests: string[];
  count(method: string, pathPart: string): number;
  reset(): void;
  close(): Promise<void>;
}

export async function startCountingProxy(target: string): Promise<CountingProxy> {
  const to = new URL(target);
  const requests: string[] = [];
  const server = http.createServer((req, res) => {
    requests.push(`${req.method} ${(req.url ?? '').split('?')[0]}`);
    const upstream = http.request({ host: to.hostname, port: to.port, method: req.method, path: req.url, headers: req.headers }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    upstream.on('error', (err) => {
      res.writeHead(502);
      res.end(String(err));
    });
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}${to.pathname === '/' ? '' : to.pathname}`,
    requests,
    count: (method, pathPart) => requests.filter((r) => r.startsWith(`${method} `) && r.includes(pathPart)).length,
    reset: () => void requests.splice(0),
    close: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
