/**
 * The encryption MinIO's admin API puts around configuration bodies (madmin-go's EncryptData /
 * DecryptData, both directions: `set-config-kv` takes it, `get-config-kv` answers with it).
 * No npm package speaks MinIO's admin API, so this is the format, from madmin-go v3 encrypt.go
 * and secure-io/sio-go v0.3 (the versions the pinned MinIO builds with):
 *
 *   salt (32) | algorithm id (1) | nonce (8) | sio stream
 *
 * The key is derived from the root secret key and the salt: id 0x00 Argon2id + AES-256-GCM,
 * 0x01 Argon2id + ChaCha20-Poly1305, 0x02 PBKDF2-SHA256 + AES-256-GCM (the FIPS choice; the
 * server accepts all three, so we send 0x02, which Node has without Argon2). The sio stream
 * seals 16 KiB fragments; fragment i's nonce is `nonce | uint32le(i)`, starting at 1; its
 * associated data is a flag byte (0x80 on the last fragment, 0x00 before) and the tag of an
 * empty message sealed under sequence number 0.
 */
import { argon2Sync, createCipheriv, createDecipheriv, pbkdf2Sync, randomBytes } from 'node:crypto';

const ARGON2ID_AES_GCM = 0x00;
const ARGON2ID_CHACHA20_POLY1305 = 0x01;
const PBKDF2_AES_GCM = 0x02;
const SALT_BYTES = 32;
const NONCE_BYTES = 8;
const TAG_BYTES = 16;
const FRAGMENT_BYTES = 1 << 14;
const HEADER_BYTES = SALT_BYTES + 1 + NONCE_BYTES;

type Aead = 'aes-256-gcm' | 'chacha20-poly1305';

export function encryptAdminData(password: string, plaintext: Uint8Array): Buffer {
  const salt = randomBytes(SALT_BYTES);
  const nonce = randomBytes(NONCE_BYTES);
  const key = pbkdf2Sync(password, salt, 8192, 32, 'sha256');
  const aead: Aead = 'aes-256-gcm';
  const fragments = splitFragments(Buffer.from(plaintext));
  const sealed = fragments.map((fragment, index) =>
    seal(aead, key, fragmentNonce(nonce, index + 1), fragment, associatedData(aead, key, nonce, index === fragments.length - 1)),
  );
  return Buffer.concat([salt, Buffer.of(PBKDF2_AES_GCM), nonce, ...sealed]);
}

export function decryptAdminData(password: string, data: Uint8Array): Buffer {
  const bytes = Buffer.from(data);
  if (bytes.length < HEADER_BYTES + TAG_BYTES) throw new Error('MinIO admin data: too short');
  const salt = bytes.subarray(0, SALT_BYTES);
  const id = bytes[SALT_BYTES];
  const nonce = bytes.subarray(SALT_BYTES + 1, HEADER_BYTES);
  const { aead, key } = keyFor(id, password, salt);
  const body = bytes.subarray(HEADER_BYTES);
  const plain: Buffer[] = [];
  for (let offset = 0, index = 1; offset < body.length; index++) {
    const end = Math.min(offset + FRAGMENT_BYTES + TAG_BYTES, body.length);
    const last = end === body.length;
    plain.push(open(aead, key, fragmentNonce(nonce, index), body.subarray(offset, end), associatedData(aead, key, nonce, last)));
    offset = end;
  }
  return Buffer.concat(plain);
}

function keyFor(id: number | undefined, password: string, salt: Buffer): { aead: Aead; key: Buffer } {
  switch (id) {
    case PBKDF2_AES_GCM:
      return { aead: 'aes-256-gcm', key: pbkdf2Sync(password, salt, 8192, 32, 'sha256') };
    case ARGON2ID_AES_GCM:
    case ARGON2ID_CHACHA20_POLY1305: {
      // madmin-go: argon2.IDKey(password, salt, time 1, memory 64 MiB, threads 4, 32 bytes).
      const key = argon2Sync('argon2id', { message: password, nonce: salt, passes: 1, memory: 64 * 1024, parallelism: 4, tagLength: 32 });
      return { aead: id === ARGON2ID_AES_GCM ? 'aes-256-gcm' : 'chacha20-poly1305', key };
    }
    default:
      throw new Error(`MinIO admin data: unknown algorithm id ${String(id)}`);
  }
}

/** Fragments of 16 KiB; the last holds 1..16 KiB, or nothing when the plaintext is empty. */
function splitFragments(plaintext: Buffer): Buffer[] {
  const fragments: Buffer[] = [];
  for (let offset = 0; offset < plaintext.length; offset += FRAGMENT_BYTES) {
    fragments.push(plaintext.subarray(offset, offset + FRAGMENT_BYTES));
  }
  return fragments.length === 0 ? [Buffer.alloc(0)] : fragments;
}

function fragmentNonce(nonce: Buffer, sequence: number): Buffer {
  const full = Buffer.alloc(NONCE_BYTES + 4);
  nonce.copy(full);
  full.writeUInt32LE(sequence, NONCE_BYTES);
  return full;
}

function associatedData(aead: Aead, key: Buffer, nonce: Buffer, last: boolean): Buffer {
  const tagOfEmpty = seal(aead, key, fragmentNonce(nonce, 0), Buffer.alloc(0), Buffer.alloc(0));
  return Buffer.concat([Buffer.of(last ? 0x80 : 0x00), tagOfEmpty]);
}

function seal(aead: Aead, key: Buffer, nonce: Buffer, plaintext: Buffer, ad: Buffer): Buffer {
  const cipher = aead === 'aes-256-gcm' ? createCipheriv(aead, key, nonce, { authTagLength: TAG_BYTES }) : createCipheriv(aead, key, nonce, { authTagLength: TAG_BYTES });
  cipher.setAAD(ad, { plaintextLength: plaintext.length });
  return Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
}

function open(aead: Aead, key: Buffer, nonce: Buffer, sealed: Buffer, ad: Buffer): Buffer {
  if (sealed.length < TAG_BYTES) throw new Error('MinIO admin data: truncated fragment');
  const decipher = aead === 'aes-256-gcm' ? createDecipheriv(aead, key, nonce, { authTagLength: TAG_BYTES }) : createDecipheriv(aead, key, nonce, { authTagLength: TAG_BYTES });
  decipher.setAAD(ad, { plaintextLength: sealed.length - TAG_BYTES });
  decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
  try {
    return Buffer.concat([decipher.update(sealed.subarray(0, sealed.length - TAG_BYTES)), decipher.final()]);
  } catch {
    throw new Error('MinIO admin data: not authentic (wrong secret key?)');
  }
}
