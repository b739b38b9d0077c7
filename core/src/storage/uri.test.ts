import { describe, expect, it } from 'vitest';
import { globPrefix, isObjectUri, joinKey, parseObjectUri, splitKey, withKey } from './uri.js';

describe('object-store URIs', () => {
  it('reads the three forms', () => {
    expect(parseObjectUri('s3://my-bucket/raw/2024/a.csv')).toEqual({ scheme: 's3', bucket: 'my-bucket', key: 'raw/2024/a.csv' });
    expect(parseObjectUri('az://lake/silver/')).toEqual({ scheme: 'az', bucket: 'lake', key: 'silver/' });
    expect(parseObjectUri('abfss://lake@acct.dfs.core.windows.net/gold/x.parquet')).toEqual({ scheme: 'az', bucket: 'lake', key: 'gold/x.parquet', account: 'acct', blobHost: 'acct.blob.core.windows.net' });
    expect(parseObjectUri('abfss://lake@acct.dfs.core.chinacloudapi.cn/x').blobHost).toBe('acct.blob.core.chinacloudapi.cn');
    expect(parseObjectUri('az://$web/index.html').bucket).toBe('$web');
    expect(parseObjectUri('s3://bucket')).toEqual({ scheme: 's3', bucket: 'bucket', key: '' });
  });

  it('refuses what is not one, saying what is expected', () => {
    expect(isObjectUri('https://x/y.csv')).toBe(false);
    expect(isObjectUri('data/x.csv')).toBe(false);
    expect(isObjectUri('S3://b/k')).toBe(true);
    expect(() => parseObjectUri('s3://Bad_Bucket/k')).toThrow(/not a valid S3 bucket name/);
    expect(() => parseObjectUri('abfss://lake/x')).toThrow(/container@account/);
  });

  it('builds keys and URIs', () => {
    expect(withKey('abfss://lake@acct.dfs.core.windows.net/a', 'b/c.csv')).toBe('abfss://lake@acct.dfs.core.windows.net/b/c.csv');
    expect(joinKey('raw/', '', 'a.csv')).toBe('raw/a.csv');
    expect(splitKey('a/b/c.csv')).toEqual({ dir: 'a/b', base: 'c.csv' });
    expect(splitKey('c.csv')).toEqual({ dir: '', base: 'c.csv' });
    expect(globPrefix('raw/2024/*/x-*.csv')).toBe('raw/2024/');
    expect(globPrefix('*.csv')).toBe('');
  });
});
