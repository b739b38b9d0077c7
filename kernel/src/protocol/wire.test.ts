import { describe, expect, it } from 'vitest';
import { child, decode, encode, WireError, type Message } from './wire.js';

const request: Message = {
  identities: [Buffer.from('client-1')],
  header: { msg_id: 'm1', session: 's1', username: 'u', date: '2026-01-01T00:00:00Z', msg_type: 'execute_request', version: '5.3' },
  parent: {},
  metadata: {},
  content: { code: '1 + 1' },
  buffers: [],
};

const frames = (msg: Message<unknown>, key: string) => encode(msg, key).map((f) => (typeof f === 'string' ? Buffer.from(f) : f));

describe('wire', () => {
  it('round-trips a signed message, keeping the routing identities', () => {
    const back = decode(frames(request, 'secret'), 'secret');
    expect(back.identities.map(String)).toEqual(['client-1']);
    expect(back.header).toEqual(request.header);
    expect(back.content).toEqual({ code: '1 + 1' });
  });

  it('rejects a message signed with another key, or without the delimiter', () => {
    expect(() => decode(frames(request, 'other'), 'secret')).toThrow(WireError);
    expect(() => decode([Buffer.from('junk')], 'secret')).toThrow(/delimiter/);
  });

  it('builds replies in the same session with the request as parent', () => {
    const reply = child(request, 'execute_reply', { status: 'ok' });
    expect(reply.header).toMatchObject({ session: 's1', msg_type: 'execute_reply', version: '5.3' });
    expect(reply.parent).toEqual(request.header);
    expect(reply.identities).toBe(request.identities);
    expect(reply.header.msg_id).not.toBe(request.header.msg_id);
  });
});
