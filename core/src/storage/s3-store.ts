/**
 * ObjectStore on S3 (and S3-compatible servers: Ceph radosgw, MinIO) through the official
 * @aws-sdk/client-s3, with @aws-sdk/lib-storage splitting large uploads into parts.
 *
 * Credentials come from the connect step's params when given, else from the SDK's default chain
 * (environment, shared config and profile, SSO, IAM role). An endpoint (params.endpoint or
 * AWS_ENDPOINT_URL) points the client at another server and switches to path-style addressing,
 * which S3-compatible servers expect.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import {
  CopyObjectCommand, DeleteObjectCommand, GetObjectCommand, HeadBucketCommand, HeadObjectCommand, ListObjectsV2Command, PutObjectCommand,
  S3Client, S3ServiceException, type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { PART_SIZE, StorageError, type ObjectInfo, type ObjectStore, type StorageProblem, type WriteConditions } from './object-store.js';

export interface S3Options {
  bucket: string;
  region?: string;
  endpoint?: string;
  forcePathStyle?: boolean;
  accessKeyId?: string;
  secretAccessKey?: string;
  sessionToken?: string;
  profile?: string;
}

/** Network failures: the endpoint is wrong or the server is down. */
const ERRNO = /ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|ECONNRESET|EHOSTUNREACH|ENETUNREACH|socket hang up|getaddrinfo/i;

