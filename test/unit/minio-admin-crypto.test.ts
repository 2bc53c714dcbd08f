/**
 * madmin's encrypted bodies, both ways. That MinIO itself accepts what we encrypt and that we
 * read what it encrypts (Argon2id) is shown against the real server in storage-triggers.test.ts.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { decryptAdminData, encryptAdminData } from '../../infra/local/storage/minio-admin-crypto.ts';
import { parseConfigLine } from '../../infra/local/storage/external-minio-events.ts';

describe('encryptAdminData / decryptAdminData', () => {
  // sio seals 16 KiB fragments: empty, one byte, exactly one fragment, one over, several.
  it.each([0, 1, 16_384, 16_385, 40_000])('round-trips %i bytes', (size) => {
    const plaintext = randomBytes(size);
    const sealed = encryptAdminData('secret-key', plaintext);
    expect(sealed[32]).toBe(0x02); // PBKDF2 + AES-GCM, after the 32-byte salt
    expect(sealed.length).toBe(32 + 1 + 8 + size + 16 * Math.max(1, Math.ceil(size / 16_384)));
    expect(decryptAdminData('secret-key', sealed).equals(plaintext)).toBe(true);
  });

  it('refuses another secret key, and a changed byte', () => {
    const sealed = encryptAdminData('secret-key', Buffer.from('notify_webhook:fanout endpoint=http://127.0.0.1:9703'));
    expect(() => decryptAdminData('other-key', sealed)).toThrow(/not authentic/);
    sealed[sealed.length - 20]! ^= 1;
    expect(() => decryptAdminData('secret-key', sealed)).toThrow(/not authentic/);
  });

  it('refuses a fragment cut off or moved: the last one is marked', () => {
    const plaintext = randomBytes(20_000);
    const sealed = encryptAdminData('secret-key', plaintext);
    expect(() => decryptAdminData('secret-key', sealed.subarray(0, 41 + 16_384 + 16))).toThrow(/not authentic/);
  });
});

describe('parseConfigLine', () => {
  it('reads plain and quoted values as get-config-kv prints them', () => {
    const line = 'notify_webhook:fanout endpoint=http://127.0.0.1:9703/minio/events auth_token= queue_limit=0 queue_dir="/tmp/a b" client_cert= \n';
    expect(parseConfigLine(line)).toEqual({ endpoint: 'http://127.0.0.1:9703/minio/events', auth_token: '', queue_limit: '0', queue_dir: '/tmp/a b', client_cert: '' });
  });
});
