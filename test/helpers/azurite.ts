/**
 * A real Azure Blob endpoint for storage tests: Azurite's blob server (npm `azurite`, a devDependency
 * of this workspace) on 127.0.0.1, in memory, with the well-known development account. Blob only:
 * no ADLS Gen2 (dfs) endpoint. Ready in well under a second.
 *
 * It runs and is cleaned up as every test server is (server-process.ts).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { BlobServiceClient } from '@azure/storage-blob';
import { startServerProcess } from './server-process.js';

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

const connectionStringAt = (port: number) => `DefaultEndpointsProtocol=http;AccountName=${ACCOUNT};AccountKey=${ACCOUNT_KEY};BlobEndpoint=http://127.0.0.1:${port}/${ACCOUNT};`;

export async function startAzurite(): Promise<AzuriteServer> {
  const script = azuriteBlobScript();
  const s = await startServerProcess('azurite-blob', (port) => [
    process.execPath, script, '--blobHost', '127.0.0.1', '--blobPort', String(port),
    '--inMemoryPersistence', '--disableTelemetry', '--skipApiVersionCheck', '--loose', '--silent',
  ], async (port) => {
    // Bound is not enough: a signed request must succeed.
    await BlobServiceClient.fromConnectionString(connectionStringAt(port), { retryOptions: { maxTries: 1 } }).getProperties();
  });
  return { connectionString: connectionStringAt(s.port), blobEndpoint: `http://127.0.0.1:${s.port}/${ACCOUNT}`, account: ACCOUNT, accountKey: ACCOUNT_KEY, stop: s.stop };
}
