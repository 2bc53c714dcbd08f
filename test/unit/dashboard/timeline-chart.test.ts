/**
 * The chart draws what layoutTimeline computed: each attempt's run where its run is, the wait
 * before it apart (ending where the run begins), rendered to markup as React renders it.
 */
import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { TimelineChart } from '../../../dashboard/src/jobs/timeline-chart.tsx';
import type { ExecutionTimeline, TimelineBar } from '../../../shared/contracts/api.ts';

const bar = (over: Partial<TimelineBar>): TimelineBar => ({ step: 'encode', label: 'chunk 0', attempt: 1, scheduledMs: 0, startMs: 0, endMs: 0, outcome: 'succeeded', ...over });

/** Two chunks scheduled together at 1 s on one worker: chunk 1 waits until chunk 0 ends at 4 s. */
const timeline: ExecutionTimeline = {
  status: 'SUCCEEDED',
  startedAt: '2026-05-01T10:00:00.000Z',
  durationMs: 8_000,
  lanes: [
    { step: 'encode', label: 'chunk 0', index: 0, bars: [bar({ label: 'chunk 0', scheduledMs: 1_000, startMs: 1_000, endMs: 4_000 })] },
    { step: 'encode', label: 'chunk 1', index: 1, bars: [bar({ label: 'chunk 1', scheduledMs: 1_000, startMs: 4_000, endMs: 8_000 })] },
  ],
};

/** Each `<rect>`'s class and numeric x and width, in document order. */
function rects(markup: string): Array<{ className: string; x: number; width: number }> {
  return [...markup.matchAll(/<rect\b([^>]*)>/g)].map(([, attributes]) => {
    const attribute = (name: string) => new RegExp(`\\b${name}="([^"]*)"`).exec(attributes!)?.[1] ?? '';
    return { className: attribute('class'), x: Number(attribute('x')), width: Number(attribute('width')) };
  });
}

describe('TimelineChart', () => {
  it('draws a run from its start and the wait before it, the wait ending where the run begins', () => {
    const drawn = rects(renderToStaticMarkup(createElement(TimelineChart, { timeline })));
    const runs = drawn.filter((rect) => rect.className.split(' ').includes('bar'));
    const waits = drawn.filter((rect) => rect.className === 'wait');
    expect(runs).toHaveLength(2);
    expect(waits).toHaveLength(1);
    const [first, second] = runs as [(typeof runs)[0], (typeof runs)[0]];
    // chunk 1 runs from where chunk 0 ends (4 s): one worker, one after the other.
    expect(second.x).toBeCloseTo(first.x + first.width, 6);
    expect(waits[0]!.x).toBeCloseTo(first.x, 6);
    expect(waits[0]!.x + waits[0]!.width).toBeCloseTo(second.x, 6);
  });
});
