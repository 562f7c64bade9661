import { Annotations, Duration, Fn, Stack, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as destinations from 'aws-cdk-lib/aws-lambda-destinations';
import type * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as observabilityadmin from 'aws-cdk-lib/aws-observabilityadmin';
import { Construct } from 'constructs';
import { MANAGED_BY_TAG, RUNBOOK_TAG } from '../functions/core/alarm-keeper.ts';
import {
  ALARM_MODES,
  type AlarmMode,
  type AlarmPlan,
  planAlarms,
} from '../functions/core/alarm-provisioning.ts';
import {
  instanceStateChangePattern,
  instanceTagChangePattern,
  type PatternOrigin,
} from '../functions/core/event-patterns.ts';
import type { Runbook } from '../functions/core/runbook.ts';
import { isVendedNamespace } from '../functions/core/runbook-alarm.ts';
import { ENV } from '../functions/handlers/config.ts';
import { toCdkEventPattern } from './event-rules.ts';
import { acknowledgeWildcard, wildcardResource } from './nag-acknowledgements.ts';
import { DeadLetterQueue } from './queues.ts';
import { createRemediationFunction, type RemediationFunctionSettings } from './remediation-functions.ts';
import type { OptInTag } from './ssm-permissions.ts';

export type { AlarmMode } from '../functions/core/alarm-provisioning.ts';

/** How the engine provisions the alarms its runbooks declare (`alarm` in each runbook.ts). */
export interface AlarmProvisioningProps {
  /**
   * For every runbook that declares an alarm: one Metrics Insights alarm over the opted-in fleet
   * (`fleet`), one alarm per instance and series, kept in step with the fleet by the alarm keeper
   * function (`per-instance`), or none (`none`: bring your own alarms, named `<runbook>-*`). A runbook
   * whose alarm is high resolution (10, 20 or 30 s) goes per-instance under `fleet`.
   * @default 'fleet'
   */
  readonly mode?: AlarmMode;
  /**
   * The mode of single runbooks, by name, over `mode` (`{ 'disk-full': 'none' }`). A name that is not
   * a deployed runbook fails the synth.
   * @default - `mode` for every runbook
   */
  readonly modes?: Readonly<Record<string, AlarmMode>>;
  /**
   * How many opted-in instances the fleet may reach: a fleet alarm reads at most 500 series, so a
   * larger fleet's alarm is split into 16 shards by the last hex digit of the instance id.
   * @default 100 (a larger fleet still has its worst 500 series per alarm watched: the query orders them worst first)
   */
  readonly expectedInstances?: number;
  /**
   * Turn on the account's "resource tags on telemetry" (an `AWS::ObservabilityAdmin::TelemetryEnrichment`
   * of scope ACCOUNT), which fleet alarms over AWS's own metrics (`AWS/EC2` CPUUtilization) need to
   * select opted-in instances by their tag (`WHERE tag.<opt-in key> = '<value>'`). The setting is one
   * per account and Region: turn it on in one engine only, or in the console (CloudWatch, Settings).
   * Without it such an alarm watches no series; the synth warns.
   * @default false
   */
  readonly enableResourceTagsOnTelemetry?: boolean;
  /**
   * The dimension the CloudWatch agent stamps on the metrics of opted-in instances (`append_dimensions`
   * in its configuration): fleet alarms over the agent's metrics (`CWAgent`) select instances by it.
   * @default { name: 'AutoRemediation', value: 'enabled' }
   */
  readonly agentDimension?: { readonly name: string; readonly value: string };
  /**
   * How often the alarm keeper (per-instance mode) compares every opted-in instance with its alarms,
   * besides following instance state and tag changes as they happen. At least one minute.
   * @default Duration.days(1)
   */
  readonly sweepInterval?: Duration;
}

/** Options of the runbook alarms. */
export interface RunbookAlarmsProps extends AlarmProvisioningProps {
  /** The runbooks the engine deploys. */
  readonly runbooks: readonly Runbook[];
  /** The opt-in tag: fleet alarms over AWS's metrics select by it; the keeper follows it. */
  readonly optInTag: OptInTag;
  /**
   * Unique to the engine in its account and Region: names the fleet alarms
   * (`<runbook>-fleet-<managedBy>`) and is the value of their `AutoRemediation:managed-by` tag and of
   * the keeper's alarms'.
   */
  readonly managedBy: string;
  /** The accounts and Regions whose instance events the keeper's rules route. */
  readonly origin: PatternOrigin;
  /** How the engine builds its functions (entries with the deployed runbooks, logs, SDK). */
  readonly functionSettings: RemediationFunctionSettings;
}

// The tags every provisioned alarm carries, the keeper's as the fleet alarms: the engine it belongs
// to (`managedBy`), and the runbook that answers it.
export { MANAGED_BY_TAG, RUNBOOK_TAG } from '../functions/core/alarm-keeper.ts';

/**
 * The ids of the synth warnings about alarms, to acknowledge one on purpose with
 * `Annotations.of(scope).acknowledgeWarning(id)`.
 */
export const ALARM_WARNINGS = {
  /** A fleet alarm reads AWS's metrics, and `enableResourceTagsOnTelemetry` is off. */
  resourceTagsOnTelemetry: 'ec2-auto-remediation:alarms:resource-tags-on-telemetry',
  /** What the alarm plan warns about (a fleet too large for its shards, the quota of fleet alarms). */
  plan: 'ec2-auto-remediation:alarms:plan',
} as const;

/**
 * The alarm keeper's own variables (functions/handlers/alarm-keeper.ts `KEEPER_ENV`, not imported here:
 * that module brings the SDK), besides the opt-in tag and the origin (functions/handlers/config.ts).
 */
const KEEPER_ENV = { managedBy: 'KEEPER_STACK_NAME', runbooks: 'KEEPER_RUNBOOKS' } as const;

/** The keeper's timeout: a sweep creates and deletes alarms at CloudWatch's API rates. */
export const KEEPER_TIMEOUT = Duration.minutes(15);

const DIMENSION_NAME = /^[A-Za-z0-9_.:/#-]{1,255}$/;
const DIMENSION_VALUE = /^[^'\\\n\r]{1,1024}$/;

/**
 * The alarms the runbooks declare, as planned by functions/core/alarm-provisioning.ts: a Metrics
 * Insights alarm (or 16 shards of one) per runbook in fleet mode, the alarm keeper with its rules for
 * runbooks in per-instance mode, nothing for `none`. The alarms have no actions: EventBridge receives
 * their state changes (and the per-series contributor changes of fleet alarms), and the engine's
 * alarm function answers them.
 */
export class RunbookAlarms extends Construct {
  /** What was planned, per runbook. */
  readonly plan: AlarmPlan;
  /** The fleet alarms (Metrics Insights), one per runbook in fleet mode, or 16 shards of one. */
  readonly fleetAlarms: readonly cloudwatch.CfnAlarm[];
  /** The alarm keeper, when a runbook's alarms are per-instance. */
  readonly keeper?: nodejs.NodejsFunction;
  /** The keeper's rules (instance state changes, opt-in tag changes, the sweep), when it exists. */
  readonly keeperRules: readonly events.Rule[];
  /** The account's resource tags on telemetry, when this engine turns them on. */
  readonly telemetryEnrichment?: observabilityadmin.CfnTelemetryEnrichment;

  constructor(scope: Construct, id: string, props: RunbookAlarmsProps) {
    super(scope, id);
    const agentDimension = props.agentDimension ?? { name: 'AutoRemediation', value: 'enabled' };
    validate(props, agentDimension);
    this.plan = planAlarms(props.runbooks, {
      mode: props.mode,
      modes: props.modes,
      expectedInstances: props.expectedInstances,
      optInTag: props.optInTag,
      agentDimension,
      stackName: props.managedBy,
    });
    if (this.plan.errors.length > 0) {
      throw new Error(`alarms: ${this.plan.errors.join('; ')}`);
    }
    for (const warning of this.plan.warnings) {
      Annotations.of(this).addWarningV2(ALARM_WARNINGS.plan, `alarms: ${warning}`);
    }
    for (const note of this.plan.notes ?? []) Annotations.of(this).addInfo(`alarms: ${note}`);

    this.fleetAlarms = this.plan.runbooks.flatMap((runbook) => {
      const alarm = runbook.alarm;
      if (runbook.mode !== 'fleet' || !alarm) return [];
      const group = new Construct(this, runbook.runbook);
      return runbook.fleetAlarms.map(
        (fleetAlarm) =>
          new cloudwatch.CfnAlarm(
            group,
            fleetAlarm.shard.of > 1 ? `Shard${fleetAlarm.shard.index.toString(16)}` : 'Fleet',
            {
              alarmName: fleetAlarm.name,
              alarmDescription:
                `The alarm of runbook ${runbook.runbook} over the opted-in fleet` +
                (fleetAlarm.shard.of > 1
                  ? ` (shard ${fleetAlarm.shard.index + 1} of ${fleetAlarm.shard.of}: instance ids ending in ${fleetAlarm.shard.index.toString(16)})`
                  : '') +
                `, provisioned by the remediation engine ${props.managedBy}. It has no actions: EventBridge ` +
                'takes its state changes to the engine, which answers each instance in ALARM with the runbook.',
              metrics: [
                { id: 'q', expression: fleetAlarm.query, period: alarm.periodSeconds, returnData: true },
              ],
              comparisonOperator: alarm.comparison,
              threshold: alarm.threshold,
              evaluationPeriods: alarm.evaluationPeriods,
              datapointsToAlarm: alarm.datapointsToAlarm,
              treatMissingData: alarm.treatMissingData,
              tags: [
                { key: RUNBOOK_TAG, value: runbook.runbook },
                { key: MANAGED_BY_TAG, value: props.managedBy },
              ],
            },
          ),
      );
    });

    const needingTags = this.plan.runbooks.filter(
      (runbook) =>
        runbook.mode === 'fleet' && runbook.alarm !== undefined && isVendedNamespace(runbook.alarm.namespace),
    );
    if (this.plan.needsResourceTags && props.enableResourceTagsOnTelemetry) {
      this.telemetryEnrichment = new observabilityadmin.CfnTelemetryEnrichment(
        this,
        'ResourceTagsOnTelemetry',
        { scope: 'ACCOUNT' },
      );
    } else if (this.plan.needsResourceTags) {
      Annotations.of(this).addWarningV2(
        ALARM_WARNINGS.resourceTagsOnTelemetry,
        `alarms: the fleet alarms of ${needingTags
          .map((runbook) => `${runbook.runbook} (${runbook.alarm?.namespace})`)
          .join(', ')} select opted-in instances by their tag ${props.optInTag.key}, which AWS's metrics ` +
          `carry only when the account's "resource tags on telemetry" setting is on; without it they watch no ` +
          'instance. Set alarms: { enableResourceTagsOnTelemetry: true } on the engine (it creates an ' +
          'AWS::ObservabilityAdmin::TelemetryEnrichment of scope ACCOUNT), or turn the setting on in the ' +
          'CloudWatch console (Settings) of this account and Region, or set these runbooks to per-instance.',
      );
    }

    const perInstance = this.plan.runbooks.filter((runbook) => runbook.mode === 'per-instance');
    if (perInstance.length === 0) {
      this.keeperRules = [];
      return;
    }
    const deadLetters = new DeadLetterQueue(this, 'KeeperDeadLetters').deadLetterQueueOf(
      "the alarm keeper's rules (EventBridge target) and its async invocations (Lambda on-failure destination)",
    );
    const keeper = createRemediationFunction(
      this,
      'AlarmKeeper',
      {
        ...props.functionSettings,
        environment: {
          ...keeperEnvironment(
            props,
            perInstance.map((runbook) => runbook.runbook),
          ),
          ...(props.functionSettings.environment.POWERTOOLS_SERVICE_NAME
            ? { POWERTOOLS_SERVICE_NAME: props.functionSettings.environment.POWERTOOLS_SERVICE_NAME }
            : {}),
        },
      },
      {
        entry: props.functionSettings.entries.entries.alarmKeeper,
        description:
          'Keeps one alarm per opted-in instance and series for the runbooks in per-instance alarm mode',
        timeout: KEEPER_TIMEOUT,
        // Lambda's own async retries; then the event goes to the dead-letter queue.
        retryAttempts: 2,
        onFailure: new destinations.SqsDestination(deadLetters),
      },
    );
    this.keeper = keeper;
    grantKeeper(
      keeper,
      perInstance.map((runbook) => runbook.runbook),
      props.managedBy,
    );

    const target = (input?: events.RuleTargetInput) =>
      new targets.LambdaFunction(keeper, {
        // EventBridge's delivery retries (throttling, service errors), before the dead-letter queue.
        retryAttempts: 8,
        maxEventAge: Duration.hours(2),
        deadLetterQueue: deadLetters,
        ...(input ? { event: input } : {}),
      });
    const sweepInterval = props.sweepInterval ?? Duration.days(1);
    this.keeperRules = [
      new events.Rule(this, 'InstanceStateChange', {
        description: 'EC2 instances starting, stopping or terminating, to the alarm keeper',
        eventPattern: toCdkEventPattern(instanceStateChangePattern(props.origin)),
        targets: [target()],
      }),
      new events.Rule(this, 'OptInTagChange', {
        description: `EC2 instances gaining, changing or losing the tag ${props.optInTag.key}, to the alarm keeper`,
        eventPattern: toCdkEventPattern(instanceTagChangePattern(props.optInTag.key, props.origin)),
        targets: [target()],
      }),
      new events.Rule(this, 'SweepSchedule', {
        description:
          'The alarm keeper compares every opted-in instance with its alarms (a missed event is made good)',
        schedule: events.Schedule.rate(sweepInterval),
        targets: [target(events.RuleTargetInput.fromObject({ sweep: true }))],
      }),
    ];
  }
}

/** What the keeper is told (functions/handlers/alarm-keeper.ts). */
function keeperEnvironment(props: RunbookAlarmsProps, runbooks: readonly string[]): Record<string, string> {
  return {
    [ENV.optInTagKey]: props.optInTag.key,
    [ENV.optInTagValue]: props.optInTag.value,
    [KEEPER_ENV.managedBy]: props.managedBy,
    [KEEPER_ENV.runbooks]: runbooks.join(','),
    [ENV.eventAccounts]: Fn.join(',', [...props.origin.accounts]),
    [ENV.eventRegions]: Fn.join(',', [...props.origin.regions]),
  };
}

/**
 * What the keeper calls: it lists instances and their metrics, reads alarms and their tags, and puts,
 * tags and deletes the alarms of the per-instance runbooks (`<runbook>-*`), deleting only those tagged
 * as this engine's.
 */
function grantKeeper(keeper: nodejs.NodejsFunction, runbooks: readonly string[], managedBy: string): void {
  const { partition, region, account } = Stack.of(keeper);
  const alarmArns = runbooks.map(
    (name) => `arn:${partition}:cloudwatch:${region}:${account}:alarm:${name}-*`,
  );
  iam.Grant.addToPrincipal({
    grantee: keeper,
    actions: [
      'ec2:DescribeInstances',
      'cloudwatch:ListMetrics',
      'cloudwatch:DescribeAlarms',
      'cloudwatch:ListTagsForResource',
    ],
    resourceArns: ['*'],
  });
  acknowledgeWildcard(keeper, 'Resource::*', [
    'ec2:DescribeInstances and cloudwatch:ListMetrics support no resource-level permissions (Service',
    'Authorization Reference). cloudwatch:DescribeAlarms and ListTagsForResource are read-only: the keeper',
    'reads alarms by name prefix and their managed-by tag before it changes any; the changes are scoped below.',
  ]);
  iam.Grant.addToPrincipal({
    grantee: keeper,
    actions: ['cloudwatch:PutMetricAlarm', 'cloudwatch:TagResource'],
    resourceArns: alarmArns,
  });
  // Any of this account's alarms, but only those tagged as this engine's: the sweep also removes the
  // alarms of a runbook that is no longer kept per instance (or no longer deployed).
  const anyAlarm = `arn:${partition}:cloudwatch:${region}:${account}:alarm:*`;
  iam.Grant.addToPrincipal({
    grantee: keeper,
    actions: ['cloudwatch:DeleteAlarms'],
    resourceArns: [anyAlarm],
    conditions: { StringEquals: { [`aws:ResourceTag/${MANAGED_BY_TAG}`]: managedBy } },
  });
  acknowledgeWildcard(keeper, wildcardResource(keeper, anyAlarm), [
    "DeleteAlarms applies only to alarms tagged as this engine's (the aws:ResourceTag condition): the keeper",
    'removes the alarms it made for a runbook it no longer keeps per instance, and can touch no other.',
  ]);
  for (const arn of alarmArns) {
    acknowledgeWildcard(keeper, wildcardResource(keeper, arn), [
      'The keeper names each per-instance alarm <runbook>-<instance>-<series>, so it may put, tag and read the',
      "tags of the alarms of its per-instance runbooks only, and delete only those tagged as this engine's.",
    ]);
  }
}

function validate(props: RunbookAlarmsProps, agentDimension: { name: string; value: string }): void {
  const modes = [props.mode, ...Object.values(props.modes ?? {})].filter((mode) => mode !== undefined);
  for (const mode of modes) {
    if (!ALARM_MODES.includes(mode)) {
      throw new Error(`alarms: mode must be one of ${ALARM_MODES.join(', ')}, not ${JSON.stringify(mode)}`);
    }
  }
  const instances = props.expectedInstances;
  if (instances !== undefined && (!Number.isInteger(instances) || instances < 1)) {
    throw new Error(`alarms.expectedInstances is ${instances}: give a whole number of instances, at least 1`);
  }
  if (!DIMENSION_NAME.test(agentDimension.name) || !DIMENSION_VALUE.test(agentDimension.value)) {
    throw new Error(
      `alarms.agentDimension ${JSON.stringify(agentDimension)}: give the dimension name and value the CloudWatch ` +
        'agent appends (append_dimensions), a name of letters, digits and _.:/#- and a value without quotes or backslashes',
    );
  }
  const sweep = props.sweepInterval;
  if (sweep && !Token.isUnresolved(sweep.toSeconds()) && sweep.toSeconds() < 60) {
    throw new Error(
      `alarms.sweepInterval must be at least one minute, not ${sweep.toHumanString()}: set Duration.minutes(1) or more`,
    );
  }
}
