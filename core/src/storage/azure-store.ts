/**
 * ObjectStore on Azure Blob Storage (and Azurite) through the official @azure/storage-blob, with
 * @azure/identity's DefaultAzureCredential when no key, SAS or connection string is given
 * (environment, workload or managed identity, Azure CLI login).
 */
import { createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import { AnonymousCredential, BlobServiceClient, StorageSharedKeyCredential, type ContainerClient } from '@azure/storage-blob';
import { PART_SIZE, StorageError, type ObjectInfo, type ObjectStore, type StorageProblem, type WriteConditions } from './object-store.js';

export interface AzureOptions {
  container: string;
  /** Full connection string (AccountName/AccountKey/BlobEndpoint or SAS). */
  connectionString?: string;
  account?: string;
  accountKey?: string;
  /** A SAS token (with or without the leading '?'). */
  sasToken?: string;
  /** Blob service URL, e.g. http://127.0.0.1:10000/devstoreaccount1; default https://<account>.blob.core.windows.net. */
  endpoint?: string;
  /** The account's blob host when an abfss URI names it (sovereign clouds have other suffixes). */
  accountHost?: string;
}

const unquote = (etag: string | undefined): string => (etag ?? '').replace(/"/g, '');

/** A wrong endpoint fails in seconds, not after the SDK's default minute of backoff. */
const CLIENT_OPTIONS = { retryOptions: { maxTries: 3, retryDelayInMs: 300, maxRetryDelayInMs: 3000 } };

export class AzureStore implements ObjectStore {
  readonly label: string;
  readonly id: string;
  readonly #container: ContainerClient;
  readonly #where: string;

  private constructor(container: ContainerClient, name: string, where: string) {
    this.#container = container;
    this.label = `az://${name}`;
    // Never the query string: a SAS token would end up in messages and run records.
    const url = new URL(where);
    this.#where = `${url.origin}${url.pathname}`.replace(/\/+$/, '');
    this.id = `${this.label}@${this.#where}`;
  }

  static async create(o: AzureOptions): Promise<AzureStore> {
    const fromEnv = process.env.AZURE_STORAGE_CONNECTION_STRING || undefined;
    // The environment's connection string serves a URI that names no account, or names its account.
    const envAccount = fromEnv && /(?:^|;)AccountName=([^;]+)/i.exec(fromEnv)?.[1];
    const connectionString = o.connectionString ?? (!o.endpoint && (!o.account || o.account === envAccount) ? fromEnv : undefined);
    if (connectionString) {
      const service = BlobServiceClient.fromConnectionString(connectionString, CLIENT_OPTIONS);
      return new AzureStore(service.getContainerClient(o.container), o.container, service.url);
    }
    const account = o.account ?? (process.env.AZURE_STORAGE_ACCOUNT || undefined);
    const endpoint = (o.endpoint ?? (o.accountHost ? `https://${o.accountHost}` : account ? `https://${account}.blob.core.windows.net` : undefined))?.replace(/\/+$/, '');
    if (!endpoint) {
      throw new StorageError(`az://${o.container}: no storage account`, 'denied', {
        hint: 'set AZURE_STORAGE_CONNECTION_STRING, or AZURE_STORAGE_ACCOUNT (signed in with DefaultAzureCredential), or name the account in a connect step (params.account) or the URI (abfss://container@account.dfs.core.windows.net/path)',
      });
    }
    let service: BlobServiceClient;
    if (o.sasToken) {
      service = new BlobServiceClient(`${endpoint}?${o.sasToken.replace(/^\?/, '')}`, new AnonymousCredential(), CLIENT_OPTIONS);
    } else if (o.accountKey && account) {
      service = new BlobServiceClient(endpoint, new StorageSharedKeyCredential(account, o.accountKey), CLIENT_OPTIONS);
    } else {
      // Loaded only when used: @azure/identity pulls in MSAL.
      const { DefaultAzureCredential } = await import('@azure/identity');
      service = new BlobServiceClient(endpoint, new DefaultAzureCredential(), CLIENT_OPTIONS);
    }
    return new AzureStore(service.getContainerClient(o.container), o.container, endpoint);
  }

  async head(key: string): Promise<ObjectInfo | undefined> {
    try {
      const p = await this.#container.getBlobClient(key).getProperties();
      return { key, etag: unquote(p.etag), size: Number(p.contentLength ?? 0), lastModified: p.lastModified };
    } catch (err) {
      const e = this.#error(err, key);
      if (e.problem === 'not-found') return undefined;
      throw e;
    }
  }

  async download(key: string, file: string, etag?: string, signal?: AbortSignal): Promise<ObjectInfo> {
    try {
      const r = await this.#container.getBlobClient(key).download(0, undefined, { ...(etag ? { conditions: { ifMatch: `"${etag}"` } } : {}), abortSignal: signal });
      await pipeline(r.readableStreamBody as Readable, createWriteStream(file), { signal });
      return { key, etag: unquote(r.etag), size: Number(r.contentLength ?? 0), lastModified: r.lastModified };
    } catch (err) {
      throw this.#error(err, key);
    }
  }

  async upload(key: string, file: string, conditions: WriteConditions = {}, signal?: AbortSignal): Promise<{ etag: string }> {
    try {
      const r = await this.#container.getBlockBlobClient(key).uploadFile(file, {
        blockSize: PART_SIZE, maxSingleShotSize: PART_SIZE, concurrency: 4, conditions: this.#conditions(conditions), abortSignal: signal,
      });
      return { etag: unquote(r.etag) };
    } catch (err) {
      throw this.#error(err, key);
    }
  }

  async putBytes(key: string, body: Uint8Array | string, conditions: WriteConditions = {}): Promise<{ etag: string }> {
    const bytes = typeof body === 'string' ? Buffer.from(body) : body;
    try {
      const r = await this.#container.getBlockBlobClient(key).upload(bytes, bytes.byteLength, { conditions: this.#conditions(conditions) });
      return { etag: unquote(r.etag) };
    } catch (err) {
      throw this.#error(err, key);
    }
  }

  async getBytes(key: string): Promise<{ body: Buffer; etag: string } | undefined> {
    try {
      const blob = this.#container.getBlobClient(key);
      const r = await blob.download();
      const chunks: Buffer[] = [];
      for await (const c of r.readableStreamBody as Readable) chunks.push(c as Buffer);
      return { body: Buffer.concat(chunks), etag: unquote(r.etag) };
    } catch (err) {
      const e = this.#error(err, key);
      if (e.problem === 'not-found') return undefined;
      throw e;
    }
  }

  async copy(from: string, to: string): Promise<void> {
    try {
      // Same account: the destination's credentials authorize reading the source.
      const poller = await this.#container.getBlobClient(to).beginCopyFromURL(this.#container.getBlobClient(from).url);
      await poller.pollUntilDone();
    } catch (err) {
      throw this.#error(err, from);
    }
  }

  async touch(key: string): Promise<void> {
    try {
      await this.#container.getBlobClient(key).setMetadata({ odibitouched: new Date().toISOString().replace(/\D/g, '') });
    } catch (err) {
      throw this.#error(err, key);
    }
  }

  async delete(key: string): Promise<void> {
    try {
      await this.#container.getBlobClient(key).deleteIfExists();
    } catch (err) {
      throw this.#error(err, key);
    }
  }

  async *list(prefix: string): AsyncIterable<ObjectInfo> {
    try {
      for await (const page of this.#container.listBlobsFlat({ prefix }).byPage({ maxPageSize: 1000 })) {
        for (const b of page.segment.blobItems) {
          yield { key: b.name, etag: unquote(b.properties.etag), size: Number(b.properties.contentLength ?? 0), lastModified: b.properties.lastModified };
        }
      }
    } catch (err) {
      throw this.#error(err, prefix);
    }
  }

  #conditions(c: WriteConditions): { ifNoneMatch?: string; ifMatch?: string } {
    return { ...(c.ifNoneMatch ? { ifNoneMatch: '*' } : {}), ...(c.ifMatch ? { ifMatch: `"${c.ifMatch}"` } : {}) };
  }

  #error(err: unknown, key: string): StorageError {
    if (err instanceof StorageError) return err;
    const uri = `${this.label}/${key}`;
    const status = (err as { statusCode?: number })?.statusCode;
    const code = String((err as { code?: string })?.code ?? (err as { details?: { errorCode?: string } })?.details?.errorCode ?? '');
    const message = (err as Error)?.message ?? String(err);
    let problem: StorageProblem = 'other';
    let hint: string | undefined;
    if (code === 'ContainerNotFound') {
      problem = 'no-bucket';
      hint = `create the container '${this.label.slice(5)}' or fix the container name in the URI`;
    } else if (status === 404 || code === 'BlobNotFound') {
      problem = 'not-found';
    } else if (status === 412 || code === 'ConditionNotMet' || code === 'BlobAlreadyExists' || (status === 409 && /exists/i.test(code))) {
      problem = 'precondition';
    } else if (status === 403 || status === 401 || /AuthenticationFailed|AuthorizationFailure|CredentialUnavailable|ClientAuthenticationError|AuthenticationError|AuthenticationRequired/i.test(`${code} ${message} ${(err as Error)?.name}`)) {
      problem = 'denied';
      hint = 'check the credentials: the connect step\'s connection_string, account_key or sas_token, AZURE_STORAGE_CONNECTION_STRING, or the identity DefaultAzureCredential signs in with';
    } else if (/ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|ECONNRESET|REQUEST_SEND_ERROR/i.test(`${code} ${message}`)) {
      problem = 'unreachable';
      hint = `cannot reach the blob endpoint ${this.#where}; check params.endpoint or the connection string's BlobEndpoint, and that the server is running`;
    }
    const what = problem === 'no-bucket' ? `container '${this.label.slice(5)}' does not exist` : problem === 'denied' ? `access denied (${code || status || 'no credentials'})` : message.split('\n')[0];
    return new StorageError(`${uri}: ${what}`, problem, { cause: err, hint });
  }
}
