/**
 * The two real object stores the storage tests run against (Ceph radosgw for S3, Azurite for Azure
 * Blob), each with a bucket or container named `lake`, the environment that reaches it, and its
 * own SDK client: tests read back what ODIBI wrote through the cloud's SDK, never through ODIBI.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import {
  CreateBucketCommand, DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client,
} from '@aws-sdk/client-s3';
import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob';
import { startAzurite } from './azurite.js';
import { startS3Server } from './s3-server.js';

/** What a test needs of a store: its URIs, the environment that reaches it, and an SDK client. */
export interface Backend {
  name: 's3' | 'azure';
  uri(key: string): string;
  /** Environment that lets a bare URI reach the store (endpoint pointed at `endpoint` if given). */
  env(endpoint?: string): Record<string, string>;
  endpoint: string;
  /** A connect step's params reaching the store, secrets through `${env:…}`, and those variables. */
  connect: { params: Record<string, unknown>; env: Record<string, string>; secret: string };
  /** The same with a wrong key. */
  badKeyEnv: Record<string, string>;
  put(key: string, body: Buffer | string): Promise<void>;
  get(key: string): Promise<Buffer | undefined>;
  etag(key: string): Promise<string | undefined>;
  keys(prefix: string): Promise<string[]>;
  remove(key: string): Promise<void>;
  stop(): Promise<void>;
}

export const BUCKET = 'lake';

export async function s3Backend(): Promise<Backend> {
  const server = await startS3Server();
  const client = new S3Client({ endpoint: server.endpoint, region: server.region, forcePathStyle: true, credentials: { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey } });
  await client.send(new CreateBucketCommand({ Bucket: BUCKET }));
  const base = { AWS_ACCESS_KEY_ID: server.accessKeyId, AWS_SECRET_ACCESS_KEY: server.secretAccessKey, AWS_REGION: server.region };
  return {
    name: 's3',
    uri: (key) => `s3://${BUCKET}/${key}`,
    env: (endpoint = server.endpoint) => ({ ...base, AWS_ENDPOINT_URL: endpoint }),
    endpoint: server.endpoint,
    connect: {
      params: { endpoint: server.endpoint, access_key_id: '${env:LAKE_KEY_ID}', secret_access_key: '${env:LAKE_SECRET}' },
      env: { LAKE_KEY_ID: server.accessKeyId, LAKE_SECRET: server.secretAccessKey },
      secret: server.secretAccessKey,
    },
    badKeyEnv: { ...base, AWS_SECRET_ACCESS_KEY: 'not-the-secret', AWS_ENDPOINT_URL: server.endpoint },
    put: async (key, body) => void (await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body }))),
    get: async (key) => {
      try {
        const r = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
        return Buffer.from(await r.Body!.transformToByteArray());
      } catch {
        return undefined;
      }
    },
    etag: async (key) => client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key })).then((r) => r.ETag, () => undefined),
    remove: async (key) => void (await client.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: key }))),
    keys: async (prefix) => {
      const out: string[] = [];
      let token: string | undefined;
      do {
        const page = await client.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: prefix, ContinuationToken: token }));
        out.push(...(page.Contents ?? []).map((o) => o.Key!));
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
      return out.sort();
    },
    stop: () => server.stop(),
  };
}

export async function azureBackend(): Promise<Backend> {
  const server = await startAzurite();
  const container: ContainerClient = BlobServiceClient.fromConnectionString(server.connectionString).getContainerClient(BUCKET);
  await container.create();
  const cs = (endpoint: string, key = server.accountKey) => `DefaultEndpointsProtocol=http;AccountName=${server.account};AccountKey=${key};BlobEndpoint=${endpoint};`;
  return {
    name: 'azure',
    uri: (key) => `az://${BUCKET}/${key}`,
    env: (endpoint = server.blobEndpoint) => ({ AZURE_STORAGE_CONNECTION_STRING: cs(endpoint) }),
    endpoint: server.blobEndpoint,
    connect: {
      params: { connection_string: '${env:LAKE_CONNECTION_STRING}' },
      env: { LAKE_CONNECTION_STRING: cs(server.blobEndpoint) },
      secret: server.accountKey,
    },
    badKeyEnv: { AZURE_STORAGE_CONNECTION_STRING: cs(server.blobEndpoint, Buffer.from('not the key').toString('base64')) },
    put: async (key, body) => {
      const bytes = typeof body === 'string' ? Buffer.from(body) : body;
      await container.getBlockBlobClient(key).upload(bytes, bytes.byteLength);
    },
    get: async (key) => container.getBlobClient(key).downloadToBuffer().catch(() => undefined),
    etag: async (key) => container.getBlobClient(key).getProperties().then((p) => p.etag, () => undefined),
    remove: async (key) => void (await container.getBlobClient(key).deleteIfExists()),
    keys: async (prefix) => {
      const out: string[] = [];
      for await (const b of container.listBlobsFlat({ prefix })) out.push(b.name);
      return out.sort();
    },
    stop: () => server.stop(),
  };
}


/** Downloads `key` into `dir` through the SDK (a local file DuckDB can read). */
export async function download(b: Backend, key: string, dir: string): Promise<string> {
  const body = await b.get(key);
  if (!body) throw new Error(`${b.uri(key)} is missing`);
  const file = path.join(dir, key.replace(/\//g, '_'));
  await writeFile(file, body);
  return file;
}

export const BACKENDS: [string, () => Promise<Backend>][] = [['S3 (Ceph radosgw)', s3Backend], ['Azure Blob (Azurite)', azureBackend]];
