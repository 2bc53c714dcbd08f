/** The OpenAPI document, generated from the app itself (no clients are called to build it). */
import { S3Client } from '@aws-sdk/client-s3';
import { SFNClient } from '@aws-sdk/client-sfn';
import { ApiEnv, loadConfig } from '../../shared/config.ts';
import { createApi, openApiDocumentOf } from './create-api.ts';

export function openApiDocumentText(): string {
  const config = loadConfig(ApiEnv, { INPUT_BUCKET: 'input', RENDITIONS_BUCKET: 'renditions', STATE_MACHINE_ARN: 'arn:aws:states:us-east-1:000000000000:stateMachine:fanout' });
  const app = createApi({ config, s3: new S3Client({}), sfn: new SFNClient({}) });
  return `${JSON.stringify(openApiDocumentOf(app), null, 2)}\n`;
}
