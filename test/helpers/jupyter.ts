/**
 * Environment for Debian's Jupyter tools (/usr/bin/jupyter, /usr/bin/python3) with the odibi
 * kernelspec installed into a test-local prefix, so nothing global is needed.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { REPO } from './cli.js';

const run = promisify(execFile);
const PREFIX = path.join(REPO, 'test/.tmp/jupyter');
let ready: Promise<NodeJS.ProcessEnv> | undefined;

export function jupyterEnv(): Promise<NodeJS.ProcessEnv> {
  ready ??= (async () => {
    if (!existsSync('/usr/bin/jupyter')) {
      throw new Error('Jupyter is not installed: run `bash scripts/setup.sh --system` (npm test does this)');
    }
    await run(process.execPath, [path.join(REPO, 'kernel/dist/cli.js'), 'install', '--prefix', PREFIX]);
    return {
      ...process.env,
      JUPYTER_PATH: path.join(PREFIX, 'share/jupyter'),
      JUPYTER_RUNTIME_DIR: path.join(PREFIX, 'runtime'),
      JUPYTER_DATA_DIR: path.join(PREFIX, 'data'),
      PYDEVD_DISABLE_FILE_VALIDATION: '1',
    };
  })();
  return ready;
}
