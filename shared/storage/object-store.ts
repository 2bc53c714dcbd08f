/**
 * The storage port: the few object operations the functions need. One binding speaks S3 (AWS,
 * MinIO and the embedded server alike); tests of pure logic use an in-memory one.
 */
export interface ObjectRef {
  bucket: string;
  key: string;
  versionId?: string | undefined;
  /**
   * Read only while the object still has this ETag (If-Match): where the bucket keeps no
   * versions, an overwrite between the event and the read must not hand over the newer bytes.
   */
  ifEtag?: string | undefined;
}

export interface ObjectHead {
  size: number;
  etag?: string | undefined;
  versionId?: string | undefined;
}

export interface ObjectStore {
  /** undefined when the object does not exist. */
  head(ref: ObjectRef): Promise<ObjectHead | undefined>;
  /** The first `length` bytes (fewer if the object is shorter). */
  readStart(ref: ObjectRef, length: number): Promise<Uint8Array>;
  /** Rejects with the signal's reason, not a storage error, when aborted. */
  download(ref: ObjectRef, filePath: string, signal?: AbortSignal): Promise<void>;
  uploadFile(ref: ObjectRef, filePath: string, contentType: string): Promise<{ bytes: number }>;
  /** With `ifAbsent`, writes only where no object is (If-None-Match: *): 'exists' when one was. */
  putJson(ref: ObjectRef, value: unknown, options?: { ifAbsent?: boolean }): Promise<'written' | 'exists'>;
  /** undefined when the object does not exist. */
  getJson(ref: ObjectRef): Promise<unknown>;
  /** Removes every object under the prefix but those in `keep`; returns how many. */
  deletePrefix(bucket: string, prefix: string, keep?: readonly string[]): Promise<number>;
}
