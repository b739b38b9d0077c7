/**
 * What ODIBI needs of an object store (S3, Azure Blob), in one interface each cloud's client
 * implements: enough to read objects into a local cache, publish files atomically and list
 * prefixes. Errors come back as StorageError with a hint a user can act on.
 */
import { OdibiError, type ErrorDetails } from '../errors.js';

export interface ObjectInfo {
  key: string;
  /** The store's version tag of the object's content (quotes removed). */
  etag: string;
  size: number;
  lastModified?: Date;
}

export interface WriteConditions {
  /** Only if no object has this key yet (If-None-Match: *). */
  ifNoneMatch?: '*';
  /** Only if the object still has this ETag (If-Match). */
  ifMatch?: string;
}

/** Objects at least this big go up in parts (and parts are this big). */
export const PART_SIZE = 8 * 1024 * 1024;

export interface ObjectStore {
  /** `s3://bucket` or `az://container`: how messages name the store. */
  readonly label: string;
  /** The label plus the endpoint or account: two stores with one bucket name stay apart in caches. */
  readonly id: string;
  head(key: string): Promise<ObjectInfo | undefined>;
  /** Streams the object into `file` (created or replaced); fails if its ETag is no longer `etag`. */
  download(key: string, file: string, etag?: string, signal?: AbortSignal): Promise<ObjectInfo>;
  /** Streams a local file to the key (multipart above a threshold). */
  upload(key: string, file: string, conditions?: WriteConditions, signal?: AbortSignal): Promise<{ etag: string }>;
  putBytes(key: string, body: Uint8Array | string, conditions?: WriteConditions): Promise<{ etag: string }>;
  getBytes(key: string): Promise<{ body: Buffer; etag: string } | undefined>;
  /** Server-side copy, replacing `to` in one step (readers see the old object or the new one). */
  copy(from: string, to: string): Promise<void>;
  delete(key: string): Promise<void>;
  /** Refreshes the object's last-modified time (a live run's staging object, against sweeps). */
  touch(key: string): Promise<void>;
  /** Every object under `prefix`, page by page. */
  list(prefix: string): AsyncIterable<ObjectInfo>;
}

export type StorageProblem = 'no-bucket' | 'denied' | 'unreachable' | 'not-found' | 'precondition' | 'other';

export class StorageError extends OdibiError {
  constructor(message: string, readonly problem: StorageProblem, details: ErrorDetails = {}) {
    super(message, details);
  }
}

/** A conditional write that lost: another writer got there first. */
export function isPrecondition(err: unknown): boolean {
  return err instanceof StorageError && err.problem === 'precondition';
}
