/**
 * The rules a security reviewer runs: cdk-nag's AwsSolutions pack over the whole app. Every
 * finding is fixed or acknowledged in infra/cdk/nag-suppressions.ts, one finding at a time,
 * with its reason; none is waved through for the whole stack.
 */
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FanoutStack } from '../../infra/cdk/fanout-stack.ts';

const outdirs: string[] = [];
afterAll(() => {
  for (const outdir of outdirs) rmSync(outdir, { recursive: true, force: true });
});

/** A built dashboard page, for the option that publishes it. */
const page = mkdtempSync(join(tmpdir(), 'fanout-nag-page-'));
outdirs.push(page);
writeFileSync(join(page, 'index.html'), '<!doctype html>');

/** Every option a deployer may set: the JWT authorizer, signed playback, webhooks, the published dashboard. */
const EVERY_OPTION = {
  apiJwtIssuer: 'https://issuer.example.com/',
  apiJwtAudience: 'dashboard',
  uploadOrigins: 'https://app.example.com',
  playbackKeyGroupId: 'kg-0123456789',
  playbackKeyPairId: 'K2JCJMDEHXQW5F',
  playbackPrivateKeyParameter: '/fanout/playback-private-key',
  webhookUrls: 'https://app.example.com/hooks/fanout',
  dashboardOidcClientId: 'dashboard',
};

interface Violation {
  ruleName: string;
  violatingConstructs: Array<{ constructPath: string }>;
}

describe('cdk-nag AwsSolutions', () => {
  it.each([
    ['by default', {}],
    ['with every option set', EVERY_OPTION],
  ])('leaves zero unacknowledged findings %s', (_, context) => {
    const outdir = mkdtempSync(join(tmpdir(), 'fanout-nag-'));
    outdirs.push(outdir);
    const app = new App({ outdir, context: { 'aws:cdk:bundling-stacks': [], ...context } });
    const stack = new FanoutStack(app, 'Fanout', { dashboardPageDir: page });
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));

    let violations: string[] = [];
    try {
      app.synth();
    } catch (error) {
      // The report names each finding and where it is; a bare "validation failed" would not.
      const report = JSON.parse(readFileSync(join(outdir, 'validation-report.json'), 'utf8')) as { pluginReports: Array<{ violations: Violation[] }> };
      violations = report.pluginReports.flatMap((plugin) => plugin.violations.flatMap((v) => v.violatingConstructs.map((c) => `${v.ruleName} at ${c.constructPath}`)));
      if (violations.length === 0) throw error;
    }
    expect(violations).toEqual([]);

    // Acknowledgments sit on the constructs they concern, never on the stack as a whole.
    const stackWide = stack.node.metadata
      .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((entry) => Object.keys(entry.data as object))
      .filter((rule) => rule.includes('AwsSolutions'));
    expect(stackWide).toEqual([]);
  });
});
