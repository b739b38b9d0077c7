/**
 * The site's kernel host, as `npm start` runs it: a Jupyter server on 127.0.0.1 whose odibi kernels
 * are sandboxed (unless asked otherwise), with the lesson data and examples mounted read-only.
 * Stopped after the file's tests.
 */
import path from 'node:path';
import { startJupyterHost, type JupyterHost, type SandboxLimits } from '@odibi/kernel/host';
import { afterAll } from 'vitest';
import { REPO } from './cli.js';
import { tempDir } from './project.js';

const hosts: JupyterHost[] = [];
afterAll(async () => {
  await Promise.all(hosts.splice(0).map((h) => h.stop()));
});

export const DATA_DIR = path.join(REPO, 'examples/iot/data');
export const EXAMPLES_DIR = path.join(REPO, 'examples');

export async function startSiteKernels(options: { sandbox?: boolean; limits?: Partial<SandboxLimits> } = {}): Promise<JupyterHost> {
  const host = await startJupyterHost({
    runtimeDir: await tempDir('odibi-site-kernels-'),
    sandbox: options.sandbox === false ? false : { mounts: { 'lessons/data': DATA_DIR, examples: EXAMPLES_DIR }, workdirs: ['lessons', 'notebooks'], limits: options.limits },
  });
  hosts.push(host);
  return host;
}
