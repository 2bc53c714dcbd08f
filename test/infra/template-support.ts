/** Reading the synthesized template the way the tests need it: by role, not by hashed logical id. */
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { FanoutStack, type BucketRole, type FanoutStackProps } from '../../infra/cdk/fanout-stack.ts';
import type { FunctionName } from '../../infra/cdk/fanout-function.ts';

export type Resource = { Type: string; Properties: Record<string, any>; Metadata?: Record<string, unknown>; DependsOn?: string[] };

/** The stack as the tests and the local host see it: synthesized without bundling, with the deployer's context if given. */
export function synthesizeTemplate(context: Record<string, string> = {}, props: FanoutStackProps = {}): Template {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [], ...context } });
  return Template.fromStack(new FanoutStack(app, 'Fanout', props));
}

export function resourcesOf(template: Template): Record<string, Resource> {
  return template.toJSON().Resources as Record<string, Resource>;
}

export function logicalIdsByMetadata<Name extends string>(template: Template, key: 'fanout:function' | 'fanout:bucket'): Record<Name, string> {
  return Object.fromEntries(
    Object.entries(resourcesOf(template)).flatMap(([id, resource]) => (resource.Metadata?.[key] ? [[resource.Metadata[key] as Name, id]] : [])),
  ) as Record<Name, string>;
}

export const functionIds = (template: Template) => logicalIdsByMetadata<FunctionName>(template, 'fanout:function');
export const bucketIds = (template: Template) => logicalIdsByMetadata<BucketRole>(template, 'fanout:bucket');

export interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
}

/**
 * Every statement that grants the role anything: its own inline policies, and the policies and
 * managed policies (AWS::IAM::Policy, AWS::IAM::ManagedPolicy) attached to it.
 */
export function statementsOfRole(template: Template, roleLogicalId: string): Statement[] {
  const resources = resourcesOf(template);
  const inline = ((resources[roleLogicalId]?.Properties.Policies ?? []) as Array<{ PolicyDocument: { Statement: Statement[] } }>).flatMap((policy) => policy.PolicyDocument.Statement);
  const attached = Object.values(resources)
    .filter((resource) => (resource.Type === 'AWS::IAM::Policy' || resource.Type === 'AWS::IAM::ManagedPolicy') && ((resource.Properties.Roles ?? []) as Array<{ Ref: string }>).some((role) => role.Ref === roleLogicalId))
    .flatMap((policy) => policy.Properties.PolicyDocument.Statement as Statement[]);
  return [...inline, ...attached];
}

export function roleOf(template: Template, functionLogicalId: string): string {
  return resourcesOf(template)[functionLogicalId]!.Properties.Role['Fn::GetAtt'][0] as string;
}

/**
 * An ARN with its intrinsics written out: a bucket's Arn as `arn:aws:s3:::<LogicalId>`, any
 * other reference as `<LogicalId>` or `<LogicalId.Attribute>`, joins joined.
 */
export function arnText(value: unknown, template: Template): string {
  if (typeof value === 'string') return value;
  const record = value as Record<string, any>;
  if ('Fn::Join' in record) return (record['Fn::Join'][1] as unknown[]).map((part) => arnText(part, template)).join(record['Fn::Join'][0]);
  if ('Fn::GetAtt' in record) {
    const [id, attribute] = record['Fn::GetAtt'] as [string, string];
    return resourcesOf(template)[id]?.Type === 'AWS::S3::Bucket' && attribute === 'Arn' ? `arn:aws:s3:::${id}` : `<${id}.${attribute}>`;
  }
  if ('Ref' in record) return `<${record.Ref}>`;
  return JSON.stringify(value);
}

/** IAM's own matching: `*` any run of characters (slashes included), `?` one. */
export function iamPatternMatches(pattern: string, text: string): boolean {
  const regex = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
  return regex.test(text);
}

/** Whether the role's statements allow `action` on `arn` (no Deny statements are used here). */
export function allows(statements: Statement[], template: Template, action: string, arn: string): boolean {
  return statements.some((statement) => {
    if (statement.Effect !== 'Allow') return false;
    const actions = [statement.Action].flat();
    const resources = [statement.Resource].flat().map((resource) => arnText(resource, template));
    return actions.some((allowed) => iamPatternMatches(allowed, action)) && resources.some((resource) => iamPatternMatches(resource, arn));
  });
}
