/**
 * Object-store URIs: `s3://bucket/key`, `az://container/path` and Azure Data Lake's
 * `abfss://container@account.dfs.core.windows.net/path` (read as the same blob container). Pure
 * string work: which store, which bucket or container, which key.
 */
import { OdibiError } from '../errors.js';

export type ObjectScheme = 's3' | 'az';

export interface ObjectUri {
  scheme: ObjectScheme;
  /** S3 bucket or Azure container. */
  bucket: string;
  /** Object key (no leading slash; '' for the bucket's root). */
  key: string;
  /** Azure storage account, when the URI names it (abfss). */
  account?: string;
  /** The account's blob host (`acct.blob.core.windows.net`, or a sovereign cloud's), from an abfss URI. */
  blobHost?: string;
}

const OBJECT_URI = /^(s3|az|abfss?):\/\//i;

/** A value naming an object store rather than a local path or an http(s) URL. */
export function isObjectUri(value: string): boolean {
  return OBJECT_URI.test(value);
}

export class ObjectUriError extends OdibiError {}

export function parseObjectUri(value: string): ObjectUri {
  const m = /^([a-z0-9]+):\/\/([^/]*)\/?(.*)$/i.exec(value);
  const scheme = m?.[1].toLowerCase();
  if (!m || !scheme || !/^(s3|az|abfss?)$/.test(scheme)) {
    throw new ObjectUriError(`'${value}' is not an object-store URI`, { hint: 'write s3://bucket/key, az://container/path or abfss://container@account.dfs.core.windows.net/path' });
  }
  let bucket = m[2];
  const key = m[3];
  if (scheme === 's3') {
    if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) {
      throw new ObjectUriError(`'${value}': '${bucket}' is not a valid S3 bucket name`, { hint: 'bucket names are 3-63 characters of lower-case letters, digits, dots and hyphens: s3://my-bucket/path/file.csv' });
    }
    return { scheme: 's3', bucket, key };
  }
  let account: string | undefined;
  let blobHost: string | undefined;
  if (scheme.startsWith('abfs')) {
    const at = /^([^@]+)@(([^.]+)\.(?:dfs|blob)\.([^/]+))$/i.exec(bucket);
    if (!at) throw new ObjectUriError(`'${value}': expected abfss://container@account.dfs.core.windows.net/path`);
    bucket = at[1];
    account = at[3];
    // Data Lake's dfs host and the blob host differ only in that label (sovereign clouds included).
    blobHost = `${account}.blob.${at[4]}`;
  }
  if (!/^[a-z0-9](?:[a-z0-9-]{1,61}[a-z0-9])?$/.test(bucket) && !['$root', '$web', '$logs'].includes(bucket)) {
    throw new ObjectUriError(`'${value}': '${bucket}' is not a valid Azure container name`, { hint: 'container names are 3-63 characters of lower-case letters, digits and hyphens: az://my-container/path/file.csv' });
  }
  return { scheme: 'az', bucket, key, ...(account ? { account, blobHost } : {}) };
}

/** The URI of `key` in the same bucket as `base`, in `base`'s own form. */
export function withKey(base: string, key: string): string {
  const m = /^([a-z0-9]+:\/\/[^/]*)/i.exec(base);
  if (!m) throw new ObjectUriError(`'${base}' is not an object-store URI`);
  return `${m[1]}/${key.replace(/^\/+/, '')}`;
}

/** Joins key segments with single slashes. */
export function joinKey(...parts: string[]): string {
  return parts.filter((p) => p !== '').join('/').replace(/\/{2,}/g, '/');
}

/** A folder key as a listing prefix: '' (the root) or ending in one '/'. */
export function folderPrefix(key: string): string {
  return key === '' || key.endsWith('/') ? key : `${key}/`;
}

/** The key's folder ('' at the root) and last segment. */
export function splitKey(key: string): { dir: string; base: string } {
  const i = key.lastIndexOf('/');
  return i < 0 ? { dir: '', base: key } : { dir: key.slice(0, i), base: key.slice(i + 1) };
}

/** The part of a glob key before its first wildcard: the prefix a listing must cover. */
export function globPrefix(key: string): string {
  const i = key.search(/[*?[{]/);
  if (i < 0) return key;
  return key.slice(0, key.lastIndexOf('/', i) + 1);
}

export function hasGlob(key: string): boolean {
  return /[*?[{]/.test(key);
}
