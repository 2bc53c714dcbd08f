import { useState } from 'react';

/**
 * Copies a URL. `what` names it for screen readers ("Copy URL of the 480p MP4": the name starts
 * with the visible words); the outcome is announced, and shown for two seconds.
 */
export function CopyButton({ text, what }: { text: string; what: string }) {
  const [copied, setCopied] = useState<'copied' | 'failed' | undefined>();
  return (
    <button
      type="button"
      className={`copy${copied ? ` ${copied}` : ''}`}
      aria-label={`Copy URL of ${what}`}
      onClick={() => {
        navigator.clipboard.writeText(text).then(
          () => setCopied('copied'),
          () => setCopied('failed'),
        );
        setTimeout(() => setCopied(undefined), 2000);
      }}
    >
      Copy URL
      <span className="visually-hidden" aria-live="polite">
        {copied ?? ''}
      </span>
    </button>
  );
}
