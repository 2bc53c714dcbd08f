/**
 * The fan-out as it happened: a lane per task, a bar per attempt, on one time axis. Drawn from
 * layoutTimeline; the same facts are in a table below it for screen readers and copying.
 */
import { useEffect, useRef, useState } from 'react';
import type { ExecutionTimeline } from '../../../shared/contracts/api.ts';
import { formatMs } from '../format.ts';
import { layoutTimeline } from './timeline-layout.ts';

const ROW_HEIGHT = 22;
const AXIS_HEIGHT = 22;

/** The chart's width follows its container's: a phone gets a narrower axis, not a scroll bar. */
function useWidth<T extends HTMLElement>(fallback: number) {
  const ref = useRef<T>(null);
  const [width, setWidth] = useState(fallback);
  useEffect(() => {
    if (!ref.current) return;
    const observer = new ResizeObserver(([entry]) => entry && setWidth(Math.floor(entry.contentRect.width)));
    observer.observe(ref.current);
    return () => observer.disconnect();
  }, []);
  return [ref, width] as const;
}

export function TimelineChart({ timeline }: { timeline: ExecutionTimeline }) {
  const [container, width] = useWidth<HTMLDivElement>(720);
  const labelWidth = width < 480 ? 84 : 120;
  const layout = layoutTimeline(timeline, { width, labelWidth, rowHeight: ROW_HEIGHT, axisHeight: AXIS_HEIGHT });

  return (
    <div ref={container} className="timeline">
      <p className="timeline-summary">{layout.summary}</p>
      <svg width={layout.width} height={layout.height + 4} role="img" aria-label={`Timeline: ${layout.summary}`} data-testid="timeline">
        {layout.ticks.map((tick) => (
          <g key={tick.x} className="tick">
            <line x1={tick.x} x2={tick.x} y1={AXIS_HEIGHT - 4} y2={layout.height} />
            <text x={tick.x + 3} y={AXIS_HEIGHT - 8}>
              {tick.label}
            </text>
          </g>
        ))}
        {layout.rows.map((row) => (
          <g key={`${row.step}-${row.label}`} className={`lane lane-${row.step}`} data-lane={row.label}>
            <text className="lane-label" x={4} y={row.y + ROW_HEIGHT * 0.68}>
              {row.label}
            </text>
            {row.bars.map((box) => (
              <g key={box.bar.attempt}>
                {box.waitWidth > 0.5 && <rect className="wait" x={box.waitX} y={row.y + ROW_HEIGHT * 0.42} width={box.waitWidth} height={ROW_HEIGHT * 0.16} />}
                <rect
                  className={`bar bar-${box.bar.step} outcome-${box.bar.outcome}${box.slowest ? ' slowest' : ''}`}
                  x={box.x}
                  y={row.y + 3}
                  width={box.width}
                  height={ROW_HEIGHT - 6}
                  rx={3}
                  data-step={box.bar.step}
                  data-outcome={box.bar.outcome}
                  data-attempt={box.bar.attempt}
                >
                  <title>{box.description}</title>
                </rect>
              </g>
            ))}
          </g>
        ))}
      </svg>
      <details>
        <summary>The timeline as a table</summary>
        <div className="table-scroll">
        <table>
          <thead>
            <tr>
              <th scope="col">Task</th>
              <th scope="col">Attempt</th>
              <th scope="col">Outcome</th>
              <th scope="col">Waited</th>
              <th scope="col">Started</th>
              <th scope="col">Ran</th>
            </tr>
          </thead>
          <tbody>
            {timeline.lanes.flatMap((lane) =>
              lane.bars.map((bar) => (
                <tr key={`${lane.step}-${lane.label}-${bar.attempt}`}>
                  <td>{lane.label}</td>
                  <td>{bar.attempt}</td>
                  <td>
                    {bar.outcome}
                    {bar.error && `: ${bar.error}`}
                  </td>
                  <td>{formatMs(bar.startMs - bar.scheduledMs)}</td>
                  <td>{formatMs(bar.startMs)}</td>
                  <td>{formatMs(bar.endMs - bar.startMs)}</td>
                </tr>
              )),
            )}
          </tbody>
        </table>
        </div>
      </details>
    </div>
  );
}
