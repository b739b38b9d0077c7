/**
 * The real object stores tests run against, driven through the official SDKs: Ceph radosgw 16.2
 * (S3, `helpers/s3-server.ts`) and Azurite 3.37 (Azure Blob, `helpers/azurite.ts`).
 *
 * Besides checking that the helpers work, this file pins down what each server really does with
 * conditional requests, since atomic "create only if absent" and "replace only if unchanged" writes
 * depend on them. Where a server departs from the cloud service, the test asserts the server's actual
 * behaviour and says so; it does not paper over it.
 */
import { createHash } from 'node:crypto';
import {
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
  paginateListObjectsV2,
} from '@aws-sdk/client-s3';
import { BlobServiceClient, type ContainerClient, RestError } from '@azure/storage-blob';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAzurite, type AzuriteServer } from '../helpers/azurite.js';
import { startS3Server, type S3Server } from '../helpers/s3-server.js';

const md5 = (data: string | Buffer) => createHash('md5').update(data).digest('hex');

/** Runs `fn` over `items` with at most `limit` in flight. */
async function pool<T>(items: T[], limit: number, fn: (item: T) => Promise<unknown>) {
  let next = 0;
  await Promise.all(Array.from({ length: limit }, async () => {
    while (next < items.length) await fn(items[next++]);
  }));
}

/** The error a promise rejects with (fails the test if it resolves). */
async function rejection(p: Promise<unknown>): Promise<any> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error('expected the request to fail, and it succeeded');
}

const MANY = 1100;
const manyKeys = Array.from({ length: MANY }, (_, i) => `many/${String(i).padStart(5, '0')}.txt`);

