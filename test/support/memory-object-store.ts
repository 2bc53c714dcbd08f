/** An in-memory ObjectStore for unit tests of the functions' cores (the S3 binding is tested against real servers). */
import { readFile, writeFile } from 'node:fs/promises';
import type { ObjectRef, ObjectStore } from '../../shared/storage/object-store.ts';

export class MemoryObjectStore implements ObjectStore {
  readonly objects = new Map<string, Buffer>();

  private static id(ref: Pick<ObjectRef, 'bucket' | 'key'>): string {
    return `${ref.bucket}/${ref.key}`;
  }

  put(bucket: string, key: string, body: Buffer | string): void {
    this.objects.set(MemoryObjectStore.id({ bucket, key }), Buffer.from(body));
  }

  keys(bucket: string): string[] {
    return [...this.objects.keys()].filter((id) => id.startsWith(`${bucket}/`)).map((id) => id.slice(bucket.length + 1));
  }

  private body(ref: ObjectRef): Buffer {
    const body = this.objects.get(MemoryObjectStore.id(ref));
    if (!body) throw new Error(`no object ${MemoryObjectStore.id(ref)}`);
    return body;
  }

  async head(ref: ObjectRef) {
    const body = this.objects.get(MemoryObjectStore.id(ref));
    return body ? { size: body.length, etag: 'etag' } : undefined;
  }

  async readStart(ref: ObjectRef, length: number) {
    return new Uint8Array(this.body(ref).subarray(0, length));
  }

  async download(ref: ObjectRef, filePath: string, signal?: AbortSignal) {
    signal?.throwIfAborted();
    await writeFile(filePath, this.body(ref));
  }

  async uploadFile(ref: ObjectRef, filePath: string) {
    const body = await readFile(filePath);
    this.objects.set(MemoryObjectStore.id(ref), body);
    return { bytes: body.length };
  }

  async putJson(ref: ObjectRef, value: unknown, { ifAbsent = false } = {}) {
    if (ifAbsent && this.objects.has(MemoryObjectStore.id(ref))) return 'exists' as const;
    this.objects.set(MemoryObjectStore.id(ref), Buffer.from(JSON.stringify(value)));
    return 'written' as const;
  }

  async getJson(ref: ObjectRef) {
    const body = this.objects.get(MemoryObjectStore.id(ref));
    return body ? JSON.parse(body.toString('utf8')) : undefined;
  }

  async deletePrefix(bucket: string, prefix: string, keep: readonly string[] = []) {
    const doomed = this.keys(bucket).filter((key) => key.startsWith(prefix) && !keep.includes(key));
    for (const key of doomed) this.objects.delete(MemoryObjectStore.id({ bucket, key }));
    return doomed.length;
  }
}
