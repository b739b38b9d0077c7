import { describe, expect, it } from 'vitest';
import { throttle, type ThrottleClock } from './throttle.js';

function fakeClock() {
  let now = 0;
  const timers: Array<{ at: number; fn: () => void }> = [];
  const clock: ThrottleClock = {
    now: () => now,
    setTimeout: (fn, ms) => {
      const t = { at: now + ms, fn };
      timers.push(t);
      return t;
    },
    clearTimeout: (h) => {
      const i = timers.indexOf(h as never);
      if (i >= 0) timers.splice(i, 1);
    },
  };
  const advance = (ms: number) => {
    now += ms;
    for (const t of timers.filter((x) => x.at <= now)) {
      timers.splice(timers.indexOf(t), 1);
      t.fn();
    }
  };
  return { clock, advance };
}

describe('throttle', () => {
  it('draws the first change at once and at most one per window after, ending on the latest', () => {
    const { clock, advance } = fakeClock();
    const drawn: number[] = [];
    let state = 0;
    const t = throttle(() => drawn.push(state), 100, clock);
    state = 1;
    t.poke();
    expect(drawn).toEqual([1]);
    state = 2;
    t.poke();
    advance(30);
    state = 3;
    t.poke();
    expect(drawn).toEqual([1]);
    // The last change inside the window is not dropped: it is drawn when the window ends.
    advance(70);
    expect(drawn).toEqual([1, 3]);
    advance(500);
    expect(drawn).toEqual([1, 3]);
  });

  it('flush draws now and drops the pending draw', () => {
    const { clock, advance } = fakeClock();
    const drawn: string[] = [];
    const t = throttle(() => drawn.push('x'), 100, clock);
    t.poke();
    t.poke();
    t.flush();
    advance(200);
    expect(drawn).toEqual(['x', 'x']);
  });
});
