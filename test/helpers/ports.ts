/**
 * Ports for servers that tests start themselves (radosgw, Azurite), and a check that one is listening.
 *
 * The port is taken from below the kernel's ephemeral range on purpose. A port from `listen(0)` is an
 * ephemeral one, and polling it with connect() before the server has bound it can make Linux pick the
 * very same port as the client's source port: the socket connects to itself (TCP simultaneous open),
 * and afterwards the port sits in TIME_WAIT, so the server fails with "Address already in use". This
 * happened with radosgw on the first try. Below the ephemeral range no outgoing connection ever takes
 * the port, and `isListening` lets callers wait for the bind without connecting at all.
 */
import { readFileSync } from 'node:fs';
import net from 'node:net';

function ephemeralLow(): number {
  try {
    const low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    return Number.isFinite(low) && low > 11_000 ? low : 32768;
  } catch {
    return 32768;
  }
}

function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen({ port, host: '127.0.0.1', exclusive: true }, () => s.close(() => resolve(true)));
  });
}

/** A free 127.0.0.1 port in [10000, ephemeral low), avoiding 6800-7300 (Ceph OSDs bind there on their own). */
export async function freeServerPort(): Promise<number> {
  const high = ephemeralLow();
  for (let i = 0; i < 200; i++) {
    const port = 10_000 + Math.floor(Math.random() * (high - 10_000));
    if (port >= 6800 && port <= 7300) continue;
    if (await canBind(port)) return port;
  }
  throw new Error('no free port below the ephemeral range on 127.0.0.1');
}

/** Whether something listens on TCP `port` (any local address), read from /proc without connecting. */
export function isListening(port: number): boolean {
  const hex = `:${port.toString(16).toUpperCase().padStart(4, '0')} `;
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n')) {
      // "  sl  local_address rem_address   st ..." ; st 0A is LISTEN.
      const cols = line.trim().split(/\s+/);
      if (cols.length > 3 && cols[3] === '0A' && `${cols[1]} `.endsWith(hex)) return true;
    }
  }
  return false;
}
