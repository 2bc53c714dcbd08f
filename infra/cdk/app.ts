/**
 * The CDK app: `npx cdk synth` / `npx cdk deploy` run this file. cdk-nag's AwsSolutions checks
 * run on every synthesis: a finding that is neither fixed nor acknowledged with its reason
 * (infra/cdk/nag-suppressions.ts) stops the synth and the deploy.
 *
 * The stack is named `Fanout`; `-c stackName=Fanout-staging` deploys another copy beside it.
 */
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { DEFAULT_STACK_NAME } from './deployed-stack.ts';
import { FanoutStack } from './fanout-stack.ts';

const app = new App();
const stackName = (app.node.tryGetContext('stackName') as string | undefined) ?? DEFAULT_STACK_NAME;
new FanoutStack(app, stackName, { description: 'Fanout: an upload becomes a full set of renditions (S3, Lambda, Step Functions); nothing runs between uploads.' });
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
app.synth();