const unquote = (etag: string | undefined): string => (etag ?? '').replace(/^W\//, '').replace(/"/g, '');

export class S3Store implements ObjectStore {
  readonly label: string;
  readonly id: string;
  readonly #client: S3Client;
  readonly #bucket: string;
  readonly #endpoint: string;

  constructor(options: S3Options) {
    this.#bucket = options.bucket;
    this.label = `s3://${options.bucket}`;
    const endpoint = options.endpoint ?? (process.env.AWS_ENDPOINT_URL_S3 || process.env.AWS_ENDPOINT_URL || undefined);
    this.#endpoint = endpoint ?? 'AWS';
    this.id = `${this.label}@${this.#endpoint}`;
    // Without a region here the SDK reads it from the environment or the profile (~/.aws/config);
    // an S3-compatible server ignores it, so one is made up only for a custom endpoint.
    const region = options.region ?? (process.env.AWS_REGION || process.env.AWS_DEFAULT_REGION || (endpoint ? 'us-east-1' : undefined));
    const config: S3ClientConfig = {
      ...(region ? { region } : {}),
      // A bucket in another region answers 301; the SDK follows it to the right one.
      followRegionRedirects: true,
      ...(endpoint ? { endpoint, forcePathStyle: options.forcePathStyle ?? true } : options.forcePathStyle ? { forcePathStyle: true } : {}),
      ...(options.accessKeyId && options.secretAccessKey
        ? { credentials: { accessKeyId: options.accessKeyId, secretAccessKey: options.secretAccessKey, ...(options.sessionToken ? { sessionToken: options.sessionToken } : {}) } }
        : {}),
      ...(options.profile ? { profile: options.profile } : {}),
      // A wrong endpoint should fail in seconds, not after the SDK's long default retries.
      maxAttempts: 3,
    };
    // The pinned SDK works on the Node 20 ODIBI supports; its notice that later SDK releases will
    // need Node 22 would print on every command that touches S3.
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
    this.#client = new S3Client(config);
  }

  async head(key: string): Promise<ObjectInfo | undefined> {
    try {
      const r = await this.#client.send(new HeadObjectCommand({ Bucket: this.#bucket, Key: key }));
      return { key, etag: unquote(r.ETag), size: Number(r.ContentLength ?? 0), lastModified: r.LastModified };
    } catch (err) {
      const e = this.#error(err, key);
      if (e.problem !== 'not-found') throw e;
    }
    // A HEAD answers a bare 404 for a missing bucket too: ask about the bucket to say which.
    try {
      await this.#client.send(new HeadBucketCommand({ Bucket: this.#bucket }));
    } catch (err) {
      const e = this.#error(err, key);
      throw e.problem === 'not-found' ? this.#error(Object.assign(new Error('NoSuchBucket'), { name: 'NoSuchBucket' }), key) : e;
    }
    return undefined;
  }

  async download(key: string, file: string, etag?: string, signal?: AbortSignal): Promise<ObjectInfo> {
    try {
      const r = await this.#client.send(new GetObjectCommand({ Bucket: this.#bucket, Key: key, ...(etag ? { IfMatch: `"${etag}"` } : {}) }), { abortSignal: signal });
      await pipeline(r.Body as Readable, createWriteStream(file), { signal });
      return { key, etag: unquote(r.ETag), size: Number(r.ContentLength ?? 0), lastModified: r.LastModified };
    } catch (err) {
      throw this.#error(err, key);
    }
  }

  async upload(key: string, file: string, conditions: WriteConditions = {}, signal?: AbortSignal): Promise<{ etag: string }> {
    try {
      const upload = new Upload({
        client: this.#client,
        params: { Bucket: this.#bucket, Key: key, Body: createReadStream(file), ...this.#conditions(conditions) },
        partSize: PART_SIZE,
        queueSize: 4,
        leavePartsOnError: false,
      });
      signal?.addEventListener('abort', () => void upload.abort(), { once: true });
      const r = await upload.done();
      return { etag: unquote(r.ETag) };
    } catch (err) {
      throw this.#error(err, key);
    }
  }

  async putBytes(key: string, body: Uint8Array | string, conditions: WriteConditions = {}): Promise<{ etag: string }> {
    try {
      const r = await this.#client.send(new PutObjectCommand({ Bucket: this.#bucket, Key: key, Body: body, ...this.#conditions(conditions) }));
      return { etag: unquote(r.ETag) };
    } catch (err) {
      const e = this.#error(err, key);
      // Some S3 servers (Ceph radosgw 16) compare a PUT's If-Match without removing the quotes
      // HTTP puts around an ETag, and refuse a tag that does match. Only then, the bare tag again:
      // still a conditional write, so a writer that really lost still fails.
      if (e.problem === 'precondition' && conditions.ifMatch && (await this.head(key))?.etag === conditions.ifMatch) {
        try {
          const r = await this.#client.send(new PutObjectCommand({ Bucket: this.#bucket, Key: key, Body: body, IfMatch: conditions.ifMatch }));
          return { etag: unquote(r.ETag) };
        } catch (again) {
          throw this.#error(again, key);
        }
      }
      throw e;
    }
  }

  async getBytes(key: string): Promise<{ body: Buffer; etag: string } | undefined> {
    try {
      const r = await this.#client.send(new GetObjectCommand({ Bucket: this.#bucket, Key: key }));
      return { body: Buffer.from(await r.Body!.transformToByteArray()), etag: unquote(r.ETag) };
    } catch (err) {
      const e = this.#error(err, key);
      if (e.problem === 'not-found') return undefined;
      throw e;
    }
  }

  async copy(from: string, to: string): Promise<void> {
    try {
      await this.#client.send(new CopyObjectCommand({ Bucket: this.#bucket, Key: to, CopySource: `${this.#bucket}/${from.split('/').map(encodeURIComponent).join('/')}` }));
    } catch (err) {
      throw this.#error(err, from);
    }
  }

  async touch(key: string): Promise<void> {
    try {
      // Copying an object onto itself with new metadata is S3's only way to renew its date.
      await this.#client.send(new CopyObjectCommand({
        Bucket: this.#bucket, Key: key, CopySource: `${this.#bucket}/${key.split('/').map(encodeURIComponent).join('/')}`,
        MetadataDirective: 'REPLACE', Metadata: { 'odibi-touched': new Date().toISOString() },
      }));
    } catch (err) {
      throw this.#error(err, key);
    }
  }

  async delete(key: string): Promise<void> {
    try {
      await this.#client.send(new DeleteObjectCommand({ Bucket: this.#bucket, Key: key }));
    } catch (err) {
      const e = this.#error(err, key);
      if (e.problem !== 'not-found') throw e;
    }
  }

  async *list(prefix: string): AsyncIterable<ObjectInfo> {
    let token: string | undefined;
    do {
      let page;
      try {
        page = await this.#client.send(new ListObjectsV2Command({ Bucket: this.#bucket, Prefix: prefix, ContinuationToken: token }));
      } catch (err) {
        throw this.#error(err, prefix);
      }
      for (const o of page.Contents ?? []) {
        if (o.Key !== undefined) yield { key: o.Key, etag: unquote(o.ETag), size: Number(o.Size ?? 0), lastModified: o.LastModified };
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }

  #conditions(c: WriteConditions): { IfNoneMatch?: string; IfMatch?: string } {
    return { ...(c.ifNoneMatch ? { IfNoneMatch: '*' } : {}), ...(c.ifMatch ? { IfMatch: `"${c.ifMatch}"` } : {}) };
  }

  /** The SDK's error as one a user can act on: which URI, what went wrong, what to do. */
  #error(err: unknown, key: string): StorageError {
    if (err instanceof StorageError) return err;
    const uri = `${this.label}/${key}`;
    const name = (err as { name?: string })?.name ?? '';
    const status = err instanceof S3ServiceException ? err.$metadata.httpStatusCode : (err as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode;
    const code = (err as { Code?: string; code?: string })?.Code ?? (err as { code?: string })?.code ?? '';
    const message = (err as Error)?.message ?? String(err);
    let problem: StorageProblem = 'other';
    let hint: string | undefined;
    if (name === 'NoSuchBucket' || code === 'NoSuchBucket') {
      problem = 'no-bucket';
      hint = `create the bucket '${this.#bucket}' or fix the bucket name in the URI`;
    } else if (name === 'NoSuchKey' || name === 'NotFound' || status === 404) {
      problem = 'not-found';
    } else if (name === 'PreconditionFailed' || status === 412 || name === 'ConditionalRequestConflict' || status === 409) {
      problem = 'precondition';
    } else if (status === 403 || status === 401 || /AccessDenied|InvalidAccessKeyId|SignatureDoesNotMatch|CredentialsProviderError|Could not load credentials/i.test(`${name} ${message}`)) {
      problem = 'denied';
      hint = 'check the credentials: the connect step\'s access_key_id/secret_access_key, or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE or the instance role';
    } else if (/Region is missing/i.test(message)) {
      hint = 'set the bucket\'s region: AWS_REGION, the profile\'s region in ~/.aws/config, or the connect step\'s params.region';
    } else if (status === 301 || /PermanentRedirect|AuthorizationHeaderMalformed/.test(`${name} ${code}`)) {
      hint = 'the bucket is in another region: set AWS_REGION or the connect step\'s params.region to it';
    } else if (ERRNO.test(`${code} ${message} ${String((err as { cause?: { code?: unknown } })?.cause?.code ?? '')}`)) {
      problem = 'unreachable';
      hint = `cannot reach the S3 endpoint ${this.#endpoint}; check params.endpoint or AWS_ENDPOINT_URL and that the server is running`;
    }
    return new StorageError(`${uri}: ${problem === 'no-bucket' ? `bucket '${this.#bucket}' does not exist` : problem === 'denied' ? `access denied (${name || status})` : message}`, problem, { cause: err, hint });
  }
}
