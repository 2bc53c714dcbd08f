/** A running S3-compatible server on this machine: what an S3 client needs to reach it. */
export type StorageHost = {
  /** Base URL, e.g. `http://127.0.0.1:9000`; use it with `forcePathStyle: true`. */
  endpoint: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  region: 'us-east-1';
  /** Stops the server; safe to call twice. */
  stop(): Promise<void>;
};
