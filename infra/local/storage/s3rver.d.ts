// The parts of s3rver 3.7.1 (no bundled types) that embedded-s3.ts uses.
declare module 's3rver' {
  import type { AddressInfo } from 'node:net';

  namespace S3rver {
    type Options = {
      address?: string;
      port?: number;
      directory?: string;
      silent?: boolean;
      vhostBuckets?: boolean;
      resetOnClose?: boolean;
      allowMismatchedSignatures?: boolean;
    };
    /** What s3rver emits as 'event': already the S3 notification shape, the key not encoded. */
    type Event = {
      Records: Array<{
        eventName: string;
        s3: {
          bucket: { name: string };
          object: { key: string; size?: number; eTag?: string; sequencer: string };
        };
        [field: string]: unknown;
      }>;
    };
    /** An object as s3rver's filesystem store receives it. */
    type StoredObject = { bucket: string; key: string; content: Buffer | NodeJS.ReadableStream; metadata: Record<string, string> };
    /** The filesystem store, as far as it is used here. */
    type Store = {
      getResourcePath(bucket: string, key: string | undefined, resource: string): string;
      putMetadata(bucket: string, key: string, metadata: Record<string, string>, md5: string): Promise<void>;
      putObject(object: StoredObject): Promise<{ size: number; md5: string }>;
    };
    /** Koa's context, as far as it is used here; setting `query` rewrites the query string. */
    type Context = {
      method: string;
      path: string;
      query: Record<string, string | string[] | undefined>;
      body: unknown;
    };
  }

  class S3rver {
    constructor(options?: S3rver.Options);
    /** Koa's middleware stack; composed when the server starts listening. */
    store: S3rver.Store;
    middleware: Array<(ctx: S3rver.Context, next: () => Promise<void>) => Promise<void>>;
    run(): Promise<AddressInfo>;
    close(): Promise<void>;
    on(name: 'event', listener: (event: S3rver.Event) => void): this;
  }

  export = S3rver;
}
