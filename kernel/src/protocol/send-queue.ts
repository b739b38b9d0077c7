/**
 * Serializes sends on one ZeroMQ socket. zeromq.js allows one pending send per socket ("Socket is
 * busy writing"); tslab fired sends without awaiting them and lost output under load. Every send
 * here waits for the previous one, so a 20,000-line flood arrives complete and in order.
 */
import type { Socket } from 'zeromq';

export class SendQueue {
  readonly #socket: Socket & { send(frames: (Buffer | string)[]): Promise<void> };
  #tail: Promise<void> = Promise.resolve();

  constructor(socket: Socket & { send(frames: (Buffer | string)[]): Promise<void> }) {
    this.#socket = socket;
  }

  send(frames: (Buffer | string)[]): Promise<void> {
    const next = this.#tail.then(() => this.#socket.send(frames));
    this.#tail = next.catch((err) => {
      process.stderr.write(`odibi-kernel: send failed: ${(err as Error).message}\n`);
    });
    return this.#tail;
  }

  /** Resolves when everything queued so far has been handed to ZeroMQ. */
  drained(): Promise<void> {
    return this.#tail;
  }
}
