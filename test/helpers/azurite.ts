/**
 * A real Azure Blob endpoint for storage tests: Azurite's blob server (npm `azurite`, a devDependency
 * of this workspace) on 127.0.0.1, in memory, with the well-known development account. Blob only:
 * no ADLS Gen2 (dfs) endpoint. Ready in well under a second.
 *
 * It runs in its own process group under `setpriv --pdeathsig KILL`, so it dies with the test
 * process; a watcher (`reaper.ts`) kills it and removes its folder on `stop()` or when the test
 * process dies.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { BlobServiceClient } from '@azure/storage-blob';
import { freeServerPort, isListening } from './ports.js';
import { startReaper } from './reaper.js';

export interface AzuriteServer {
  connectionString: string;
  /** `http://127.0.0.1:<port>/devstoreaccount1` */
  blobEndpoint: string;
  account: string;
  accountKey: string;
  stop(): Promise<void>;
}

/** Azurite's (and the Azure Storage Emulator's) published development account. */
const ACCOUNT = 'devstoreaccount1';
const ACCOUNT_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

function azuriteBlobScript(): string {
  const require = createRequire(import.meta.url);
  const pkgFile = require.resolve('azurite/package.json');
  const bin = (JSON.parse(readFileSync(pkgFile, 'utf8')) as { bin: Record<string, string> }).bin['azurite-blob'];
  return path.join(path.dirname(pkgFile), bin);
}

export async function startAzurite(): Promise<AzuriteServer> {
  const script = azuriteBlobScript();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'odibi-azurite-'));
  const port = await freeServerPort();
  const child = spawn(
    'setpriv',
    ['--pdeathsig', 'KILL', '--', process.execPath, script,
      '--blobHost', '127.0.0.1', '--blobPort', String(port),
      '--inMemoryPersistence', '--disableTelemetry', '--skipApiVersionCheck', '--loose', '--silent'],
    { cwd: dir, detached: true, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const reaper = startReaper(dir);
  reaper.track(child.pid);
  let log = '';
  const keep = (d: Buffer) => (log = (log + d.toString()).slice(-4000));
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  child.once('error', (e) => keep(Buffer.from(String(e))));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  let stopped: Promise<void> | undefined;
  const stop = () =>
    (stopped ??= (async () => {
      await reaper.cleanup();
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
    })());

  const blobEndpoint = `http://127.0.0.1:${port}/${ACCOUNT}`;
  const connectionString = `DefaultEndpointsProtocol=http;AccountName=${ACCOUNT};AccountKey=${ACCOUNT_KEY};BlobEndpoint=${blobEndpoint};`;
  const deadline = Date.now() + 30_000;
  let lastError = '';
  // Wait for the bind without connecting (see ports.ts), then for a signed request to succeed.
  for (;;) {
    if (isListening(port)) {
      try {
        await BlobServiceClient.fromConnectionString(connectionString, { retryOptions: { maxTries: 1 } }).getProperties();
        break;
      } catch (e) {
        lastError = `${(e as Error).name}: ${(e as Error).message}`;
      }
    }
    if (child.exitCode !== null || child.signalCode !== null || Date.now() > deadline) {
      const why = child.exitCode !== null || child.signalCode !== null ? `exited (${child.exitCode ?? child.signalCode})` : 'did not answer within 30 s';
      await stop();
      throw new Error(`azurite-blob ${why} on 127.0.0.1:${port}\n${lastError}\n--- azurite output (tail)\n${log}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return { connectionString, blobEndpoint, account: ACCOUNT, accountKey: ACCOUNT_KEY, stop };
}
