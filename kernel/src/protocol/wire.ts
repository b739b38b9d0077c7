/**
 * Jupyter wire protocol messages: decoding and signing the ZeroMQ frames
 * ([identities…, "<IDS|MSG>", hmac, header, parent, metadata, content, buffers…]).
 * Knows nothing of pipelines or TypeScript.
 */
import { createHmac, randomUUID } from 'node:crypto';

export const PROTOCOL_VERSION = '5.3';
const DELIMITER = Buffer.from('<IDS|MSG>');

export interface Header {
  msg_id: string;
  session: string;
  username: string;
  date: string;
  msg_type: string;
  version: string;
}

export interface Message<C = Record<string, unknown>> {
  identities: Buffer[];
  header: Header;
  parent: Partial<Header>;
  metadata: Record<string, unknown>;
  content: C;
  buffers: Buffer[];
}

export class WireError extends Error {}

function sign(key: string, parts: (string | Buffer)[]): string {
  if (!key) return '';
  const hmac = createHmac('sha256', key);
  for (const p of parts) hmac.update(p);
  return hmac.digest('hex');
}

export function decode(frames: Buffer[], key: string): Message {
  const at = frames.findIndex((f) => f.equals(DELIMITER));
  if (at < 0) throw new WireError('message without <IDS|MSG> delimiter');
  const [signature, header, parent, metadata, content, ...buffers] = frames.slice(at + 1);
  if (!content) throw new WireError('message with missing parts');
  const expected = sign(key, [header, parent, metadata, content]);
  if (key && signature.toString() !== expected) throw new WireError('message with an invalid signature');
  return {
    identities: frames.slice(0, at),
    header: JSON.parse(header.toString()),
    parent: JSON.parse(parent.toString()),
    metadata: JSON.parse(metadata.toString()),
    content: JSON.parse(content.toString()),
    buffers,
  };
}

export function encode(msg: Message<unknown>, key: string): (Buffer | string)[] {
  const parts = [JSON.stringify(msg.header), JSON.stringify(msg.parent), JSON.stringify(msg.metadata), JSON.stringify(msg.content)];
  return [...msg.identities, DELIMITER, sign(key, parts), ...parts, ...msg.buffers];
}

/** A new message answering or caused by `parent` (same session, parent header set). */
export function child<C>(parent: Message<unknown>, msgType: string, content: C, identities: Buffer[] = parent.identities): Message<C> {
  return {
    identities,
    header: {
      msg_id: randomUUID(),
      session: parent.header.session,
      username: parent.header.username,
      date: new Date().toISOString(),
      msg_type: msgType,
      version: PROTOCOL_VERSION,
    },
    parent: parent.header,
    metadata: {},
    content,
    buffers: [],
  };
}
