/** Lambda entry: API Gateway HTTP API events in, the job API's answers out. */
import { SSMClient, GetParameterCommand } from '@aws-sdk/client-ssm';
import { handle } from 'hono/aws-lambda';
import { createS3Client, createSfnClient } from '../../shared/aws-clients.ts';
import { ApiEnv, loadConfig } from '../../shared/config.ts';
import { createObservability } from '../../shared/observability.ts';
import { createApi } from './create-api.ts';
import { cloudFrontPlayback } from './playback.ts';

const config = loadConfig(ApiEnv);
const { logger } = createObservability('api', config);

/** The signing key is read once, when a first signed URL is needed, and kept. */
let privateKey: Promise<string> | undefined;
const readPrivateKey = (name: string) =>
  (privateKey ??= new SSMClient({}).send(new GetParameterCommand({ Name: name, WithDecryption: true })).then((result) => {
    if (!result.Parameter?.Value) throw new Error(`SSM parameter ${name} has no value`);
    return result.Parameter.Value;
  }));

const signer =
  config.PLAYBACK_KEY_PAIR_ID && config.PLAYBACK_PRIVATE_KEY_PARAMETER
    ? { keyPairId: config.PLAYBACK_KEY_PAIR_ID, privateKey: () => readPrivateKey(config.PLAYBACK_PRIVATE_KEY_PARAMETER!), seconds: config.PLAYBACK_URL_SECONDS }
    : undefined;

export const handler = handle(
  createApi({
    config,
    s3: createS3Client(config),
    sfn: createSfnClient(config),
    ...(config.PLAYBACK_BASE_URL && { playback: cloudFrontPlayback(config.PLAYBACK_BASE_URL, signer) }),
    onError: (error) => logger.error('request failed', { error }),
  }),
);
