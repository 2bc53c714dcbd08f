import type { ApiJobStatus } from '../../../shared/contracts/api.ts';

/** A status as a word in a coloured pill: the colour repeats the word, never replaces it. */
export function StatusBadge({ status }: { status: ApiJobStatus }) {
  return (
    <span className={`status status-${status}`} data-status={status}>
      {status}
    </span>
  );
}
