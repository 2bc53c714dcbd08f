/**
 * Drop files here (or pick them): each goes straight to the bucket through the job API's
 * presigned upload (multipart past the API's threshold), with its own progress bar, then links
 * to the job it started.
 */
import { useQueryClient } from '@tanstack/react-query';
import { useCallback, useRef, useState, type DragEvent } from 'react';
import { Link } from 'wouter';
import type { JobApiClient } from '../../../shared/job-api-client.ts';
import { uploadThroughApi } from '../../../shared/upload-through-api.ts';
import { formatBytes } from '../format.ts';
import { putWithXhr } from './put-with-xhr.ts';

interface UploadItem {
  id: number;
  name: string;
  bytes: number;
  sent: number;
  state: 'uploading' | 'landed' | 'failed' | 'stopped';
  jobId?: string;
  error?: string;
  stop?: () => void;
}

/** What the API accepts as a Content-Type (shared/contracts/api.ts); anything else is left unsigned. */
const CONTENT_TYPE = /^[a-z0-9][\w.+-]*\/[\w.+-]+$/i;

export function UploadPanel({ api }: { api: JobApiClient }) {
  const queryClient = useQueryClient();
  const [items, setItems] = useState<UploadItem[]>([]);
  const [dragging, setDragging] = useState(false);
  const nextId = useRef(1);
  const input = useRef<HTMLInputElement>(null);

  const update = useCallback((id: number, change: Partial<UploadItem>) => setItems((all) => all.map((item) => (item.id === id ? { ...item, ...change } : item))), []);

  const start = useCallback(
    (files: Iterable<File>) => {
      for (const file of files) {
        const id = nextId.current++;
        const stopper = new AbortController();
        setItems((all) => [{ id, name: file.name, bytes: file.size, sent: 0, state: 'uploading', stop: () => stopper.abort() }, ...all]);
        const source = {
          name: file.name,
          bytes: file.size,
          ...(CONTENT_TYPE.test(file.type) && { contentType: file.type }),
          read: async (offset: number, length: number) => file.slice(offset, offset + length),
        };
        uploadThroughApi(api, source, putWithXhr, { signal: stopper.signal, onProgress: (sent) => update(id, { sent }) })
          .then((landed) => {
            update(id, { state: 'landed', sent: file.size, jobId: landed.jobId });
            void queryClient.invalidateQueries({ queryKey: ['jobs'] });
          })
          .catch((error: unknown) => update(id, { state: stopper.signal.aborted ? 'stopped' : 'failed', error: error instanceof Error ? error.message : String(error) }));
      }
    },
    [api, queryClient, update],
  );

  const onDrop = (event: DragEvent) => {
    event.preventDefault();
    setDragging(false);
    start(event.dataTransfer.files);
  };

  return (
    <section aria-labelledby="upload-heading" className="panel">
      <h2 id="upload-heading">Upload</h2>
      <div
        className={`drop-zone${dragging ? ' dragging' : ''}`}
        data-testid="drop-zone"
        onDragOver={(event) => {
          event.preventDefault();
          setDragging(true);
        }}
        onDragLeave={() => setDragging(false)}
        onDrop={onDrop}
      >
        <p>Drop videos or images here, or</p>
        <label className="button">
          Choose files
          <input
            ref={input}
            type="file"
            multiple
            className="visually-hidden"
            onChange={(event) => {
              start(event.currentTarget.files ?? []);
              event.currentTarget.value = '';
            }}
          />
        </label>
      </div>
      {items.length > 0 && (
        <ul className="uploads" aria-live="polite">
          {items.map((item) => (
            <li key={item.id} className={`upload ${item.state}`}>
              <span className="name">{item.name}</span>
              <progress max={item.bytes} value={item.sent} aria-label={`${item.name} uploaded`} />
              <span className="detail">
                {item.state === 'uploading' && (
                  <>
                    {formatBytes(item.sent)} of {formatBytes(item.bytes)}{' '}
                    <button type="button" className="link" onClick={item.stop}>
                      Stop
                    </button>
                  </>
                )}
                {item.state === 'landed' && item.jobId && <Link href={`/jobs/${item.jobId}`}>uploaded: job {item.jobId.slice(0, 12)}…</Link>}
                {(item.state === 'failed' || item.state === 'stopped') && <span role="alert">{item.state === 'stopped' ? 'stopped' : item.error}</span>}
              </span>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
