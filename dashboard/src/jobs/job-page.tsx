/**
 * One job: how it ended (or how far it is), its fan-out as a picture, what it made (played,
 * shown, listed with sizes and bitrates), the source's facts and the cost. Polls while running.
 */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { lazy, Suspense, useEffect, useMemo } from 'react';
import { Link, useLocation } from 'wouter';
import type { Job, Playback } from '../../../shared/contracts/api.ts';
import type { Manifest } from '../../../shared/contracts/manifest.ts';
import type { JobApiClient } from '../../../shared/job-api-client.ts';
import { formatBytes, formatDuration, formatMs, sourceName } from '../format.ts';
import { CopyButton } from './copy-button.tsx';
import { renditionUrl } from './rendition-url.ts';
import { StatusBadge } from './status-badge.tsx';
import { stillsOf } from './stills.ts';
import { TimelineChart } from './timeline-chart.tsx';

const POLL_MS = 1500;
/** hls.js and media-chrome are most of the page's weight: loaded when a job has something to play. */
const HlsPlayer = lazy(async () => ({ default: (await import('../player/hls-player.tsx')).HlsPlayer }));
const ended = (job: Job | undefined) => job !== undefined && job.status !== 'queued' && job.status !== 'running';

export function JobPage({ api, jobId }: { api: JobApiClient; jobId: string }) {
  // Ended, a job changes no more: no refetch on focus either (a signed deployment's new URLs would restart the player).
  const job = useQuery({
    queryKey: ['job', jobId],
    queryFn: () => api.job(jobId),
    refetchInterval: (query) => (ended(query.state.data) ? false : POLL_MS),
    staleTime: (query) => (ended(query.state.data) ? Number.POSITIVE_INFINITY : 0),
  });
  const timeline = useQuery({
    queryKey: ['timeline', jobId],
    queryFn: () => api.timeline(jobId),
    refetchInterval: (query) => (query.state.data && query.state.data.status !== 'RUNNING' ? false : POLL_MS),
  });

  if (job.isPending) return <p>Loading job {jobId}…</p>;
  if (job.isError) {
    return (
      <section className="panel">
        <p role="alert">Job {jobId}: {job.error.message}</p>
        <Link href="/">All jobs</Link>
      </section>
    );
  }
  const current = job.data;
  const name = sourceName(current.sourceKey);

  return (
    <article className="job" aria-labelledby="job-heading" data-status={current.status}>
      <header className="panel job-header">
        <p>
          <Link href="/">← All jobs</Link>
        </p>
        <h2 id="job-heading">
          {name} <StatusBadge status={current.status} />
        </h2>
        <p className="job-id">
          job <code>{jobId}</code>
          {!ended(current) && current.progress.total > 0 && (
            <>
              {' '}
              <progress max={current.progress.total} value={current.progress.done} aria-label="tasks done" /> {current.progress.done} of {current.progress.total} tasks
            </>
          )}
        </p>
        {current.error && (
          <p className="job-error" role="alert">
            <code>{current.error.code}</code> {current.error.message}
          </p>
        )}
        {ended(current) && <JobActions api={api} job={current} />}
      </header>

      {current.playback && current.manifest && <Outputs job={current} manifest={current.manifest} playback={current.playback} title={name} />}

      <section className="panel" aria-labelledby="timeline-heading">
        <h3 id="timeline-heading">Fan-out</h3>
        {timeline.data ? <TimelineChart timeline={timeline.data} /> : timeline.isError ? <p>No timeline: {timeline.error.message}</p> : <p>Reading the execution history…</p>}
      </section>

      {current.manifest && <Facts manifest={current.manifest} playback={current.playback} />}
    </article>
  );
}

