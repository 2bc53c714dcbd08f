/**
 * Least privilege and no way out: each function's grants checked against the keys that
 * shared/keys.ts builds (allowed where the function touches them, refused elsewhere), and the
 * network of the functions that parse untrusted bytes.
 */
import type { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import type { BucketRole } from '../../infra/cdk/fanout-stack.ts';
import { FUNCTIONS_IN_VPC } from '../../infra/cdk/fanout-stack.ts';
import type { FunctionName } from '../../infra/cdk/fanout-function.ts';
import { keys } from '../../shared/keys.ts';
import { allows, bucketIds, functionIds, resourcesOf, roleOf, statementsOfRole, synthesizeTemplate, type Resource, type Statement } from './template-support.ts';

let template: Template;
let resources: Record<string, Resource>;
let fns: Record<FunctionName, string>;
let buckets: Record<BucketRole, string>;
let statements: Record<FunctionName, Statement[]>;

beforeAll(() => {
  template = synthesizeTemplate();
  resources = resourcesOf(template);
  fns = functionIds(template);
  buckets = bucketIds(template);
  statements = Object.fromEntries(Object.entries(fns).map(([name, id]) => [name, statementsOfRole(template, roleOf(template, id))])) as Record<FunctionName, Statement[]>;
});

const job = 'clip-0123456789abcdef0123';
const upload = 'uploads/My Clip.mov';
/** Where the API puts an upload: uploads/<uploadId>/<sanitised name>. */
const apiUpload = 'uploads/3f2a9c1e-upload/My Clip.mov';

type Access = 'read' | 'write' | 'delete';
const actionsFor: Record<Access, string[]> = { read: ['s3:GetObject'], write: ['s3:PutObject', 's3:AbortMultipartUpload'], delete: ['s3:DeleteObject'] };

/** What each function must be able to do, on keys built as the functions build them. */
const needed: Array<[FunctionName, Access, BucketRole, string]> = [
  ['splitter', 'read', 'input', upload],
  ['splitter', 'write', 'work', keys.plan(job)],
  ['splitter', 'write', 'work', keys.segment(job, 7, 'nut')],
  ['splitter', 'write', 'work', keys.sourceAudio(job, 'nut')],
  ['splitter', 'write', 'work', keys.sourceAudio(job, 'nut', 3)],
  ['splitter', 'write', 'work', keys.sourceSubtitles(job, 1)],
  ['splitter', 'write', 'work', keys.still(job, 'poster')],
  ['encoder', 'read', 'work', keys.plan(job)],
  ['encoder', 'read', 'work', keys.segment(job, 7, 'nut')],
  ['encoder', 'read', 'work', keys.sourceAudio(job, 'nut')],
  ['encoder', 'write', 'work', keys.encodedChunk(job, '720p', 7, 'mp4')],
  ['encoder', 'read', 'work', keys.sourceAudio(job, 'nut', 3)],
  ['encoder', 'write', 'work', keys.encodedAudio(job)],
  ['encoder', 'write', 'work', keys.storyboardTiles(job, 7)],
  ['encoder', 'write', 'work', keys.encodedAudio(job, 3)],
  ['image-resize', 'read', 'input', upload],
  ['image-resize', 'read', 'work', keys.still(job, 'thumbnail-02')],
  ['image-resize', 'write', 'renditions', keys.imageRendition(job, 640, 'webp')],
  ['image-resize', 'write', 'renditions', keys.imageRendition(job, 1280, 'jpeg', 'poster')],
  ['image-resize', 'write', 'renditions', keys.imageRendition(job, 320, 'avif', 'thumbnail', 2)],
  ['assembler', 'read', 'work', keys.plan(job)],
  ['assembler', 'read', 'work', keys.encodedChunk(job, '720p', 7, 'mp4')],
  ['assembler', 'read', 'work', keys.encodedAudio(job)],
  ['assembler', 'read', 'work', keys.encodedAudio(job, 3)],
  ['assembler', 'read', 'work', keys.sourceSubtitles(job, 1)],
  ['assembler', 'write', 'renditions', keys.subtitlesRendition(job, 'en-2')],
  ['assembler', 'write', 'renditions', `${keys.hlsPrefix(job)}audio/fr/seg-00001.m4s`],
  ['assembler', 'write', 'renditions', `${keys.hlsPrefix(job)}subtitles/en-2/index.m3u8`],
  ['assembler', 'write', 'renditions', keys.videoRendition(job, '720p')],
  ['assembler', 'write', 'renditions', keys.audioRendition(job)],
  ['assembler', 'write', 'renditions', keys.hlsMaster(job)],
  ['assembler', 'write', 'renditions', `${keys.hlsPrefix(job)}720p/segment_00001.m4s`],
  ['assembler', 'write', 'renditions', keys.manifest(job)],
  ['assembler', 'read', 'work', keys.storyboardTiles(job, 7)],
  ['assembler', 'write', 'renditions', keys.storyboardSprite(job, 1)],
  ['assembler', 'write', 'renditions', keys.storyboardVtt(job)],
  ['api', 'delete', 'renditions', keys.storyboardSprite(job, 0)],
  ['finalizer', 'delete', 'renditions', keys.storyboardVtt(job)],
  ['assembler', 'delete', 'work', keys.segment(job, 7, 'nut')],
  ['assembler', 'delete', 'renditions', keys.imageRendition(job, 640, 'webp')],
  ['finalizer', 'read', 'renditions', keys.manifest(job)],
  ['finalizer', 'write', 'renditions', keys.manifest(job)],
  ['finalizer', 'delete', 'renditions', keys.videoRendition(job, '720p')],
  ['finalizer', 'delete', 'work', keys.segment(job, 7, 'nut')],
  ['api', 'write', 'input', apiUpload],
  ['api', 'read', 'input', apiUpload],
  ['api', 'delete', 'input', apiUpload],
  ['api', 'read', 'renditions', keys.manifest(job)],
  ['api', 'delete', 'renditions', keys.videoRendition(job, '720p')],
];

/** What must stay out of reach: the sharpest edges of each function's grants. */
const refused: Array<[FunctionName, Access, BucketRole, string]> = [
  ['starter', 'read', 'input', upload],
  ['starter', 'write', 'input', upload],
  ['splitter', 'read', 'renditions', keys.manifest(job)],
  ['splitter', 'write', 'renditions', keys.manifest(job)],
  ['splitter', 'write', 'input', upload],
  ['splitter', 'delete', 'work', keys.plan(job)],
  ['encoder', 'read', 'input', upload],
  ['encoder', 'write', 'renditions', keys.videoRendition(job, '720p')],
  ['encoder', 'write', 'renditions', keys.storyboardSprite(job, 0)],
  ['image-resize', 'write', 'renditions', keys.storyboardSprite(job, 0)],
  ['assembler', 'write', 'work', keys.storyboardTiles(job, 7)],
  ['encoder', 'write', 'work', keys.plan(job)],
  ['encoder', 'read', 'work', keys.sourceSubtitles(job, 1)],
  ['encoder', 'write', 'work', keys.sourceAudio(job, 'nut', 3)],
  ['image-resize', 'write', 'renditions', keys.manifest(job)],
  ['image-resize', 'write', 'renditions', keys.videoRendition(job, '720p')],
  ['image-resize', 'write', 'work', keys.still(job, 'poster')],
  ['image-resize', 'delete', 'renditions', keys.imageRendition(job, 640, 'webp')],
  ['assembler', 'read', 'input', upload],
  ['assembler', 'write', 'work', keys.plan(job)],
  ['assembler', 'write', 'work', keys.sourceSubtitles(job, 1)],
  ['assembler', 'read', 'renditions', keys.manifest(job)],
  ['finalizer', 'read', 'input', upload],
  ['finalizer', 'read', 'renditions', keys.videoRendition(job, '720p')],
  ['finalizer', 'read', 'work', keys.plan(job)],
  ['finalizer', 'write', 'renditions', keys.videoRendition(job, '720p')],
  // The API presigns under uploads/ only: never a key the starter would take from elsewhere, never an output.
  ['api', 'write', 'input', upload.replace('uploads/', 'elsewhere/')],
  ['api', 'read', 'input', upload.replace('uploads/', 'elsewhere/')],
  ['api', 'write', 'renditions', keys.manifest(job)],
  ['api', 'read', 'renditions', keys.videoRendition(job, '720p')],
  ['api', 'read', 'work', keys.plan(job)],
  ['webhook-delivery', 'read', 'renditions', keys.manifest(job)],
  ['webhook-delivery', 'read', 'input', apiUpload],
];

const objectArn = (bucket: BucketRole, key: string) => `arn:aws:s3:::${buckets[bucket]}/${key}`;

describe('object grants', () => {
  it('give every function a role of its own', () => {
    const roles = Object.values(fns).map((id) => roleOf(template, id));
    expect(new Set(roles).size).toBe(8);
    // Grants come only from the statements read below: no AWS managed policy rides along.
    for (const role of roles) expect(resources[role]!.Properties.ManagedPolicyArns, role).toBeUndefined();
  });

  it.each(needed)('%s may %s s3://%s/%s', (fn, access, bucket, key) => {
    for (const action of actionsFor[access]) expect(allows(statements[fn], template, action, objectArn(bucket, key)), action).toBe(true);
  });

  it.each(refused)('%s may not %s s3://%s/%s', (fn, access, bucket, key) => {
    for (const action of actionsFor[access]) expect(allows(statements[fn], template, action, objectArn(bucket, key)), action).toBe(false);
  });

  it('read versions of the versioned input bucket, and list where a missing key must read as 404, not 403', () => {
    for (const fn of ['splitter', 'image-resize'] as const) {
      expect(allows(statements[fn], template, 's3:GetObjectVersion', objectArn('input', upload))).toBe(true);
      expect(allows(statements[fn], template, 's3:ListBucket', `arn:aws:s3:::${buckets.input}`)).toBe(true);
    }
    expect(allows(statements.finalizer, template, 's3:ListBucket', `arn:aws:s3:::${buckets.renditions}`)).toBe(true);
    expect(allows(statements.assembler, template, 's3:ListBucket', `arn:aws:s3:::${buckets.work}`)).toBe(true);
  });

  it('grant no S3 action by wildcard, and no bucket configuration at all', () => {
    for (const fnStatements of Object.values(statements)) {
      const actions = fnStatements.flatMap((statement) => [statement.Action].flat()).filter((action) => action.startsWith('s3:'));
      expect(actions.filter((action) => action.includes('*'))).toEqual([]);
      expect(actions.filter((action) => /^s3:(Put|Delete)Bucket/.test(action))).toEqual([]);
    }
  });

  it('let the starter start executions of the pipeline, and nothing else: no object, not even the upload\'s bytes', () => {
    const stateMachine = Object.entries(resources).find(([, resource]) => resource.Type === 'AWS::StepFunctions::StateMachine')![0];
    const states = statements.starter.filter((statement) => [statement.Action].flat().some((action) => action.startsWith('states:')));
    expect(states.map((statement) => statement.Action)).toEqual(['states:StartExecution']);
    expect(states[0]!.Resource).toEqual({ Ref: stateMachine });
    expect(statements.starter.flatMap((statement) => [statement.Action].flat()).filter((action) => action.startsWith('s3:'))).toEqual([]);
    for (const other of ['splitter', 'encoder', 'image-resize', 'assembler'] as const) {
      expect(statements[other].flatMap((statement) => [statement.Action].flat()).filter((action) => action.startsWith('states:'))).toEqual([]);
    }
    // The finalizer reads histories (the cost of a job it finalizes) and starts nothing: test/infra/public-surface.test.ts.
    expect(statements.finalizer.flatMap((statement) => [statement.Action].flat()).filter((action) => action.startsWith('states:'))).toEqual(['states:GetExecutionHistory']);
  });
});

describe('network', () => {
  const ofType = (type: string) => Object.entries(resources).filter(([, resource]) => resource.Type === type);

  it('runs every function that parses untrusted bytes (splitter, encoder, image-resize, assembler) in isolated subnets, behind one security group', () => {
    const isolatedSubnets = ofType('AWS::EC2::Subnet').map(([id]) => id);
    expect(isolatedSubnets).toHaveLength(2);
    for (const name of FUNCTIONS_IN_VPC) {
      const vpcConfig = resources[fns[name]]!.Properties.VpcConfig;
      expect(vpcConfig.SubnetIds.map((subnet: { Ref: string }) => subnet.Ref).sort()).toEqual([...isolatedSubnets].sort());
      expect(vpcConfig.SecurityGroupIds).toHaveLength(1);
    }
    expect(FUNCTIONS_IN_VPC).toEqual(['splitter', 'encoder', 'image-resize', 'assembler']);
  });

  it('keeps the starter out of the VPC: it calls Step Functions, and an interface endpoint bills by the hour; it reads only its event', () => {
    expect(resources[fns.starter]!.Properties.VpcConfig).toBeUndefined();
  });

  it('gives the subnets no route out: no internet or NAT gateway, no routes, only the S3 gateway endpoint', () => {
    for (const type of ['AWS::EC2::InternetGateway', 'AWS::EC2::NatGateway', 'AWS::EC2::EIP', 'AWS::EC2::Route', 'AWS::EC2::EgressOnlyInternetGateway', 'AWS::EC2::TransitGatewayAttachment', 'AWS::EC2::VPCPeeringConnection']) {
      expect(ofType(type), type).toEqual([]);
    }
    const endpoints = ofType('AWS::EC2::VPCEndpoint');
    expect(endpoints).toHaveLength(1);
    const [, endpoint] = endpoints[0]!;
    expect(endpoint.Properties.VpcEndpointType).toBe('Gateway');
    expect(JSON.stringify(endpoint.Properties.ServiceName)).toContain('.s3');
    const routeTables = ofType('AWS::EC2::RouteTable').map(([id]) => ({ Ref: id }));
    expect(endpoint.Properties.RouteTableIds).toEqual(expect.arrayContaining(routeTables));
  });

  it('lets the S3 endpoint reach this stack’s buckets only', () => {
    const [, endpoint] = ofType('AWS::EC2::VPCEndpoint')[0]!;
    const statement = endpoint.Properties.PolicyDocument.Statement as Statement[];
    expect(statement).toHaveLength(1);
    const reachable = [statement[0]!.Resource].flat().map((resource) => JSON.stringify(resource));
    for (const role of ['input', 'renditions', 'work'] as const) {
      expect(reachable.filter((resource) => resource.includes(buckets[role]))).toHaveLength(2);
    }
    expect(reachable).toHaveLength(6);
  });

  it('lets the functions’ security group out on HTTPS only, and nothing in', () => {
    const [, group] = ofType('AWS::EC2::SecurityGroup')[0]!;
    expect(group.Properties.SecurityGroupIngress).toBeUndefined();
    expect(group.Properties.SecurityGroupEgress).toEqual([expect.objectContaining({ IpProtocol: 'tcp', FromPort: 443, ToPort: 443, CidrIp: '0.0.0.0/0' })]);
    expect(ofType('AWS::EC2::SecurityGroupIngress')).toEqual([]);
  });

  it('logs the connections the security group refuses', () => {
    expect(ofType('AWS::EC2::FlowLog').map(([, flowLog]) => flowLog.Properties)).toEqual([
      expect.objectContaining({ TrafficType: 'REJECT', LogDestinationType: 'cloud-watch-logs', ResourceType: 'VPC' }),
    ]);
  });
});
