/**
 * Readies an ASL definition (as the CDK app synthesizes it) for aws-local-stepfunctions:
 * finds every Task state (Map item processors and Parallel branches included), and rewrites
 * the few fields the library would mishandle. Pure: the input is not modified.
 *
 * What the local host cannot run faithfully is reported in `problems` rather than thrown, so
 * one odd field never takes the whole local host down: executions of that state machine fail
 * with `States.Runtime` and the problems as the cause.
 */

/** Task state name -> its Resource. The library overrides Task states by name. */
export type TaskResources = Map<string, string>;
/** State name -> the Map whose iterations run it (state names are unique across a machine). */
export type EnclosingMaps = Map<string, string>;

export interface PreparedDefinition {
  /** A normalised deep copy of the definition, ready for `new StateMachine(...)`. */
  definition: Record<string, unknown>;
  taskResources: TaskResources;
  enclosingMaps: EnclosingMaps;
  /** Why the local host cannot run this definition as AWS would; empty when it can. */
  problems: string[];
}

/**
 * Node timers hold at most 2^31-1 ms (about 24.8 days); a longer `setTimeout` fires after 1 ms.
 * The library arms one timer per Task (and one per execution with TimeoutSeconds), so longer
 * timeouts are clamped to this.
 */
export const MAX_TIMER_SECONDS = 2_147_483;

/**
 * AWS gives a Task no timeout unless TimeoutSeconds is set (99999999 s); the library defaults to
 * 60 s, which would time out a long local encode that AWS lets run. Tasks without a timeout get
 * the longest one a timer can hold; the worker pool still enforces each function's own timeout.
 */
const DEFAULT_TASK_TIMEOUT_SECONDS = MAX_TIMER_SECONDS;

/** Service integrations that wait on a callback or a child job: nothing local can resume them. */
const UNSUPPORTED_RESOURCE_SUFFIXES = ['.waitForTaskToken', '.sync', '.sync:2'];

/** Fields of the JSONata query language and of variables, which aws-local-stepfunctions 3.0.0 does not implement. */
const JSONATA_FIELDS = ['Arguments', 'Output', 'Assign', 'Items'];

export function prepareDefinition(definition: object): PreparedDefinition {
  const copy: unknown = structuredClone(definition);
  const taskResources: TaskResources = new Map();
  const enclosingMaps: EnclosingMaps = new Map();
  const problems: string[] = [];
  if (!isRecord(copy)) {
    return { definition: {}, taskResources, enclosingMaps, problems: ['the definition is not a JSON object'] };
  }
  if (copy['QueryLanguage'] === 'JSONata') problems.push('QueryLanguage JSONata is not supported');
  clampTimeout(copy);
  prepareStates(copy, { taskResources, enclosingMaps, problems });
  return { definition: copy, taskResources, enclosingMaps, problems };
}

interface Collected {
  taskResources: TaskResources;
  enclosingMaps: EnclosingMaps;
  problems: string[];
}

/** Walks one state list: the top level, a Map's ItemProcessor/Iterator or a Parallel branch. */
function prepareStates(machine: Record<string, unknown>, collected: Collected, enclosingMap?: string): void {
  const states = machine['States'];
  if (!isRecord(states)) {
    collected.problems.push('a States field is missing or not an object');
    return;
  }
  for (const [name, state] of Object.entries(states)) {
    if (!isRecord(state)) continue;
    if (enclosingMap !== undefined) collected.enclosingMaps.set(name, enclosingMap);
    if (state['QueryLanguage'] === 'JSONata') collected.problems.push(`state "${name}" uses JSONata, which is not supported`);
    for (const field of JSONATA_FIELDS) {
      // `Items` is JSONata only; `Arguments`/`Output`/`Assign` too (Assign also exists in JSONPath, for variables).
      if (field in state) collected.problems.push(`state "${name}" uses ${field}, which is not supported`);
    }
    if (state['Type'] === 'Task') prepareTask(name, state, collected);
    if (state['Type'] === 'Map') prepareMap(name, state, collected);
    if (state['Type'] === 'Parallel') {
      const branches = state['Branches'];
      if (Array.isArray(branches)) {
        for (const branch of branches) if (isRecord(branch)) prepareStates(branch, collected, enclosingMap);
      }
    }
  }
}

function prepareTask(name: string, state: Record<string, unknown>, collected: Collected): void {
  const resource = state['Resource'];
  if (typeof resource !== 'string') {
    collected.problems.push(`Task "${name}" has no Resource`);
    return;
  }
  // AWS requires state names to be unique across the whole machine; the library's overrides rely on it.
  const known = collected.taskResources.get(name);
  if (known !== undefined && known !== resource) {
    collected.problems.push(`two Task states are named "${name}" with different resources`);
  }
  collected.taskResources.set(name, resource);
  if (UNSUPPORTED_RESOURCE_SUFFIXES.some((suffix) => resource.endsWith(suffix))) {
    collected.problems.push(`Task "${name}" uses the integration pattern of ${resource}, which is not supported`);
  }
  if (state['TimeoutSeconds'] === undefined && state['TimeoutSecondsPath'] === undefined) {
    state['TimeoutSeconds'] = DEFAULT_TASK_TIMEOUT_SECONDS;
  }
  clampTimeout(state);
}

/**
 * A Distributed Map (`ItemProcessor.ProcessorConfig.Mode = DISTRIBUTED`) runs locally as an
 * inline Map: the same items, ItemSelector and MaxConcurrency (40 when unset, the library's
 * default, where AWS would allow up to 10,000), its iterations in this execution's history
 * rather than in child executions. ProcessorConfig is dropped (the runtime ignores it; the
 * validator insists on ExecutionType). ToleratedFailure* are dropped: locally any failed item
 * fails the Map, which is AWS's behaviour when they are unset. ItemReader, ItemBatcher and
 * ResultWriter change which items run or what the Map returns; running without them would be
 * silently wrong, so they are reported as problems.
 */
function prepareMap(name: string, state: Record<string, unknown>, collected: Collected): void {
  for (const field of ['ItemReader', 'ItemBatcher', 'ResultWriter']) {
    if (field in state) collected.problems.push(`Map "${name}" uses ${field}, which is not supported`);
  }
  for (const field of ['ToleratedFailureCount', 'ToleratedFailureCountPath', 'ToleratedFailurePercentage', 'ToleratedFailurePercentagePath']) {
    delete state[field];
  }
  const processor = state['ItemProcessor'] ?? state['Iterator'];
  if (!isRecord(processor)) {
    collected.problems.push(`Map "${name}" has no ItemProcessor`);
    return;
  }
  delete processor['ProcessorConfig'];
  prepareStates(processor, collected, name);
}

function clampTimeout(target: Record<string, unknown>): void {
  const seconds = target['TimeoutSeconds'];
  if (typeof seconds === 'number' && seconds > MAX_TIMER_SECONDS) target['TimeoutSeconds'] = MAX_TIMER_SECONDS;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