describe('radosgw (S3)', () => {
  let server: S3Server;
  let s3: S3Client;
  const Bucket = 'odibi-test';
  const text = async (Key: string) => (await s3.send(new GetObjectCommand({ Bucket, Key }))).Body!.transformToString();
  const status = (e: any) => e.$metadata?.httpStatusCode;

  beforeAll(async () => {
    const t0 = Date.now();
    server = await startS3Server();
    console.info(`radosgw ready in ${Date.now() - t0} ms at ${server.endpoint}`);
    s3 = new S3Client({
      endpoint: server.endpoint,
      region: server.region,
      forcePathStyle: true,
      credentials: { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey },
    });
    await s3.send(new CreateBucketCommand({ Bucket }));
  }, 120_000);
  afterAll(async () => {
    s3?.destroy();
    await server?.stop();
  });

  it('puts, heads and gets an object; the ETag is the quoted MD5', async () => {
    const put = await s3.send(new PutObjectCommand({ Bucket, Key: 'hello.txt', Body: 'hello', ContentType: 'text/plain' }));
    expect(put.ETag).toBe(`"${md5('hello')}"`);
    const head = await s3.send(new HeadObjectCommand({ Bucket, Key: 'hello.txt' }));
    expect(head.ETag).toBe(put.ETag);
    expect(head.ContentLength).toBe(5);
    expect(head.ContentType).toBe('text/plain');
    const get = await s3.send(new GetObjectCommand({ Bucket, Key: 'hello.txt' }));
    expect(get.ETag).toBe(put.ETag);
    expect(await get.Body!.transformToString()).toBe('hello');
    const missing = await rejection(s3.send(new GetObjectCommand({ Bucket, Key: 'nope.txt' })));
    expect([missing.name, status(missing)]).toEqual(['NoSuchKey', 404]);
  });

  it(`lists ${MANY} objects under a prefix in pages of at most 1000`, async () => {
    await pool(manyKeys, 32, (Key) => s3.send(new PutObjectCommand({ Bucket, Key, Body: Key })));
    await s3.send(new PutObjectCommand({ Bucket, Key: 'many-not/x.txt', Body: 'x' }));

    const first = await s3.send(new ListObjectsV2Command({ Bucket, Prefix: 'many/', MaxKeys: 1000 }));
    expect(first.KeyCount).toBe(1000);
    expect(first.IsTruncated).toBe(true);
    expect(first.NextContinuationToken).toBeTruthy();
    const second = await s3.send(new ListObjectsV2Command({ Bucket, Prefix: 'many/', MaxKeys: 1000, ContinuationToken: first.NextContinuationToken }));
    expect(second.KeyCount).toBe(MANY - 1000);
    expect(second.IsTruncated).toBe(false);

    const keys: string[] = [];
    const pageSizes: number[] = [];
    for await (const page of paginateListObjectsV2({ client: s3, pageSize: 1000 }, { Bucket, Prefix: 'many/' })) {
      pageSizes.push(page.Contents?.length ?? 0);
      keys.push(...(page.Contents ?? []).map((o) => o.Key!));
    }
    expect(pageSizes).toEqual([1000, MANY - 1000]);
    expect(keys).toEqual(manyKeys); // lexicographic order, nothing from "many-not/"
  });

  it('copies server-side; CopyObjectResult.ETag comes back WITHOUT quotes', async () => {
    const put = await s3.send(new PutObjectCommand({ Bucket, Key: 'copy-src.txt', Body: 'copy me' }));
    const copy = await s3.send(new CopyObjectCommand({ Bucket, Key: 'copy-dst.txt', CopySource: `${Bucket}/copy-src.txt` }));
    // AWS S3 returns "<md5>" with quotes here; radosgw 16.2 returns the bare hex.
    expect(copy.CopyObjectResult?.ETag).toBe(md5('copy me'));
    expect((await s3.send(new HeadObjectCommand({ Bucket, Key: 'copy-dst.txt' }))).ETag).toBe(put.ETag);
    expect(await text('copy-dst.txt')).toBe('copy me');
  });

  it('gives multipart uploads the "<md5 of part md5s>-<parts>" ETag, but not in the CompleteMultipartUpload answer', async () => {
    const parts = [Buffer.alloc(5 * 1024 * 1024, 'a'), Buffer.from('tail')];
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket, Key: 'multi.bin' }));
    const done = [];
    for (const [i, Body] of parts.entries()) {
      const part = await s3.send(new UploadPartCommand({ Bucket, Key: 'multi.bin', UploadId, PartNumber: i + 1, Body }));
      expect(part.ETag).toBe(`"${md5(Body)}"`);
      done.push({ PartNumber: i + 1, ETag: part.ETag });
    }
    const complete = await s3.send(new CompleteMultipartUploadCommand({ Bucket, Key: 'multi.bin', UploadId, MultipartUpload: { Parts: done } }));
    const expected = `"${md5(Buffer.concat(parts.map((p) => Buffer.from(md5(p), 'hex'))))}-2"`;
    // radosgw 16.2 answers <ETag></ETag>: the ETag of the new object is only known from a HEAD.
    expect(complete.ETag).toBe('');
    expect((await s3.send(new HeadObjectCommand({ Bucket, Key: 'multi.bin' }))).ETag).toBe(expected);
  });

  it('honours PutObject If-None-Match: * (412 PreconditionFailed when the key exists)', async () => {
    const first = await s3.send(new PutObjectCommand({ Bucket, Key: 'inm.txt', Body: 'first', IfNoneMatch: '*' }));
    expect(first.ETag).toBe(`"${md5('first')}"`);
    const e = await rejection(s3.send(new PutObjectCommand({ Bucket, Key: 'inm.txt', Body: 'second', IfNoneMatch: '*' })));
    expect([e.name, status(e)]).toEqual(['PreconditionFailed', 412]);
    expect(await text('inm.txt')).toBe('first');
  });

  it('honours PutObject If-Match only with the BARE etag: the quoted ETag it hands out always fails', async () => {
    const put = await s3.send(new PutObjectCommand({ Bucket, Key: 'im.txt', Body: 'v1' }));
    const quoted = put.ETag!;
    const bare = quoted.replace(/"/g, '');

    // radosgw 16.2 compares If-Match byte for byte with its stored etag, which has no quotes. So the
    // ETag exactly as PutObject/HeadObject return it never matches, even when it is current.
    const q = await rejection(s3.send(new PutObjectCommand({ Bucket, Key: 'im.txt', Body: 'v2', IfMatch: quoted })));
    expect([q.name, status(q)]).toEqual(['PreconditionFailed', 412]);
    expect(await text('im.txt')).toBe('v1');

    // With the quotes stripped the condition works: current etag writes, stale etag gets 412.
    const v2 = await s3.send(new PutObjectCommand({ Bucket, Key: 'im.txt', Body: 'v2', IfMatch: bare }));
    expect(v2.ETag).toBe(`"${md5('v2')}"`);
    const stale = await rejection(s3.send(new PutObjectCommand({ Bucket, Key: 'im.txt', Body: 'v3', IfMatch: bare })));
    expect([stale.name, status(stale)]).toEqual(['PreconditionFailed', 412]);
    expect(await text('im.txt')).toBe('v2');

    // If-Match: * means "only if it exists".
    await s3.send(new PutObjectCommand({ Bucket, Key: 'im.txt', Body: 'v4', IfMatch: '*' }));
    expect(await text('im.txt')).toBe('v4');
    // On a missing key radosgw answers 412 (AWS S3 answers 404 NoSuchKey).
    const absent = await rejection(s3.send(new PutObjectCommand({ Bucket, Key: 'im-absent.txt', Body: 'x', IfMatch: bare })));
    expect([absent.name, status(absent)]).toEqual(['PreconditionFailed', 412]);
    const absentStar = await rejection(s3.send(new PutObjectCommand({ Bucket, Key: 'im-absent.txt', Body: 'x', IfMatch: '*' })));
    expect(status(absentStar)).toBe(412);
  });

  it('honours GetObject/HeadObject If-Match and If-None-Match (quoted or bare)', async () => {
    const { ETag } = await s3.send(new PutObjectCommand({ Bucket, Key: 'get-im.txt', Body: 'now' }));
    const get = await s3.send(new GetObjectCommand({ Bucket, Key: 'get-im.txt', IfMatch: ETag }));
    expect(await get.Body!.transformToString()).toBe('now');
    await s3.send(new GetObjectCommand({ Bucket, Key: 'get-im.txt', IfMatch: ETag!.replace(/"/g, '') })).then((r) => r.Body!.transformToString());

    const stale = await rejection(s3.send(new GetObjectCommand({ Bucket, Key: 'get-im.txt', IfMatch: `"${md5('before')}"` })));
    expect([stale.name, status(stale)]).toEqual(['PreconditionFailed', 412]);
    // HEAD has no error body, so the SDK cannot name the error: only the status tells.
    const headStale = await rejection(s3.send(new HeadObjectCommand({ Bucket, Key: 'get-im.txt', IfMatch: `"${md5('before')}"` })));
    expect(status(headStale)).toBe(412);
    const notModified = await rejection(s3.send(new GetObjectCommand({ Bucket, Key: 'get-im.txt', IfNoneMatch: ETag })));
    expect(status(notModified)).toBe(304);
  });

  it('IGNORES If-None-Match: * on CopyObject and on CompleteMultipartUpload', async () => {
    await s3.send(new PutObjectCommand({ Bucket, Key: 'cond-copy-src.txt', Body: 'new' }));
    await s3.send(new PutObjectCommand({ Bucket, Key: 'cond-copy-dst.txt', Body: 'old' }));
    // AWS S3 would refuse with 412; radosgw 16.2 copies over the existing object.
    await s3.send(new CopyObjectCommand({ Bucket, Key: 'cond-copy-dst.txt', CopySource: `${Bucket}/cond-copy-src.txt`, IfNoneMatch: '*' }));
    expect(await text('cond-copy-dst.txt')).toBe('new');

    const Key = 'cond-multi.txt';
    await s3.send(new PutObjectCommand({ Bucket, Key, Body: 'old' }));
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket, Key }));
    const part = await s3.send(new UploadPartCommand({ Bucket, Key, UploadId, PartNumber: 1, Body: 'new' }));
    // The SDK sends the header (AWS S3 would refuse with 412); radosgw 16.2 replaces the object.
    const complete = await s3.send(new CompleteMultipartUploadCommand({ Bucket, Key, UploadId, IfNoneMatch: '*', MultipartUpload: { Parts: [{ PartNumber: 1, ETag: part.ETag }] } }));
    expect(complete.$metadata.httpStatusCode).toBe(200);
    expect(await text(Key)).toBe('new');
  });
});

