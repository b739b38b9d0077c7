/**
 * Where a step's path lives when it is on an object store, and the client that reaches it.
 *
 * A path is on a store when it is an `s3://`, `az://` or `abfss://` URI, or when the step names a
 * connect step whose value is such a URI (`params.connection`): then a relative path is a key under
 * that URI, and the connect step's params (endpoint, keys, connection string, SAS…) configure the
 * client. A bare URI with no connect step uses each SDK's environment: the AWS default chain with
 * AWS_ENDPOINT_URL, and AZURE_STORAGE_CONNECTION_STRING or AZURE_STORAGE_ACCOUNT with
 * DefaultAzureCredential. Object-store connections are configuration only: nothing is opened, so
 * a dry run reaches the store exactly as the run will.
 */
import type { Pipeline, StepConfig } from '../config/model.js';
import { OdibiError } from '../errors.js';
import type { ObjectStore } from './object-store.js';
import { folderPrefix, isObjectUri, joinKey, parseObjectUri, withKey, type ObjectUri } from './uri.js';

export interface ObjectLocation {
  /** The full URI, as messages show it. */
  uri: string;
  store: ObjectStore;
  /** The object key (or glob) inside the bucket or container. */
  key: string;
}

/** Settings of an object-store connect step (its params, `${env:…}` already substituted). */
export interface StoreSettings {
  [name: string]: unknown;
}

const STORE_TYPES = new Set(['s3', 'azure', 'azure_blob', 'adls']);

/** The connect step `name`, if it declares an object store. */
export function objectConnection(pipeline: Pipeline, name: unknown): StepConfig | undefined {
  if (typeof name !== 'string') return undefined;
  const step = pipeline.steps.find((s) => s.layer === 'connect' && s.name === name);
  return step && isObjectConnect(step) ? step : undefined;
}

/** A connect step whose value is an object-store URI, or whose params.type names a store. */
export function isObjectConnect(step: StepConfig): boolean {
  return step.layer === 'connect' && (isObjectUri(step.value) || STORE_TYPES.has(String(step.params.type ?? '').toLowerCase()));
}

/** The URI a connect step points at: its value, or (v1 style) params.container/bucket with its type. */
export function connectUri(step: StepConfig): string {
  if (isObjectUri(step.value)) return step.value;
  const p = step.params;
  const type = String(p.type ?? '').toLowerCase();
  const bucket = String(p.container ?? p.bucket ?? '');
  if (!bucket) throw new OdibiError(`connect step '${step.name}' names no bucket or container`, { step: step.name, hint: 'set value to s3://bucket or az://container (or params.container / params.bucket)' });
  return type === 's3' ? `s3://${bucket}` : `az://${bucket}`;
}

/** Whether `value`, as `step` uses it, is on an object store. */
export function onObjectStore(pipeline: Pipeline, step: StepConfig, value = step.value): boolean {
  return isObjectUri(value) || !!objectConnection(pipeline, step.params.connection);
}

/**
 * The URI `value` names as `step` uses it, or undefined when it is not on an object store. Under a
 * connection, a relative value is a key below the connection's URI, and a full URI must lie below
 * it too: the connection's credentials are never sent to another bucket or endpoint.
 */
export function objectUriOf(pipeline: Pipeline, step: StepConfig, value = step.value): string | undefined {
  const conn = objectConnection(pipeline, step.params.connection);
  if (!conn) return isObjectUri(value) ? value : undefined;
  const base = connectUri(conn);
  if (!isObjectUri(value)) return withKey(base, joinKey(parseObjectUri(base).key, value));
  const root = base.replace(/\/+$/, '');
  if (value !== root && !value.startsWith(`${root}/`)) {
    throw new OdibiError(`'${value}' is not under connection '${conn.name}' (${base})`, {
      step: step.name, hint: `with params.connection, give a key relative to ${base}; for another bucket, drop params.connection or add a connect step for it`,
    });
  }
  return value;
}

/** Where `value` (the step's value by default) is, or undefined when it is not on an object store. */
export async function locate(pipeline: Pipeline, step: StepConfig, value = step.value): Promise<ObjectLocation | undefined> {
  const uri = objectUriOf(pipeline, step, value);
  if (uri === undefined) return undefined;
  const parsed = parseObjectUri(uri);
  const conn = objectConnection(pipeline, step.params.connection);
  const store = await openStore(parsed, conn ? conn.params : {});
  return { uri, store, key: parsed.key };
}

/** Where an object-store connect step points. */
export function locateConnection(pipeline: Pipeline, connect: StepConfig): Promise<ObjectLocation | undefined> {
  return locate(pipeline, { ...connect, params: { ...connect.params, connection: connect.name } }, connectUri(connect));
}

/**
 * Lists the first page under a location's folder: the bucket or container is there, the endpoint
 * answers and the credentials may list it, or a StorageError says which is not so.
 */
export async function probe(loc: ObjectLocation): Promise<void> {
  for await (const _ of loc.store.list(folderPrefix(loc.key))) break;
}

const stores = new Map<string, Promise<ObjectStore>>();

/** One client per bucket and settings, shared by every step of the process. */
export function openStore(uri: ObjectUri, settings: StoreSettings = {}): Promise<ObjectStore> {
  const id = JSON.stringify([uri.scheme, uri.bucket, uri.account ?? '', settings]);
  let store = stores.get(id);
  if (!store) {
    store = create(uri, settings);
    stores.set(id, store);
    store.catch(() => stores.delete(id));
  }
  return store;
}

const text = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

async function create(uri: ObjectUri, s: StoreSettings): Promise<ObjectStore> {
  if (uri.scheme === 's3') {
    const { S3Store } = await import('./s3-store.js');
    return new S3Store({
      bucket: uri.bucket,
      region: text(s.region),
      endpoint: text(s.endpoint) ?? text(s.endpoint_url),
      forcePathStyle: typeof s.force_path_style === 'boolean' ? s.force_path_style : undefined,
      accessKeyId: text(s.access_key_id) ?? text(s.aws_access_key_id),
      secretAccessKey: text(s.secret_access_key) ?? text(s.aws_secret_access_key),
      sessionToken: text(s.session_token),
      profile: text(s.profile),
    });
  }
  const { AzureStore } = await import('./azure-store.js');
  return AzureStore.create({
    container: uri.bucket,
    connectionString: text(s.connection_string),
    account: text(s.account) ?? text(s.account_name) ?? uri.account,
    accountKey: text(s.account_key),
    sasToken: text(s.sas_token) ?? text(s.sas),
    endpoint: text(s.endpoint) ?? text(s.account_url),
    accountHost: uri.blobHost,
  });
}
