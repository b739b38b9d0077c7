/** A value with a scheme (`https://…`, `s3://…`): not a path on this machine. */
export function isUrl(value: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(value);
}

/** The URL without the credentials it may carry (`redis://user:secret@host` → `redis://***@host`). */
export function withoutCredentials(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^@/]*@/i, '$1***@');
}