describe('Azurite (Azure Blob)', () => {
  let server: AzuriteServer;
  let container: ContainerClient;
  const text = async (name: string) => (await container.getBlobClient(name).downloadToBuffer()).toString();
  const etagForm = /^"0x[0-9A-F]+"$/;

  beforeAll(async () => {
    const t0 = Date.now();
    server = await startAzurite();
    console.info(`Azurite ready in ${Date.now() - t0} ms at ${server.blobEndpoint}`);
    container = BlobServiceClient.fromConnectionString(server.connectionString).getContainerClient('odibi-test');
    await container.create();
  }, 120_000);
  afterAll(() => server?.stop());

  it('uploads, reads properties and downloads a blob; the ETag is a quoted 0x… counter', async () => {
    const blob = container.getBlockBlobClient('hello.txt');
    const up = await blob.upload('hello', 5, { blobHTTPHeaders: { blobContentType: 'text/plain' } });
    expect(up.etag).toMatch(etagForm);
    const props = await blob.getProperties();
    expect(props.etag).toBe(up.etag);
    expect(props.contentLength).toBe(5);
    expect(props.contentType).toBe('text/plain');
    expect(Buffer.from(props.contentMD5!).toString('hex')).toBe(md5('hello'));
    expect(await text('hello.txt')).toBe('hello');
    const missing = await rejection(container.getBlobClient('nope.txt').download());
    expect(missing).toBeInstanceOf(RestError);
    expect([missing.statusCode, missing.code]).toEqual([404, 'BlobNotFound']);
  });

  it(`lists ${MANY} blobs under a prefix in pages of at most 1000`, async () => {
    await pool(manyKeys, 32, (name) => container.getBlockBlobClient(name).upload(name, name.length));
    await container.getBlockBlobClient('many-not/x.txt').upload('x', 1);
    const names: string[] = [];
    const pageSizes: number[] = [];
    for await (const page of container.listBlobsFlat({ prefix: 'many/' }).byPage({ maxPageSize: 1000 })) {
      pageSizes.push(page.segment.blobItems.length);
      names.push(...page.segment.blobItems.map((b) => b.name));
    }
    expect(pageSizes).toEqual([1000, MANY - 1000]);
    expect(names).toEqual(manyKeys);
  });

  it('copies server-side from a same-account URL', async () => {
    const src = container.getBlockBlobClient('copy-src.txt');
    await src.upload('copy me', 7);
    const poller = await container.getBlobClient('copy-dst.txt').beginCopyFromURL(src.url);
    const result = await poller.pollUntilDone();
    expect(result.copyStatus).toBe('success');
    expect(result.etag).toMatch(etagForm);
    expect(await text('copy-dst.txt')).toBe('copy me');
  });

  it('gives block-list commits the same ETag form as single uploads', async () => {
    const blob = container.getBlockBlobClient('multi.bin');
    const ids = ['0001', '0002'].map((n) => Buffer.from(n).toString('base64'));
    await blob.stageBlock(ids[0], Buffer.alloc(1024 * 1024, 'a'), 1024 * 1024);
    await blob.stageBlock(ids[1], 'tail', 4);
    const commit = await blob.commitBlockList(ids);
    expect(commit.etag).toMatch(etagForm);
    expect((await blob.getProperties()).contentLength).toBe(1024 * 1024 + 4);
  });

  it('honours upload ifNoneMatch: * (409 BlobAlreadyExists, not 412, when the blob exists)', async () => {
    const blob = container.getBlockBlobClient('inm.txt');
    const first = await blob.upload('first', 5, { conditions: { ifNoneMatch: '*' } });
    expect(first.etag).toMatch(etagForm);
    const e = await rejection(blob.upload('second', 6, { conditions: { ifNoneMatch: '*' } }));
    expect(e).toBeInstanceOf(RestError);
    expect([e.statusCode, e.code]).toEqual([409, 'BlobAlreadyExists']);
    expect(await text('inm.txt')).toBe('first');
    // The same on a block-list commit and on a copy destination.
    const id = Buffer.from('0001').toString('base64');
    await blob.stageBlock(id, 'third', 5);
    const commit = await rejection(blob.commitBlockList([id], { conditions: { ifNoneMatch: '*' } }));
    expect([commit.statusCode, commit.code]).toEqual([409, 'BlobAlreadyExists']);
    const copy = await rejection(blob.beginCopyFromURL(container.getBlobClient('hello.txt').url, { conditions: { ifNoneMatch: '*' } }));
    expect([copy.statusCode, copy.code]).toEqual([409, 'BlobAlreadyExists']);
    expect(await text('inm.txt')).toBe('first');
  });

  it('honours upload ifMatch, quoted or bare (412 ConditionNotMet when stale or absent)', async () => {
    const blob = container.getBlockBlobClient('im.txt');
    const v1 = await blob.upload('v1', 2);
    const v2 = await blob.upload('v2', 2, { conditions: { ifMatch: v1.etag } });
    expect(v2.etag).not.toBe(v1.etag);
    const stale = await rejection(blob.upload('v3', 2, { conditions: { ifMatch: v1.etag } }));
    expect([stale.statusCode, stale.code]).toEqual([412, 'ConditionNotMet']);
    expect(await text('im.txt')).toBe('v2');
    // Azurite also accepts the value without quotes.
    const v3 = await blob.upload('v3', 2, { conditions: { ifMatch: v2.etag!.replace(/"/g, '') } });
    expect(await text('im.txt')).toBe('v3');
    // ifMatch: * means "only if it exists".
    await blob.upload('v4', 2, { conditions: { ifMatch: '*' } });
    expect((await blob.getProperties()).etag).not.toBe(v3.etag);
    // On a missing blob, both a specific etag and * give 412.
    const absent = container.getBlockBlobClient('im-absent.txt');
    for (const ifMatch of [v2.etag!, '*']) {
      const e = await rejection(absent.upload('x', 1, { conditions: { ifMatch } }));
      expect([e.statusCode, e.code]).toEqual([412, 'ConditionNotMet']);
    }
  });

  it('honours download/getProperties ifMatch and ifNoneMatch', async () => {
    const blob = container.getBlockBlobClient('get-im.txt');
    const old = await blob.upload('before', 6);
    const now = await blob.upload('now', 3);
    expect((await blob.downloadToBuffer(0, undefined, { conditions: { ifMatch: now.etag } })).toString()).toBe('now');
    const stale = await rejection(blob.download(0, undefined, { conditions: { ifMatch: old.etag } }));
    expect([stale.statusCode, stale.code]).toEqual([412, 'ConditionNotMet']);
    // HEAD carries no error body: the status is there, `code` is not.
    const headStale = await rejection(blob.getProperties({ conditions: { ifMatch: old.etag } }));
    expect(headStale.statusCode).toBe(412);
    const notModified = await rejection(blob.download(0, undefined, { conditions: { ifNoneMatch: now.etag } }));
    expect(notModified.statusCode).toBe(304);
  });
});
