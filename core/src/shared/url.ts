/** A value with a scheme (`https://…`, `s3://…`): not a path on this machine. */
export function isUrl(value: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(value);
}