function JobActions({ api, job }: { api: JobApiClient; job: Job }) {
  const [, navigate] = useLocation();
  const queryClient = useQueryClient();
  const remove = useMutation({
    mutationFn: () => api.deleteJob(job.jobId),
    onSuccess: async () => {
      await queryClient.invalidateQueries({ queryKey: ['jobs'] });
      navigate('/');
    },
  });
  const manifestFile = useMemo(() => (job.manifest ? URL.createObjectURL(new Blob([JSON.stringify(job.manifest, null, 2)], { type: 'application/json' })) : undefined), [job.manifest]);
  useEffect(() => () => {
    if (manifestFile) URL.revokeObjectURL(manifestFile);
  }, [manifestFile]);

  return (
    <div className="actions">
      {manifestFile && (
        <a className="button" href={manifestFile} download={`${job.jobId}-manifest.json`}>
          Download manifest
        </a>
      )}
      {job.playback && <CopyButton text={job.playback.manifest} what="the manifest" />}
      <button
        type="button"
        className="danger"
        disabled={remove.isPending}
        onClick={() => {
          if (confirm(`Delete job ${job.jobId}: its renditions and its uploaded source?`)) remove.mutate();
        }}
      >
        {remove.isPending ? 'Deleting…' : 'Delete job'}
      </button>
      {remove.isError && <span role="alert">Could not delete: {remove.error.message}</span>}
    </div>
  );
}

function Outputs({ job, manifest, playback, title }: { job: Job; manifest: Manifest; playback: Playback; title: string }) {
  const stills = stillsOf(manifest).map((still) => ({
    url: renditionUrl(playback, job.jobId, still.key),
    alt: still.role === 'poster' ? `Poster of ${title}` : `Thumbnail ${still.ordinal} of ${title}`,
    width: still.width,
    height: still.height,
  }));
  return (
    <section className="panel" aria-labelledby="play-heading">
      <h3 id="play-heading">Play</h3>
      {playback.hls && (
        <div className="player-wrap">
          <Suspense fallback={<div className="player">Loading the player…</div>}>
            <HlsPlayer playback={{ ...playback, hls: playback.hls }} title={title} />
          </Suspense>
          <p className="url-line">
            HLS <code>{playback.hls}</code> <CopyButton text={playback.hls} what="the HLS master playlist" />
          </p>
        </div>
      )}
      {playback.mp4.length > 0 && (
        <>
          <h4>Progressive MP4s</h4>
          <ul className="mp4s">
            {playback.mp4.map((mp4) => (
              <li key={mp4.url}>
                <details>
                  <summary>
                    {mp4.rung} · {mp4.width}×{mp4.height}
                  </summary>
                  <video controls preload="none" src={mp4.url} width={Math.min(mp4.width, 480)} aria-label={`${title}, ${mp4.rung} MP4`} crossOrigin="anonymous" />
                </details>
                <CopyButton text={mp4.url} what={`the ${mp4.rung} MP4`} />
              </li>
            ))}
          </ul>
        </>
      )}
      {stills.length > 0 && (
        <>
          <h4>Poster and thumbnails</h4>
          <ul className="gallery">
            {stills.map((still) => (
              <li key={still.url}>
                <figure>
                  <img src={still.url} alt={still.alt} loading="lazy" width={still.width} height={still.height} />
                  <figcaption>
                    {still.alt} <CopyButton text={still.url} what={still.alt} />
                  </figcaption>
                </figure>
              </li>
            ))}
          </ul>
        </>
      )}
      {playback.images.length > 0 && (
        <>
          <h4>Images</h4>
          <ul className="gallery images">
            {playback.images.map((image) => (
              <li key={image.url}>
                <figure>
                  <img src={image.url} alt={`${title} as ${image.format}, ${image.width}×${image.height}`} loading="lazy" width={Math.min(image.width, 320)} />
                  <figcaption>
                    {image.format} {image.width}×{image.height}, {formatBytes(image.bytes)} <CopyButton text={image.url} what={`the ${image.format} ${image.width}px image`} />
                  </figcaption>
                </figure>
              </li>
            ))}
          </ul>
        </>
      )}
      {job.status === 'succeeded' && !playback.hls && playback.images.length === 0 && <p>Nothing to play: see the renditions below.</p>}
    </section>
  );
}

