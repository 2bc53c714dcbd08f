import { describe, expect, it } from 'vitest';
import { ConfigError, SplitterEnv, loadConfig } from '../../shared/config.ts';

const required = { STATE_MACHINE_ARN: 'arn:aws:states:us-east-1:1:stateMachine:x', RENDITIONS_BUCKET: 'out', WORK_BUCKET: 'work' };

describe('loadConfig', () => {
  it('applies defaults and parses lists and flags', () => {
    const config = loadConfig(SplitterEnv, { ...required, IMAGE_WIDTHS: '200, 400', S3_FORCE_PATH_STYLE: 'true' });
    expect(config.IMAGE_WIDTHS).toEqual([200, 400]);
    expect(config.S3_FORCE_PATH_STYLE).toBe(true);
    expect(config.IMAGE_MAX_PIXELS).toBe(100_000_000);
  });

  it('names the missing or malformed variable', () => {
    expect(() => loadConfig(SplitterEnv, {})).toThrow(/WORK_BUCKET/);
    expect(() => loadConfig(SplitterEnv, { ...required, IMAGE_WIDTHS: '200,abc' })).toThrow(ConfigError);
    expect(() => loadConfig(SplitterEnv, { ...required, AWS_ENDPOINT_URL_S3: 'not a url' })).toThrow(/AWS_ENDPOINT_URL_S3/);
  });

  it('refuses GOPs that do not divide the HLS segment, and segments that do not divide the chunk', () => {
    expect(() => loadConfig(SplitterEnv, { ...required, GOP_SECONDS: '3', SEGMENT_SECONDS: '4' })).toThrow(/GOP_SECONDS must divide SEGMENT_SECONDS/);
    expect(() => loadConfig(SplitterEnv, { ...required, CHUNK_SECONDS: '6', SEGMENT_SECONDS: '4' })).toThrow(ConfigError);
    expect(loadConfig(SplitterEnv, { ...required, CHUNK_SECONDS: '8' }).CHUNK_SECONDS).toBe(8);
  });
});
