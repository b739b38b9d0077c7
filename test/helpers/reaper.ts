/**
 * Cleanup that survives the test process: a small `sh` watcher per server that, once its stdin
 * closes, SIGKILLs the process groups it was told about and removes the server's temp folder.
 *
 * Its stdin is a pipe from this process, so it closes when `cleanup()` ends it or when this process
 * dies in any way (a crash, a vitest worker being killed, SIGKILL): nothing is left running and no
 * folder is left behind. An `exit` handler alone is not enough, since vitest may end a worker
 * without one. The watcher has its own process group, so a Ctrl-C does not kill it before it cleans.
 */
import { spawn, type ChildProcess } from 'node:child_process';

const SCRIPT = [
  'groups=""',
  'while read -r g; do groups="$groups $g"; done',
  'for g in $groups; do kill -s KILL -- "-$g" 2>/dev/null; done',
  // A process killed a moment ago may still create a file, so retry the removal briefly.
  'for i in 1 2 3 4 5 6 7 8 9 10; do rm -rf -- "$0" 2>/dev/null; [ -e "$0" ] || exit 0; sleep 0.2; done',
  'exit 1',
].join('\n');

export interface Reaper {
  /** Kill this process group (led by `pid`) when cleaning up. */
  track(pid: number | undefined): void;
  /** Kills the tracked groups and removes the folder; resolves when done. */
  cleanup(): Promise<void>;
}

const open = new Set<ChildProcess>();
let exitHandler = false;

export function startReaper(dir: string): Reaper {
  if (!exitHandler) {
    exitHandler = true;
    // Ends every watcher's input as this process exits normally (the pipes close anyway on a crash).
    process.on('exit', () => {
      for (const w of open) w.stdin?.destroy();
    });
  }
  const watcher = spawn('sh', ['-c', SCRIPT, dir], { detached: true, stdio: ['pipe', 'ignore', 'ignore'] });
  watcher.stdin!.on('error', () => {});
  // Neither the watcher nor its pipe keeps this process alive.
  watcher.unref();
  (watcher.stdin as unknown as { unref(): void }).unref();
  open.add(watcher);
  const done = new Promise<void>((resolve) => {
    watcher.once('exit', () => resolve());
    watcher.once('error', () => resolve());
  });
  return {
    track(pid) {
      if (pid !== undefined) watcher.stdin!.write(`${pid}\n`);
    },
    async cleanup() {
      watcher.stdin!.end();
      await done;
      open.delete(watcher);
    },
  };
}
