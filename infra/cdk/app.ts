/** The CDK app: `npx cdk synth` / `npx cdk deploy` run this file. */
import { App } from 'aws-cdk-lib';
import { FanoutStack } from './fanout-stack.ts';

const app = new App();
new FanoutStack(app, 'Fanout');
app.synth();
