import { describe, it, expect, vi, afterEach } from 'vitest';
import { Redactor, substitute } from './env.js';

describe('substitute: ${var:…}', () => {
  it('puts in a variable, or its default, and says which were used and which are missing', () => {
    const r = substitute({ path: '${var:root}/in/*.csv', out: '${var:out:-out/gold}', n: '${var:limit:-}', bad: '${var:nope}' }, { vars: { root: 's3://lake' }, env: {} });
    expect(r.value).toEqual({ path: 's3://lake/in/*.csv', out: 'out/gold', n: '', bad: '${var:nope}' });
    expect(r.used).toEqual({ root: 's3://lake', out: 'out/gold', limit: '' });
    expect(r.missingVars).toEqual(['nope']);
    // Variables are settings, not secrets.
    expect(r.secrets).toEqual([]);
  });

  it('gives a set variable precedence over its default, even when empty, and takes defaults for ${env:…} too', () => {
    expect(substitute('${var:x:-d}', { vars: { x: '' } }).value).toBe('');
    expect(substitute('${env:ODIBI_NOT_SET_ANYWHERE:-fallback}', { env: {} })).toMatchObject({ value: 'fallback', missing: [], secrets: [] });
  });
});

describe('substitute: ${env:…}', () => {
  const env = { DB_USER: 'odibi', DB_PASSWORD: 'hunter2', API_TOKEN: 'tok-123', EMPTY: '' };

  it('replaces ${env:NAME} in strings nested in objects and arrays', () => {
    const { value, missing, secrets } = substitute({
      url: 'postgres://${env:DB_USER}:${env:DB_PASSWORD}@db/iot',
      headers: [{ Authorization: 'Bearer ${env:API_TOKEN}' }, 'plain'],
      retry: { attempts: 3, enabled: true, backoff: null },
    }, { env });
    expect(value).toEqual({
      url: 'postgres://odibi:hunter2@db/iot',
      headers: [{ Authorization: 'Bearer tok-123' }, 'plain'],
      retry: { attempts: 3, enabled: true, backoff: null },
    });
    expect(missing).toEqual([]);
    expect(secrets).toEqual(expect.arrayContaining(['odibi', 'hunter2', 'tok-123']));
    expect(secrets).toHaveLength(3);
  });

  it('replaces every reference in a plain string and leaves keys alone', () => {
    expect(substitute('${env:DB_USER}/${env:DB_USER}', { env }).value).toBe('odibi/odibi');
    expect(substitute({ '${env:DB_USER}': 1 }, { env }).value).toEqual({ '${env:DB_USER}': 1 });
  });

  it('does not change the input', () => {
    const input = { password: '${env:DB_PASSWORD}', list: ['${env:API_TOKEN}'] };
    substitute(input, { env });
    expect(input).toEqual({ password: '${env:DB_PASSWORD}', list: ['${env:API_TOKEN}'] });
  });

  it('reports names that are not set and leaves their references in place', () => {
    const { value, missing } = substitute({ a: '${env:NOPE}', b: ['x ${env:ALSO_NOPE} y'], c: '${env:DB_USER}' }, { env });
    expect(missing.sort()).toEqual(['ALSO_NOPE', 'NOPE']);
    expect(value).toEqual({ a: '${env:NOPE}', b: ['x ${env:ALSO_NOPE} y'], c: 'odibi' });
  });

  it('a variable set to the empty string is substituted but is not a secret', () => {
    const { value, missing, secrets } = substitute('pre${env:EMPTY}post', { env });
    expect(value).toBe('prepost');
    expect(missing).toEqual([]);
    expect(secrets).toEqual([]);
  });

  it('text that only looks like a reference is left alone', () => {
    const text = '$DB_PASSWORD ${DB_PASSWORD} ${env:} ${env:1BAD} {env:DB_PASSWORD}';
    expect(substitute(text, { env })).toMatchObject({ value: text, missing: [], secrets: [] });
  });

  describe('without an explicit env', () => {
    afterEach(() => {
      vi.unstubAllEnvs();
    });

    it('reads process.env', () => {
      vi.stubEnv('ODIBI_TEST_SECRET', 'from-process');
      expect(substitute('${env:ODIBI_TEST_SECRET}').value).toBe('from-process');
    });
  });
});

describe('Redactor', () => {
  it('redact replaces every occurrence of every secret with ***', () => {
    const r = new Redactor(['hunter2', 'tok-123']);
    expect(r.redact('login odibi:hunter2 failed; retry with hunter2 and token tok-123'))
      .toBe('login odibi:*** failed; retry with *** and token ***');
  });

  it('replaces a longer secret whole even when it contains a shorter one', () => {
    const r = new Redactor(['abc', 'abcdef']);
    expect(r.redact('key=abcdef, short=abc')).toBe('key=***, short=***');
  });

  it('ignores empty secrets and leaves text without secrets unchanged', () => {
    const r = new Redactor(['', 'hunter2']);
    expect(r.redact('nothing to hide')).toBe('nothing to hide');
    expect(new Redactor([]).redact('hunter2')).toBe('hunter2');
  });

  it('redactValue redacts strings deep inside objects and arrays, and leaves other values alone', () => {
    const when = new Date('2024-01-01T00:00:00Z');
    const r = new Redactor(['hunter2']);
    const input = {
      message: 'connect failed for odibi:hunter2',
      params: { url: 'postgres://odibi:hunter2@db', tries: [1, 2], ok: false, none: null },
      events: [{ detail: 'hunter2' }, 'hunter2 again', 42],
      when,
    };
    const out = r.redactValue(input);
    expect(out).toEqual({
      message: 'connect failed for odibi:***',
      params: { url: 'postgres://odibi:***@db', tries: [1, 2], ok: false, none: null },
      events: [{ detail: '***' }, '*** again', 42],
      when,
    });
    expect(out.when).toBe(when);
    expect(input.message).toBe('connect failed for odibi:hunter2'); // input untouched
  });

  it('redactValue works on plain strings', () => {
    expect(new Redactor(['s3cret']).redactValue('s3cret!')).toBe('***!');
  });

  it('what substitute substituted is what Redactor hides', () => {
    const { value, secrets } = substitute({ dsn: 'postgres://u:${env:PW}@h/db' }, { env: { PW: 'p@ss' } });
    expect(new Redactor(secrets).redact(`error connecting to ${value.dsn}`)).toBe('error connecting to postgres://u:***@h/db');
  });
});
