/**
 * The fan-out as it happened, read from the execution's history: one lane per task (the split,
 * each chunk's encode, each audio track, each image resize, the assembler) and one bar per
 * attempt, on a time axis from the execution's start. Pure: AWS's GetExecutionHistory and the
 * local endpoint's give the same picture.
 *
 * A task attempt is TaskScheduled, TaskStarted, then TaskSucceeded, TaskFailed or TaskTimedOut
 * (TaskStartFailed, TaskSubmitFailed). A bar runs from TaskStarted; from TaskScheduled to there
 * it waited (on the local host, for a worker). An attempt with no TaskStarted never ran: it
 * waited all along, its run empty at its end. Which state and which Map iteration an attempt
 * belongs to is found as AWS records it: each event's `previousEventId` points at the event
 * before it in its own thread, so walking back reaches the state's TaskStateEntered and, inside
 * a Map, the iteration's MapIterationStarted (with its index).
 *
 * A Distributed Map runs its items as child executions whose events are not in this history:
 * its chunks show as one bar, the whole Map run (locally the same Map runs inline, and each chunk
 * has its lane).
 */
import type { HistoryEvent } from '@aws-sdk/client-sfn';
import type { ExecutionTimeline, TimelineBar, TimelineLane, TimelineStep } from './contracts/api.ts';

/** The pipeline's Task states (infra/cdk/pipeline-state-machine.ts), by the step each draws. */
const TASK_STEPS: Record<string, { step: TimelineStep; label: (index: number | undefined) => string }> = {
  Split: { step: 'split', label: () => 'split' },
  EncodeChunk: { step: 'encode', label: (index) => `chunk ${index ?? '?'}` },
  EncodeChunkInChildExecution: { step: 'encode', label: (index) => `chunk ${index ?? '?'}` },
  // Target mode's CRF searches, drawn with the encodes they precede.
  ProbeChunk: { step: 'encode', label: (index) => `CRF search ${index ?? '?'}` },
  ProbeChunkInChildExecution: { step: 'encode', label: (index) => `CRF search ${index ?? '?'}` },
  EncodeAudioTrack: { step: 'audio', label: (index) => `audio track ${index ?? '?'}` },
  ResizeImage: { step: 'resize', label: (index) => `image ${index ?? '?'}` },
  Assemble: { step: 'assemble', label: () => 'assemble' },
};
/** Maps whose items run as child executions on AWS. */
const DISTRIBUTED_MAPS: Record<string, { step: TimelineStep; label: string }> = {
  EncodeChunksDistributed: { step: 'encode', label: 'chunks (Distributed Map: child executions)' },
  ProbeChunksDistributed: { step: 'encode', label: 'CRF searches (Distributed Map: child executions)' },
};
const STEP_ORDER: TimelineStep[] = ['split', 'encode', 'audio', 'resize', 'assemble'];
const ATTEMPT_FAILED = new Set(['TaskFailed', 'TaskTimedOut', 'TaskStartFailed', 'TaskSubmitFailed']);
const ENDS: Record<string, ExecutionTimeline['status']> = {
  ExecutionSucceeded: 'SUCCEEDED',
  ExecutionFailed: 'FAILED',
  ExecutionTimedOut: 'TIMED_OUT',
  ExecutionAborted: 'ABORTED',
};

/** Where an event sits: the Task state it belongs to, and the Map iteration around it. */
interface Place {
  state?: string;
  iteration?: number;
}

interface OpenBar {
  bar: TimelineBar;
  open: boolean;
  /** Whether its TaskStarted came: until then the attempt waits (for a worker, on the local host) and has not run. */
  started: boolean;
}