function Facts({ manifest, playback }: { manifest: Manifest; playback: Playback | undefined }) {
  const { source, timings, cost } = manifest;
  return (
    <>
      <section className="panel" aria-labelledby="renditions-heading">
        <h3 id="renditions-heading">Renditions</h3>
        {manifest.renditions.length === 0 ? (
          <p>None.</p>
        ) : (
          <div className="table-scroll">
            <table className="renditions">
              <thead>
                <tr>
                  <th scope="col">Kind</th>
                  <th scope="col">What</th>
                  <th scope="col">Bitrate</th>
                  <th scope="col">Quality</th>
                  <th scope="col">Size</th>
                  <th scope="col">URL</th>
                </tr>
              </thead>
              <tbody>
                {manifest.renditions.map((rendition) => (
                  <tr key={rendition.key}>
                    <td>{rendition.kind}</td>
                    <td>{describeRendition(rendition)}</td>
                    <td>{'bitrateKbps' in rendition ? `${rendition.bitrateKbps} kbps` : '—'}</td>
                    <td>{qualityOf(rendition)}</td>
                    <td>{'bytes' in rendition && rendition.bytes !== undefined ? formatBytes(rendition.bytes) : '—'}</td>
                    <td>{playback ? <CopyButton text={renditionUrl(playback, manifest.jobId, rendition.key)} what={rendition.key} /> : '—'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
      <section className="panel facts" aria-labelledby="source-heading">
        <h3 id="source-heading">Source</h3>
        <dl>
          <dt>Key</dt>
          <dd>
            <code>{source.key}</code>
          </dd>
          <dt>Size</dt>
          <dd>{formatBytes(source.size)}</dd>
          {source.format && (
            <>
              <dt>Format</dt>
              <dd>{source.format}</dd>
            </>
          )}
          {source.width && (
            <>
              <dt>Dimensions</dt>
              <dd>
                {source.width}×{source.height}
              </dd>
            </>
          )}
          {source.durationSeconds !== undefined && (
            <>
              <dt>Duration</dt>
              <dd>{formatDuration(source.durationSeconds)}</dd>
            </>
          )}
          {source.frameRate && (
            <>
              <dt>Frame rate</dt>
              <dd>{source.frameRate.toFixed(3).replace(/\.?0+$/, '')} fps</dd>
            </>
          )}
          {(source.videoCodec || source.audioCodec) && (
            <>
              <dt>Codecs</dt>
              <dd>{[source.videoCodec, source.audioCodec].filter(Boolean).join(', ')}</dd>
            </>
          )}
          <dt>Waited</dt>
          <dd>{formatMs(timings.queuedMs)} before the split</dd>
          <dt>Total</dt>
          <dd>{formatMs(timings.totalMs)} from the upload</dd>
        </dl>
      </section>
      {cost && (
        <section className="panel" aria-labelledby="cost-heading">
          <h3 id="cost-heading">Cost</h3>
          <p>
            <strong>${cost.totalUsd.toFixed(6)}</strong> {cost.basis === 'modelled' ? 'on AWS at list prices (modelled from this run)' : 'measured on AWS'}: {cost.lambda.invocations} Lambda invocations,{' '}
            {cost.lambda.gbSeconds.toFixed(1)} GB-s (${cost.lambda.usd.toFixed(6)}); {cost.stepFunctions.transitions} state transitions (${cost.stepFunctions.usd.toFixed(6)}). Prices: {cost.prices.region}, {cost.prices.asOf}.
          </p>
        </section>
      )}
    </>
  );
}

function describeRendition(rendition: Manifest['renditions'][number]): string {
  switch (rendition.kind) {
    case 'video':
      return `${rendition.rung} ${rendition.width}×${rendition.height}, ${rendition.codecs}, ${formatDuration(rendition.durationSeconds)}, ${rendition.frames} frames`;
    case 'audio':
      return `${rendition.name ?? rendition.language ?? 'audio'} ${rendition.codecs}, ${formatDuration(rendition.durationSeconds)}`;
    case 'image':
      return `${rendition.role ?? 'image'}${rendition.ordinal ? ` ${rendition.ordinal}` : ''} ${rendition.format} ${rendition.width}×${rendition.height}`;
    case 'hls':
      return `${rendition.variants} variants, ${rendition.segmentSeconds} s segments`;
    case 'subtitles':
      return `${rendition.name} (${rendition.language}) WebVTT`;
    case 'storyboard':
      return `${rendition.sprites.length} sprite(s), ${rendition.columns}×${rendition.rows} tiles of ${rendition.tileWidth}×${rendition.tileHeight}, every ${rendition.intervalSeconds} s`;
  }
}

/** A rung's measured quality, once the pipeline measures it (a later issue adds `quality`). */
function qualityOf(rendition: Manifest['renditions'][number]): string {
  const quality = (rendition as { quality?: { metric: string; mean: number; min?: number } }).quality;
  if (!quality) return '—';
  return `${quality.metric.toUpperCase()} ${quality.mean.toFixed(3)}${quality.min !== undefined ? ` (worst chunk ${quality.min.toFixed(3)})` : ''}`;
}
