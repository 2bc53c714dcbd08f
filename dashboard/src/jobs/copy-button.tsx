import { useState } from 'react';

/** Copies a URL; says so for two seconds (and to screen readers). */
export function CopyButton({ text, label }: { text: string; label: string }) {
  const [copied, setCopied] = useState<'yes' | 'failed' | undefined>();
  return (
    <button
      type="button"
      className="copy"
      aria-label={label}
      onClick={() => {
        navigator.clipboard.writeText(text).then(
          () => setCopied('yes'),
          () => setCopied('failed'),
        );
        setTimeout(() => setCopied(undefined), 2000);
      }}
    >
      {copied === 'yes' ? 'Copied' : copied === 'failed' ? 'Copy failed' : 'Copy URL'}
      <span className="visually-hidden" aria-live="polite">
        {copied === 'yes' ? 'copied' : ''}
      </span>
    </button>
  );
}
