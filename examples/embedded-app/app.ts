import { App, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import { builtInRunbooks, RemediationEngine } from 'ec2-auto-remediation';

/**
 * A platform team's own CDK app that embeds the remediation engine in its operations stack, beside
 * what the team already runs there: two of the built-in runbooks, a role for the on-call engineers
 * who operate it with `npx remediate`, and the engine's outcomes on the team's dashboard.
 * No account or Region is set: the template is environment-agnostic and synthesizes offline.
 */
const app = new App();
const stack = new Stack(app, 'PlatformOperations', {
  description: 'Platform operations, with event-driven auto-remediation for EC2',
});

const engine = new RemediationEngine(stack, 'Remediation', {
  // Your own runbooks instead: runbooksDirectory and runbooks (see the README beside this file).
  runbooks: builtInRunbooks.filter((runbook) => ['disk-full', 'service-down'].includes(runbook.name)),
  pagerEmails: ['oncall@example.com'],
});

const onCall = new iam.Role(stack, 'RemediationOperators', {
  assumedBy: new iam.AccountRootPrincipal(),
  description: 'On-call engineers: pause, resume and inspect auto-remediation with npx remediate',
});
engine.grantOperate(onCall);

new cloudwatch.Dashboard(stack, 'Outcomes', {
  widgets: [
    [
      new cloudwatch.GraphWidget({
        title: 'Auto-remediation outcomes (per 5 min)',
        width: 12,
        left: [
          engine.metricFixes({ label: 'Fixed automatically' }),
          engine.metricEscalations({ label: 'Escalated' }),
          engine.metricSuppressions({ label: 'Suppressed (fleet breaker)' }),
        ],
      }),
    ],
  ],
});
