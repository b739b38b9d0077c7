import { describe, expect, it, vi } from 'vitest';
import { IopubSink } from './iopub-sink.js';

function sink() {
  const sent: [string, Record<string, unknown>][] = [];
  return { sent, sink: new IopubSink((type, content) => sent.push([type, content])) };
}

describe('IopubSink', () => {
  it('batches stream writes into one message', () => {
    vi.useFakeTimers();
    const { sent, sink: s } = sink();
    for (let i = 0; i < 1000; i++) s.stream('stdout', `line ${i}\n`);
    expect(sent).toHaveLength(0);
    vi.advanceTimersByTime(25);
    expect(sent).toHaveLength(1);
    expect(String(sent[0][1].text).split('\n')).toHaveLength(1001);
    vi.useRealTimers();
  });

  it('keeps the order of stdout, stderr and displays', () => {
    const { sent, sink: s } = sink();
    s.stream('stdout', 'a');
    s.stream('stderr', 'b');
    s.display({ 'text/plain': 'c' });
    s.stream('stdout', 'd');
    s.flush();
    expect(sent.map(([type, c]) => (type === 'stream' ? `${c.name}:${c.text}` : type))).toEqual(['stdout:a', 'stderr:b', 'display_data', 'stdout:d']);
  });

  it('sends display ids as transient data', () => {
    const { sent, sink: s } = sink();
    s.updateDisplay({ 'text/plain': 'x' }, {}, 'd1');
    expect(sent[0]).toEqual(['update_display_data', { data: { 'text/plain': 'x' }, metadata: {}, transient: { display_id: 'd1' } }]);
  });
});
