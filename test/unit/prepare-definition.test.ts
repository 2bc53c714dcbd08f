import { describe, expect, it } from 'vitest';
import { MAX_TIMER_SECONDS, prepareDefinition } from '../../infra/local/step-functions/prepare-definition.ts';

const task = (resource: string, extra: object = {}) => ({ Type: 'Task', Resource: resource, End: true, ...extra });

describe('prepareDefinition', () => {
  it('finds Task states at every depth: Map ItemProcessor, legacy Iterator, Parallel branches', () => {
    const definition = {
      StartAt: 'Top',
      States: {
        Top: { ...task('arn:top'), End: undefined, Next: 'Fan' },
        Fan: {
          Type: 'Map',
          ItemProcessor: { StartAt: 'Inner', States: { Inner: task('arn:inner') } },
          Next: 'Legacy',
        },
        Legacy: { Type: 'Map', Iterator: { StartAt: 'Old', States: { Old: task('arn:old') } }, Next: 'Both' },
        Both: {
          Type: 'Parallel',
          Branches: [
            { StartAt: 'Left', States: { Left: task('arn:left') } },
            { StartAt: 'Nested', States: { Nested: { Type: 'Map', ItemProcessor: { StartAt: 'Deep', States: { Deep: task('arn:deep') } }, End: true } } },
          ],
          End: true,
        },
      },
    };

    const prepared = prepareDefinition(definition);

    expect(Object.fromEntries(prepared.taskResources)).toEqual({
      Top: 'arn:top',
      Inner: 'arn:inner',
      Old: 'arn:old',
      Left: 'arn:left',
      Deep: 'arn:deep',
    });
    expect(prepared.problems).toEqual([]);
  });

  it('runs a Distributed Map inline: drops ProcessorConfig and ToleratedFailure*, keeps items and concurrency', () => {
    const definition = {
      StartAt: 'Chunks',
      States: {
        Chunks: {
          Type: 'Map',
          ItemsPath: '$.chunks',
          MaxConcurrency: 100,
          ToleratedFailurePercentage: 5,
          ToleratedFailureCount: 1,
          ItemProcessor: { ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' }, StartAt: 'Encode', States: { Encode: task('arn:encode') } },
          End: true,
        },
      },
    };

    const prepared = prepareDefinition(definition);

    expect(prepared.definition['States']).toEqual({
      Chunks: {
        Type: 'Map',
        ItemsPath: '$.chunks',
        MaxConcurrency: 100,
        ItemProcessor: { StartAt: 'Encode', States: { Encode: task('arn:encode', { TimeoutSeconds: MAX_TIMER_SECONDS }) } },
        End: true,
      },
    });
    expect(prepared.problems).toEqual([]);
    // The caller's object is left alone.
    expect(definition.States.Chunks.ItemProcessor.ProcessorConfig).toEqual({ Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' });
  });

  it('gives Tasks without a timeout the longest timer, and clamps timeouts a timer cannot hold', () => {
    const definition = {
      StartAt: 'A',
      TimeoutSeconds: 99_999_999,
      States: {
        A: { ...task('arn:a'), End: undefined, Next: 'B' },
        B: { ...task('arn:b', { TimeoutSeconds: 900 }), End: undefined, Next: 'C' },
        C: task('arn:c', { TimeoutSeconds: 99_999_999 }),
      },
    };

    const { definition: prepared } = prepareDefinition(definition);

    expect(prepared['TimeoutSeconds']).toBe(MAX_TIMER_SECONDS);
    expect(prepared['States']).toMatchObject({
      A: { TimeoutSeconds: MAX_TIMER_SECONDS },
      B: { TimeoutSeconds: 900 },
      C: { TimeoutSeconds: MAX_TIMER_SECONDS },
    });
  });

  it.each([
    ['ItemReader', { ItemReader: { Resource: 'arn:aws:states:::s3:getObject' } }],
    ['ItemBatcher', { ItemBatcher: { MaxItemsPerBatch: 10 } }],
    ['ResultWriter', { ResultWriter: { Resource: 'arn:aws:states:::s3:putObject' } }],
  ])('reports a Map with %s as a problem instead of running the wrong items', (field, extra) => {
    const definition = {
      StartAt: 'M',
      States: { M: { Type: 'Map', ItemProcessor: { StartAt: 'T', States: { T: task('arn:t') } }, End: true, ...extra } },
    };

    expect(prepareDefinition(definition).problems).toEqual([expect.stringContaining(field)]);
  });

  it('reports JSONata, callback integrations and clashing Task names', () => {
    const definition = {
      StartAt: 'A',
      States: {
        A: { ...task('arn:aws:states:::lambda:invoke.waitForTaskToken'), End: undefined, Next: 'B' },
        B: { Type: 'Pass', QueryLanguage: 'JSONata', Output: '{% $states.input %}', Next: 'M' },
        M: { Type: 'Map', ItemProcessor: { StartAt: 'A', States: { A: task('arn:other') } }, End: true },
      },
    };

    const { problems } = prepareDefinition(definition);

    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringContaining('waitForTaskToken'),
        expect.stringContaining('JSONata'),
        expect.stringContaining('Output'),
        expect.stringContaining('two Task states are named "A"'),
      ]),
    );
  });
});
