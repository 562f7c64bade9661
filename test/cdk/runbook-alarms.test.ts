import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Duration } from 'aws-cdk-lib';
import { Annotations, Match, type Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { planAlarms } from '../../functions/core/alarm-provisioning.ts';
import { RemediationStack } from '../../lib/remediation-stack.ts';
import { ALARM_WARNINGS, MANAGED_BY_TAG, RUNBOOK_TAG } from '../../lib/runbook-alarms.ts';
import { DEFAULT_STACK_NAME } from '../../local/authoring/alarms-plan.ts';
import { runbooks } from '../../runbooks/index.ts';
import { cfnLint, describeFindings, templatesIn } from './cfn-lint.ts';
import { type CfnResource, type Statement, statementsOf, synthesize, testApp } from './synthesize.ts';

/** The engine's name in the test stack: the fleet alarms' suffix and their managed-by tag. */
const ENGINE = 'Ec2AutoRemediation-Remediation';

it('names the fleet alarms as `npx remediate alarms plan` says it will, for the repository app', () => {
  expect(DEFAULT_STACK_NAME).toBe(ENGINE);
});
const KEEPER = 'RemediationAlarmsAlarmKeeper';
const KEEPER_ROLE = 'RemediationAlarmsAlarmKeeperRole';
const withAlarm = runbooks.filter((runbook) => runbook.alarm !== undefined);
const declared = (name: string) => {
  const alarm = runbooks.find((runbook) => runbook.name === name)?.alarm;
  if (!alarm) throw new Error(`runbook ${name} declares no alarm`);
  return alarm;
};

interface FleetAlarm {
  readonly name: string;
  readonly runbook: string;
  readonly query: string;
  readonly properties: Record<string, unknown>;
}

/** The alarms the engine provisions for its runbooks (tagged managed-by), not those on itself. */
function fleetAlarms(template: Template): FleetAlarm[] {
  return Object.values(template.findResources('AWS::CloudWatch::Alarm') as Record<string, CfnResource>)
    .map(({ Properties: properties }) => {
      const tags = (properties.Tags ?? []) as Array<{ Key: string; Value: string }>;
      const tag = (key: string) => tags.find((t) => t.Key === key)?.Value;
      const metrics = (properties.Metrics ?? []) as Array<{ Expression?: string }>;
      return {
        name: properties.AlarmName as string,
        runbook: tag(RUNBOOK_TAG) ?? '',
        managedBy: tag(MANAGED_BY_TAG),
        query: metrics[0]?.Expression ?? '',
        properties,
      };
    })
    .filter((alarm) => alarm.managedBy !== undefined);
}

const keeperStatements = (template: Template): Statement[] => statementsOf(template, KEEPER_ROLE);
const alarmArn = (runbook: string) =>
  `arn:<AWS::Partition>:cloudwatch:<AWS::Region>:<AWS::AccountId>:alarm:${runbook}-*`;

describe('the alarms the runbooks declare', () => {
  describe('by default (fleet mode, 100 instances)', () => {
    let template: Template;
    let stack: ReturnType<typeof synthesize>['stack'];

    beforeAll(() => {
      ({ stack, template } = synthesize());
    });

    it('creates the fleet alarms of the plan, for every runbook that declares an alarm', () => {
      // Prepare: what the shared planner gives for this stack.
      const plan = planAlarms(runbooks, {
        optInTag: { key: 'AutoRemediation', value: 'enabled' },
        agentDimension: { name: 'AutoRemediation', value: 'enabled' },
        stackName: ENGINE,
      });
      const planned = plan.runbooks.flatMap((runbook) => runbook.fleetAlarms);
      // Act
      const alarms = fleetAlarms(template);
      // Assess
      expect(alarms.map((alarm) => [alarm.name, alarm.query]).sort()).toEqual(
        planned.map((alarm) => [alarm.name, alarm.query]).sort(),
      );
      expect(new Set(alarms.map((alarm) => alarm.runbook))).toEqual(
        new Set(withAlarm.map((runbook) => runbook.name)),
      );
      expect(alarms.some((alarm) => alarm.runbook === 'inode-exhaustion')).toBe(false);
      // One alarm per runbook that declares one: a default fleet fits one query each.
      expect(alarms).toHaveLength(withAlarm.length);
    });

    it('gives each the period, threshold and M of N its runbook declares, and no action', () => {
      for (const alarm of fleetAlarms(template)) {
        const declaration = declared(alarm.runbook);
        expect(alarm.properties, alarm.name).toMatchObject({
          ComparisonOperator: declaration.comparison,
          Threshold: declaration.threshold,
          EvaluationPeriods: declaration.evaluationPeriods,
          DatapointsToAlarm: declaration.datapointsToAlarm ?? declaration.evaluationPeriods,
          TreatMissingData: declaration.treatMissingData ?? 'missing',
          Metrics: [
            { Id: 'q', Expression: alarm.query, Period: declaration.periodSeconds, ReturnData: true },
          ],
        });
        expect(alarm.properties.AlarmDescription).toContain(`runbook ${alarm.runbook}`);
        expect(alarm.properties.AlarmDescription).toContain('provisioned by the remediation engine');
        for (const actions of ['AlarmActions', 'OKActions', 'InsufficientDataActions'])
          expect(alarm.properties[actions], `${alarm.name} ${actions}`).toBeUndefined();
      }
    });

    it('creates no alarm keeper and no telemetry enrichment', () => {
      expect(Object.keys(template.findResources('AWS::Lambda::Function'))).not.toContainEqual(
        expect.stringMatching(new RegExp(`^${KEEPER}`)),
      );
      template.resourceCountIs('AWS::ObservabilityAdmin::TelemetryEnrichment', 0);
    });

    it("warns that runaway-cpu's fleet alarm needs resource tags on telemetry, and how to turn them on", () => {
      // Act
      const warnings = Annotations.fromStack(stack).findWarning(
        '*',
        Match.stringLikeRegexp(ALARM_WARNINGS.resourceTagsOnTelemetry),
      );
      // Assess
      expect(warnings).toHaveLength(1);
      const text = String(warnings[0]?.entry.data);
      expect(text).toContain('runaway-cpu (AWS/EC2)');
      expect(text).toContain('enableResourceTagsOnTelemetry: true');
      expect(text).not.toContain('disk-full');
    });

    it('exposes the fleet alarms on the engine', () => {
      expect(stack.engine.fleetAlarms.length).toBe(fleetAlarms(template).length);
      expect(stack.engine.alarmKeeper).toBeUndefined();
    });
  });

  it('creates one fleet alarm per runbook while the fleet fits one query', () => {
    // Act: 100 instances, 300 series for the runbooks with three per instance (375 fit one query).
    const alarms = fleetAlarms(synthesize({ alarms: { expectedInstances: 100 } }).template);
    // Assess
    expect(alarms.map((alarm) => alarm.name).sort()).toEqual(
      withAlarm.map((runbook) => `${runbook.name}-fleet-${ENGINE}`).sort(),
    );
    const query = (runbook: string) => alarms.find((alarm) => alarm.runbook === runbook)?.query;
    expect(query('disk-full')).toBe(
      "SELECT AVG(disk_used_percent) FROM CWAgent WHERE AutoRemediation = 'enabled' AND path = '/' GROUP BY InstanceId ORDER BY MAX() DESC LIMIT 500",
    );
    expect(query('runaway-cpu')).toContain(
      `FROM "AWS/EC2" WHERE tag.AutoRemediation = 'enabled' GROUP BY InstanceId`,
    );
    expect(query('memory-leak')).toContain('GROUP BY InstanceId, exe');
    expect(alarms.find((alarm) => alarm.runbook === 'disk-full')?.properties.Tags).toEqual(
      expect.arrayContaining([
        { Key: RUNBOOK_TAG, Value: 'disk-full' },
        { Key: MANAGED_BY_TAG, Value: ENGINE },
      ]),
    );
  });

  it('shards a fleet of 2000 instances into 16 alarms per runbook, by the last hex digit of the instance id', () => {
    // Act
    const alarms = fleetAlarms(synthesize({ alarms: { expectedInstances: 2000 } }).template);
    // Assess
    for (const runbook of withAlarm) {
      const shards = alarms.filter((alarm) => alarm.runbook === runbook.name);
      const hex = [...'0123456789abcdef'];
      expect(shards.map((alarm) => alarm.name).sort(), runbook.name).toEqual(
        hex.map((digit) => `${runbook.name}-fleet-${ENGINE}-shard-${digit}`).sort(),
      );
      for (const digit of hex) {
        const shard = shards.find((alarm) => alarm.name.endsWith(`-shard-${digit}`));
        expect(shard?.query).toContain(`InstanceId LIKE '%${digit}'`);
      }
    }
  });

  it('uses the agent dimension it is given for the agent metrics', () => {
    // Act
    const alarms = fleetAlarms(
      synthesize({ alarms: { expectedInstances: 100, agentDimension: { name: 'Fleet', value: 'web' } } })
        .template,
    );
    // Assess
    expect(alarms.find((alarm) => alarm.runbook === 'disk-full')?.query).toContain(
      "WHERE Fleet = 'web' AND path = '/'",
    );
    expect(alarms.find((alarm) => alarm.runbook === 'runaway-cpu')?.query).toContain(
      "tag.AutoRemediation = 'enabled'",
    );
  });

  describe('in per-instance mode', () => {
    let template: Template;
    let stack: ReturnType<typeof synthesize>['stack'];
    const perInstance = withAlarm.map((runbook) => runbook.name);

    beforeAll(() => {
      ({ stack, template } = synthesize({ alarms: { mode: 'per-instance' } }));
    });

    it('creates no fleet alarm, and no warning about resource tags', () => {
      expect(fleetAlarms(template)).toEqual([]);
      expect(
        Annotations.fromStack(stack).findWarning(
          '*',
          Match.stringLikeRegexp(ALARM_WARNINGS.resourceTagsOnTelemetry),
        ),
      ).toEqual([]);
    });

    it('creates the alarm keeper, told the opt-in tag, its engine, its runbooks and the trusted origin', () => {
      // Act
      const keepers = Object.entries(
        template.findResources('AWS::Lambda::Function') as Record<string, CfnResource>,
      ).filter(([id]) => id.startsWith(KEEPER));
      // Assess
      expect(keepers).toHaveLength(1);
      const [, keeper] = keepers[0] as [string, CfnResource];
      const { Variables: variables } = keeper.Properties.Environment as {
        Variables: Record<string, unknown>;
      };
      expect(variables).toMatchObject({
        OPT_IN_TAG_KEY: 'AutoRemediation',
        OPT_IN_TAG_VALUE: 'enabled',
        KEEPER_STACK_NAME: ENGINE,
        KEEPER_RUNBOOKS: perInstance.join(','),
      });
      expect(variables.EVENT_ACCOUNTS).toBeDefined();
      expect(variables.EVENT_REGIONS).toBeDefined();
      expect(stack.engine.alarmKeeper).toBeDefined();
    });

    it('routes instance state changes, opt-in tag changes and a daily sweep to the keeper', () => {
      // Prepare
      const rules = Object.entries(template.findResources('AWS::Events::Rule') as Record<string, CfnResource>)
        .filter(([id]) => id.startsWith('RemediationAlarms'))
        .map(([, rule]) => rule.Properties);
      const keeperTarget = (rule: Record<string, unknown>) =>
        (rule.Targets as Array<{ Arn: { 'Fn::GetAtt': string[] } }>)[0]?.Arn['Fn::GetAtt'][0];
      // Assess
      expect(rules).toHaveLength(3);
      for (const rule of rules) expect(keeperTarget(rule)).toMatch(new RegExp(`^${KEEPER}`));
      expect(rules.map((rule) => (rule.EventPattern as { source?: string[] } | undefined)?.source)).toEqual(
        expect.arrayContaining([['aws.ec2'], ['aws.tag']]),
      );
      const tagRule = rules.find(
        (rule) => (rule.EventPattern as { source?: string[] })?.source?.[0] === 'aws.tag',
      );
      expect(tagRule?.EventPattern).toMatchObject({
        'detail-type': ['Tag Change on Resource'],
        detail: { 'changed-tag-keys': ['AutoRemediation'] },
      });
      const sweep = rules.find((rule) => rule.ScheduleExpression !== undefined);
      expect(sweep?.ScheduleExpression).toBe('rate(1 day)');
      const sweepTargets = (sweep?.Targets ?? []) as Array<{ Input: string }>;
      expect(JSON.parse(sweepTargets[0]?.Input ?? '{}')).toEqual({
        sweep: true,
      });
      for (const rule of rules) {
        expect((rule.Targets as Array<{ DeadLetterConfig?: unknown }>)[0]?.DeadLetterConfig).toBeDefined();
      }
    });

    it('lets the keeper put, tag and delete only the alarms of its runbooks, and delete only its own', () => {
      // Act
      const statements = keeperStatements(template);
      const granting = (action: string) => statements.filter((s) => s.actions.includes(action));
      // Assess
      for (const action of ['ec2:DescribeInstances', 'cloudwatch:ListMetrics', 'cloudwatch:DescribeAlarms'])
        expect(
          granting(action).flatMap((s) => s.resources),
          action,
        ).toEqual(['*']);
      for (const action of ['cloudwatch:PutMetricAlarm', 'cloudwatch:TagResource'])
        expect(
          granting(action)
            .flatMap((s) => s.resources)
            .sort(),
          action,
        ).toEqual(perInstance.map(alarmArn).sort());
      // Deletes reach any alarm of the account, but only those tagged as this engine's: the sweep
      // also removes what it made for a runbook it no longer keeps.
      expect(granting('cloudwatch:DeleteAlarms').flatMap((s) => s.resources)).toEqual([
        alarmArn('').replace(/-\*$/, '*'),
      ]);
      expect(granting('cloudwatch:DeleteAlarms')[0]?.condition).toEqual({
        StringEquals: { [`aws:ResourceTag/${MANAGED_BY_TAG}`]: ENGINE },
      });
      expect(granting('cloudwatch:ListTagsForResource')).toHaveLength(1);
      expect(granting('cloudwatch:DeleteAlarms')).toHaveLength(1);
    });

    it("sends the keeper's failed events and invocations to its own dead-letter queue", () => {
      const [, config] = Object.entries(
        template.findResources('AWS::Lambda::EventInvokeConfig') as Record<string, CfnResource>,
      ).find(([id]) => id.startsWith(KEEPER)) ?? [undefined, undefined];
      expect(JSON.stringify(config?.Properties.DestinationConfig)).toContain(
        'RemediationAlarmsKeeperDeadLetters',
      );
    });
  });

  it('sweeps as often as it is told', () => {
    // Act
    const { template } = synthesize({ alarms: { mode: 'per-instance', sweepInterval: Duration.hours(6) } });
    // Assess
    template.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(6 hours)' });
  });

  it('keeps the other runbooks in fleet mode when one is per-instance', () => {
    // Act
    const { template } = synthesize({
      alarms: { expectedInstances: 100, modes: { 'runaway-cpu': 'per-instance' } },
    });
    // Assess
    const alarms = fleetAlarms(template);
    expect(alarms.map((alarm) => alarm.runbook).sort()).toEqual(
      withAlarm
        .map((runbook) => runbook.name)
        .filter((name) => name !== 'runaway-cpu')
        .sort(),
    );
    const statements = keeperStatements(template).filter((s) =>
      s.actions.includes('cloudwatch:PutMetricAlarm'),
    );
    expect(statements.flatMap((s) => s.resources)).toEqual([alarmArn('runaway-cpu')]);
  });

  it('leaves out a runbook whose mode is none, and only that one', () => {
    // Act
    const { template } = synthesize({ alarms: { expectedInstances: 100, modes: { 'disk-full': 'none' } } });
    // Assess
    expect(
      fleetAlarms(template)
        .map((alarm) => alarm.runbook)
        .sort(),
    ).toEqual(
      withAlarm
        .map((runbook) => runbook.name)
        .filter((name) => name !== 'disk-full')
        .sort(),
    );
  });

  it('creates nothing in mode none', () => {
    // Act
    const { stack, template } = synthesize({ alarms: { mode: 'none' } });
    // Assess
    expect(fleetAlarms(template)).toEqual([]);
    expect(stack.engine.alarmKeeper).toBeUndefined();
    expect(Annotations.fromStack(stack).findWarning('*', Match.anyValue())).toEqual([]);
  });

  it('fails the synth for a runbook in modes that is not deployed, naming it', () => {
    expect(() => synthesize({ alarms: { modes: { 'disk-ful': 'none' } } })).toThrow(
      /alarm mode for "disk-ful": no deployed runbook has that name/,
    );
  });

  it('fails the synth for a mode it does not know', () => {
    expect(() => synthesize({ alarms: { mode: 'fleets' as never } })).toThrow(
      /mode must be one of fleet, per-instance, none/,
    );
  });

  it('turns on resource tags on telemetry when asked, and then does not warn', () => {
    // Act
    const { stack, template } = synthesize({ alarms: { enableResourceTagsOnTelemetry: true } });
    // Assess
    template.resourceCountIs('AWS::ObservabilityAdmin::TelemetryEnrichment', 1);
    template.hasResourceProperties('AWS::ObservabilityAdmin::TelemetryEnrichment', { Scope: 'ACCOUNT' });
    expect(
      Annotations.fromStack(stack).findWarning(
        '*',
        Match.stringLikeRegexp(ALARM_WARNINGS.resourceTagsOnTelemetry),
      ),
    ).toEqual([]);
  });

  it('pass cdk-nag and cfn-lint with the keeper and the telemetry enrichment', () => {
    // Prepare: what the default stacks of cdk-nag.test.ts and cfn-lint.test.ts do not create.
    const directory = mkdtempSync(join(tmpdir(), 'runbook-alarms-'));
    try {
      const app = testApp({ outdir: directory });
      new RemediationStack(app, 'PerInstance', { alarms: { mode: 'per-instance' } });
      new RemediationStack(app, 'Mixed', {
        env: { account: '123456789012', region: 'eu-west-1' },
        alarms: {
          expectedInstances: 2000,
          modes: { 'disk-full': 'per-instance' },
          enableResourceTagsOnTelemetry: true,
        },
      });
      // Act
      const nag = new AwsSolutionsChecks(app)
        .validateScope(app)
        .violations.flatMap((violation) =>
          violation.violatingResources.map(
            (resource) => `${violation.ruleName} at ${resource.constructPath}`,
          ),
        )
        .filter((finding) => finding.includes('/Alarms/'));
      app.synth();
      const lint = cfnLint(templatesIn(directory));
      // Assess
      expect(nag).toEqual([]);
      // Only the resources made here: the rest of the stack is linted by cfn-lint.test.ts.
      const ours = (findings: string[]) =>
        findings.filter((finding) => finding.includes('Resources/RemediationAlarms'));
      expect(ours(describeFindings(lint.errors))).toEqual([]);
      expect(ours(describeFindings(lint.warnings))).toEqual([]);
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  }, 180_000);
});
