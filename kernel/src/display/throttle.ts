/**
 * Redraws of a live display, at most one per `everyMs`, and never one lost: a change that comes
 * inside the window is drawn when the window ends, so the latest state always reaches the client
 * within `everyMs`.
 */
export interface Throttle {
  /** Something changed: draw now, or at the end of the current window. */
  poke(): void;
  /** Draw now (the end of a run) and cancel any pending draw. */
  flush(): void;
}

export interface ThrottleClock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const systemClock: ThrottleClock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

export function throttle(draw: () => void, everyMs = 100, clock: ThrottleClock = systemClock): Throttle {
  let last = -Infinity;
  let pending: unknown;
  const fire = () => {
    pending = undefined;
    last = clock.now();
    draw();
  };
  return {
    poke() {
      if (pending !== undefined) return;
      const wait = last + everyMs - clock.now();
      if (wait <= 0) fire();
      else pending = clock.setTimeout(fire, wait);
    },
    flush() {
      if (pending !== undefined) clock.clearTimeout(pending);
      fire();
    },
  };
}
