/** Every job, newest first, polled while the page is visible: no reload to see a job move on. */
import { useQuery } from '@tanstack/react-query';
import { Link } from 'wouter';
import type { JobSummary } from '../../../shared/contracts/api.ts';
import type { JobApiClient } from '../../../shared/job-api-client.ts';
import { formatAge, formatBytes, formatDuration, formatMs, sourceName } from '../format.ts';
import { StatusBadge } from './status-badge.tsx';

export const JOBS_POLL_MS = 2000;

export function JobList({ api }: { api: JobApiClient }) {
  const jobs = useQuery({ queryKey: ['jobs'], queryFn: () => api.listJobs({ limit: 50 }), refetchInterval: JOBS_POLL_MS });
  const now = jobs.dataUpdatedAt || Date.now();

  return (
    <section aria-labelledby="jobs-heading" className="panel">
      <h2 id="jobs-heading">Jobs</h2>
      {jobs.isPending && <p>Loading jobs…</p>}
      {jobs.isError && <p role="alert">Could not list jobs: {jobs.error.message}</p>}
      {jobs.data && jobs.data.jobs.length === 0 && <p>No jobs yet: drop a file above.</p>}
      {jobs.data && jobs.data.jobs.length > 0 && (
        <table className="jobs">
          <thead>
            <tr>
              <th scope="col">Status</th>
              <th scope="col">Source</th>
              <th scope="col">Type</th>
              <th scope="col">Length or size</th>
              <th scope="col">Progress</th>
              <th scope="col">Age</th>
            </tr>
          </thead>
          <tbody>
            {jobs.data.jobs.map((job) => (
              <JobRow key={job.jobId} job={job} now={now} />
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function JobRow({ job, now }: { job: JobSummary; now: number }) {
  const name = sourceName(job.sourceKey);
  return (
    <tr data-job-id={job.jobId} data-status={job.status}>
      <td data-label="Status">
        <StatusBadge status={job.status} />
      </td>
      <td data-label="Source">
        <Link href={`/jobs/${job.jobId}`}>{name}</Link>
        {job.error && (
          <p className="job-error">
            <code>{job.error.code}</code> {job.error.message}
          </p>
        )}
      </td>
      <td data-label="Type">{job.mediaType ?? '—'}</td>
      <td data-label="Length or size">{lengthOrSize(job)}</td>
      <td data-label="Progress">
        {job.progress && job.progress.total > 0 ? (
          <progress max={job.progress.total} value={job.progress.done} aria-label={`${name}: ${job.progress.done} of ${job.progress.total} tasks`}>
            {job.progress.done} of {job.progress.total}
          </progress>
        ) : job.status === 'queued' || job.status === 'running' ? (
          'splitting…'
        ) : job.finishedAt ? (
          `took ${formatMs(Date.parse(job.finishedAt) - Date.parse(job.createdAt))}`
        ) : (
          '—'
        )}
      </td>
      <td data-label="Age">
        <time dateTime={job.createdAt} title={job.createdAt}>
          {formatAge(job.createdAt, now)}
        </time>
      </td>
    </tr>
  );
}

function lengthOrSize(job: JobSummary): string {
  if (!job.source) return '—';
  const dimensions = job.source.width && job.source.height ? `${job.source.width}×${job.source.height}, ` : '';
  if (job.source.durationSeconds !== undefined && job.mediaType !== 'image') return `${formatDuration(job.source.durationSeconds)} (${dimensions}${formatBytes(job.source.bytes)})`;
  return `${dimensions}${formatBytes(job.source.bytes)}`;
}
