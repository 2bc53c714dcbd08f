/**
 * What the API promises about a single presigned upload, read from the URL it signs with the
 * real SDK presigner (no request reaches storage: a single PUT is signed locally): the size
 * limit to the byte, the key, the expiry in minutes, and the headers the signature binds. The
 * multipart path, which needs storage, is tested against MinIO in test/integration/api.test.ts.
 */
import { S3Client } from '@aws-sdk/client-s3';
import { SFNClient } from '@aws-sdk/client-sfn';
import { describe, expect, it } from 'vitest';
import { createApi } from '../../functions/api/create-api.ts';
import { planParts } from '../../functions/api/uploads.ts';
import { ApiEnv, loadConfig } from '../../shared/config.ts';
import { ApiError, SingleUpload } from '../../shared/contracts/api.ts';

const MAX = 50_000_000;
const now = new Date('2026-12-03T10:00:00.000Z');
const connection = { endpoint: 'http://127.0.0.1:9', region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: 'test', secretAccessKey: 'test-secret' } };
const config = loadConfig(ApiEnv, { INPUT_BUCKET: 'in', RENDITIONS_BUCKET: 'out', STATE_MACHINE_ARN: 'arn:aws:states:us-east-1:1:stateMachine:p', MAX_INPUT_BYTES: String(MAX), MULTIPART_THRESHOLD_BYTES: String(MAX) });
const app = createApi({ config, s3: new S3Client(connection), sfn: new SFNClient(connection), now: () => now });

const create = (body: unknown) => app.request('/v1/uploads', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

describe('POST /v1/uploads (a single presigned PUT)', () => {
  it('presigns exactly MAX_INPUT_BYTES, and refuses one byte more with 413 TOO_LARGE', async () => {
    const atLimit = await create({ filename: 'a.mp4', bytes: MAX });
    expect(atLimit.status).toBe(201);
    const over = await create({ filename: 'a.mp4', bytes: MAX + 1 });
    expect(over.status).toBe(413);
    expect(ApiError.parse(await over.json()).code).toBe('TOO_LARGE');
  });

  it('signs a PUT of the key under uploads/, valid for UPLOAD_URL_SECONDS, binding the declared size and type, for one new object only', async () => {
    const response = await create({ filename: 'clips/Café.mp4', bytes: 1234, contentType: 'video/mp4' });
    const upload = SingleUpload.parse(await response.json());
    expect(upload.key).toBe(`uploads/${upload.uploadId}/Café.mp4`);
    const url = new URL(upload.url);
    expect(decodeURIComponent(url.pathname)).toBe(`/in/${upload.key}`);
    expect(url.searchParams.get('X-Amz-Expires')).toBe(String(config.UPLOAD_URL_SECONDS));
    expect(config.UPLOAD_URL_SECONDS).toBe(900);
    expect(upload.expiresAt).toBe(new Date(now.getTime() + 900_000).toISOString());
    expect(url.searchParams.get('X-Amz-SignedHeaders')?.split(';').sort()).toEqual(['content-length', 'content-type', 'host', 'if-none-match']);
    expect(upload.headers).toEqual({ 'Content-Type': 'video/mp4', 'Content-Length': '1234', 'If-None-Match': '*' });
  });

  it('binds application/octet-stream when the client declares no type', async () => {
    const upload = SingleUpload.parse(await (await create({ filename: 'a.bin', bytes: 10 })).json());
    expect(upload.headers['Content-Type']).toBe('application/octet-stream');
    expect(new URL(upload.url).searchParams.get('X-Amz-SignedHeaders')).toContain('content-type');
  });
});

describe('planParts', () => {
  it.each([
    [12, 5, [5, 5, 2]],
    [10, 5, [5, 5]],
    [6, 5, [5, 1]],
    [5, 5, [5]],
  ])('%i bytes in parts of %i: %j', (bytes, partBytes, sizes) => {
    const parts = planParts(bytes, partBytes);
    expect(parts.map((part) => part.bytes)).toEqual(sizes);
    expect(parts.map((part) => part.partNumber)).toEqual(sizes.map((_, index) => index + 1));
  });
});