/** `now` (epoch ms) ends the bars still running; it defaults to the latest event's time. */
export function timelineOf(events: readonly HistoryEvent[], { now }: { now?: number } = {}): ExecutionTimeline {
  const ordered = [...events].sort((a, b) => (a.id ?? 0) - (b.id ?? 0));
  const started = ordered.find((event) => event.type === 'ExecutionStarted')?.timestamp ?? ordered[0]?.timestamp;
  const startMs = started?.getTime() ?? 0;
  const at = (event: HistoryEvent) => Math.max(0, (event.timestamp?.getTime() ?? startMs) - startMs);

  const places = new Map<number, Place>();
  const lanes = new Map<string, TimelineLane>();
  /** The latest attempt of each lane, while it may still end. */
  const latest = new Map<string, OpenBar>();
  let status: ExecutionTimeline['status'] = 'RUNNING';
  let endedMs: number | undefined;

  const laneFor = (step: TimelineStep, label: string, index: number | undefined): TimelineLane => {
    const key = `${step}#${index ?? label}`;
    let lane = lanes.get(key);
    if (!lane) {
      lane = { step, label, ...(index !== undefined && { index }), bars: [] };
      lanes.set(key, lane);
    }
    return lane;
  };

  for (const event of ordered) {
    const place = placeOf(event, places);
    if (event.id !== undefined) places.set(event.id, place);
    const task = place.state === undefined ? undefined : TASK_STEPS[place.state];
    const laneKey = task && `${task.step}#${place.iteration ?? task.label(undefined)}`;
    const type = event.type ?? '';

    if (type === 'TaskScheduled' && task && laneKey) {
      const lane = laneFor(task.step, task.label(place.iteration), place.iteration);
      const bar: TimelineBar = {
        step: task.step,
        label: lane.label,
        ...(place.iteration !== undefined && { index: place.iteration }),
        attempt: lane.bars.length + 1,
        scheduledMs: at(event),
        startMs: at(event),
        endMs: at(event),
        outcome: 'running',
      };
      lane.bars.push(bar);
      latest.set(laneKey, { bar, open: true, started: false });
    } else if (type === 'TaskStarted' && laneKey) {
      // The bar is the run itself: from the function's start, not from its scheduling.
      const open = latest.get(laneKey);
      if (open?.open) {
        open.bar.startMs = at(event);
        open.started = true;
      }
    } else if ((type === 'TaskSucceeded' || ATTEMPT_FAILED.has(type)) && laneKey) {
      const open = latest.get(laneKey);
      if (open?.open) {
        open.open = false;
        open.bar.endMs = at(event);
        if (!open.started) open.bar.startMs = open.bar.endMs;
        open.bar.outcome = type === 'TaskSucceeded' ? 'succeeded' : 'failed';
        const failure = event.taskFailedEventDetails ?? event.taskTimedOutEventDetails ?? event.taskStartFailedEventDetails ?? event.taskSubmitFailedEventDetails;
        if (failure) open.bar.error = [failure.error, failure.cause].filter(Boolean).join(': ') || type;
      }
    } else if (type === 'MapStateEntered' && event.stateEnteredEventDetails?.name) {
      const name = event.stateEnteredEventDetails.name;
      const distributed = DISTRIBUTED_MAPS[name];
      if (distributed) {
        const bar: TimelineBar = { step: distributed.step, label: distributed.label, attempt: 1, scheduledMs: at(event), startMs: at(event), endMs: at(event), outcome: 'running' };
        laneFor(distributed.step, distributed.label, undefined).bars.push(bar);
        latest.set(name, { bar, open: true, started: true });
      }
    } else if ((type === 'MapStateExited' || type === 'MapStateFailed' || type === 'MapStateAborted') && event.stateExitedEventDetails?.name) {
      const open = latest.get(event.stateExitedEventDetails.name);
      if (open?.open) {
        open.open = false;
        open.bar.endMs = at(event);
        open.bar.outcome = type === 'MapStateExited' ? 'succeeded' : 'failed';
      }
    } else if (type === 'MapRunFailed' || type === 'MapRunAborted') {
      for (const [name, open] of latest) {
        if (DISTRIBUTED_MAPS[name] && open.open) {
          open.open = false;
          open.bar.endMs = at(event);
          open.bar.outcome = 'failed';
          if (event.mapRunFailedEventDetails) open.bar.error = [event.mapRunFailedEventDetails.error, event.mapRunFailedEventDetails.cause].filter(Boolean).join(': ');
        }
      }
    } else if (ENDS[type]) {
      status = ENDS[type];
      endedMs = at(event);
    }
  }

  const lastMs = Math.max(0, ...ordered.map(at));
  const durationMs = endedMs ?? Math.max(lastMs, now === undefined ? 0 : now - startMs);
  for (const open of latest.values()) {
    if (!open.open) continue;
    // Still open when the execution ended (stopped, timed out): it never finished.
    open.bar.endMs = Math.max(open.bar.startMs, durationMs);
    if (!open.started) open.bar.startMs = open.bar.endMs;
    if (endedMs !== undefined) open.bar.outcome = 'failed';
  }
  return {
    status,
    startedAt: new Date(startMs).toISOString(),
    ...(endedMs !== undefined && { endedAt: new Date(startMs + endedMs).toISOString() }),
    durationMs,
    lanes: [...lanes.values()].sort(byStepThenIndex),
  };
}

/** An event's place is its predecessor's, changed by a TaskStateEntered or a MapIterationStarted. */
function placeOf(event: HistoryEvent, places: ReadonlyMap<number, Place>): Place {
  const before = places.get(event.previousEventId ?? 0) ?? {};
  if (event.type === 'MapIterationStarted') return { iteration: event.mapIterationStartedEventDetails?.index };
  if (event.type === 'TaskStateEntered') return { ...before, state: event.stateEnteredEventDetails?.name };
  return before;
}

function byStepThenIndex(a: TimelineLane, b: TimelineLane): number {
  return STEP_ORDER.indexOf(a.step) - STEP_ORDER.indexOf(b.step) || (a.index ?? -1) - (b.index ?? -1);
}
