import { resolve } from 'node:path';
import { Duration, Fn, type RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as lambdaEventSources from 'aws-cdk-lib/aws-lambda-event-sources';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type * as ssm from 'aws-cdk-lib/aws-ssm';
import { Construct } from 'constructs';
import { TABLE } from '../functions/adapters/aws/table-schema.ts';
import { PAGERDUTY_EVENTS_ENV } from '../functions/adapters/pager-events.ts';
import { EVENT_LEVELS, type EventLevel, REMEDIATION_EVENT_SOURCE } from '../functions/core/effects.ts';
import type { PatternOrigin } from '../functions/core/event-patterns.ts';
import { METRIC } from '../functions/core/metrics.ts';
import { type Runbook, RunbookDefinitionError } from '../functions/core/runbook.ts';
import { runbookSetProblems } from '../functions/core/runbook-overlap.ts';
import { DEFAULT_SETTLE_SECONDS, ENV, MAX_SETTLE_SECONDS } from '../functions/handlers/config.ts';
import { runbooks as registry } from '../runbooks/index.ts';
import { ChatActions, type ChatActionsOptions } from './chat-actions.ts';
import { engineTopics, grantPublishToTopics } from './engine-topics.ts';
import { RemediationRules } from './event-rules.ts';
import { writeHandlerEntries } from './handler-entries.ts';
import { IncidentTable } from './incident-table.ts';
import { emf, RemediationObservability } from './observability.ts';
import { grantOperate, grantResyncRequest } from './operator-grant.ts';
import { subscribeEmails } from './pager-topic.ts';
import { PagerDutyDelivery, type PagerDutyProps } from './pagerduty-delivery.ts';
import { uniqueNamePrefix } from './physical-names.ts';
import { RUNBOOKS_DIRECTORY } from './project-paths.ts';
import { DeadLetterQueue, TimerQueue } from './queues.ts';
import { RemediationFunctions, TIMER_TIMEOUT } from './remediation-functions.ts';
import { type AlarmProvisioningProps, RunbookAlarms } from './runbook-alarms.ts';
import { RunbookDocuments } from './runbook-documents.ts';
import {
  type Grantee,
  grantCommandReads,
  grantDescribeAlarms,
  grantDescribeInstances,
  grantReadMuteRules,
  grantSendCommand,
  type OptInTag,
  validateOptInTag,
} from './ssm-permissions.ts';

/**
 * What the handlers do to the incident table's items, and nothing more: the store, the fleet guard and
 * the kill switch (functions/adapters/aws) get, put, update, delete and query; their transactions hold
 * Put, Update and Delete items, which IAM authorizes as PutItem, UpdateItem and DeleteItem. No scan, no
 * batch, no stream, no DescribeTable. One list for all five functions: each builds the same adapters
 * and runs the same incident processor, whose path through them depends on the incident, not on the
 * function.
 */
const TABLE_DATA_ACTIONS = [
  'dynamodb:GetItem',
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'dynamodb:Query',
] as const;
/** Options of the remediation engine. */
export interface RemediationEngineProps {
  /**
   * The runbooks to deploy: one SSM document each, and exactly these in the functions' bundles. Each
   * must be defined in `<runbooksDirectory>/<name>/runbook.ts` (the bundles import it from there).
   * For your own folder: `runbooks: await loadRunbooks(runbooksDirectory)`.
   * @default - every runbook in runbooksDirectory when it is this package's own; required otherwise
   */
  readonly runbooks?: readonly Runbook[];
  /**
   * The folder holding `<runbook name>/runbook.ts` and the runbook's scripts, for each runbook.
   * @default - this package's runbooks/ folder (the built-in runbooks)
   */
  readonly runbooksDirectory?: string;
  /**
   * The tag an instance must carry for any runbook to run on it (enforced in IAM).
   * @default 'AutoRemediation'
   */
  readonly optInTagKey?: string;
  /**
   * The value the opt-in tag must have.
   * @default 'enabled'
   */
  readonly optInTagValue?: string;
  /**
   * Page for an alarm a runbook answers on an instance without the opt-in tag. Such an instance is
   * not this deployment's: by default its alarm opens no incident and pages nobody; it is logged with
   * the reason and counted (metric `UnmanagedInstanceAlarmsIgnored`). An incident already open when
   * its instance loses the tag pages either way.
   * @default false
   */
  readonly pageUnmanagedInstances?: boolean;
  /**
   * Your own topic for pages, in this stack's Region (refused otherwise: at synth when both Regions are
   * known, by a CloudFormation rule at deploy when the stack is environment-agnostic). It may belong to
   * another account, whose topic policy must then allow the functions' roles to publish. If it is
   * encrypted with a customer managed key, give the key too: as `pagerTopicKey`, or through a topic that
   * knows it (`sns.Topic.fromTopicAttributes({ topicArn, keyArn })`).
   * @default - a new topic encrypted with a new customer managed KMS key
   */
  readonly pagerTopic?: sns.ITopic;
  /**
   * The customer managed KMS key your `pagerTopic` is encrypted with: the functions get
   * `kms:GenerateDataKey*` and `kms:Decrypt` on it, which publishing to an encrypted topic needs. The
   * key's policy must let IAM policies of this account grant it (the default key policy does), or name
   * the functions' roles. For the engine's alarms to page too, it must also allow
   * `cloudwatch.amazonaws.com` (as PagerTopic's key does).
   * @default - the topic's `masterKey`, if it knows one; else the topic is taken as not encrypted with a
   * customer managed key
   */
  readonly pagerTopicKey?: kms.IKey;
  /**
   * Email addresses subscribed to the pager topic (each confirms by mail).
   * @default - no subscriptions
   */
  readonly pagerEmails?: readonly string[];
  /**
   * A topic that a chat channel of Amazon Q Developer in chat applications (AWS Chatbot) subscribes
   * to: every page and notice is also published there as a custom notification, threaded per incident.
   * @default - no chat notifications
   */
  readonly chatTopic?: sns.ITopic;
  /**
   * The customer managed KMS key the `chatTopic` is encrypted with (see `pagerTopicKey`).
   * @default - the chat topic's `masterKey`, if it knows one
   */
  readonly chatTopicKey?: kms.IKey;
  /**
   * The bus the "Remediation …" events are published to, for integrations and audit.
   * @default - the account's default event bus
   */
  readonly eventBus?: events.IEventBus;
  /**
   * Prepended to each runbook name to make its SSM document name.
   * @default `Remediation-${stackName}-`
   */
  readonly documentNamePrefix?: string;
  /**
   * What happens to the incident table when it leaves the stack.
   * @default RemovalPolicy.RETAIN
   */
  readonly tableRemovalPolicy?: RemovalPolicy;
  /**
   * What happens to the pager topic's KMS key (when the engine creates the topic) when it leaves the
   * stack. A deleted key can no longer decrypt what it encrypted.
   * @default RemovalPolicy.RETAIN
   */
  readonly keyRemovalPolicy?: RemovalPolicy;
  /**
   * What happens to the functions' log groups when they leave the stack.
   * @default RemovalPolicy.RETAIN
   */
  readonly logRemovalPolicy?: RemovalPolicy;
  /**
   * How long function logs are kept.
   * @default logs.RetentionDays.THREE_MONTHS
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * A dashboard, and alarms on the remediator itself (function errors, dead-letter queues, late
   * timers, escalation rate) that page through the pager topic, named after the stack and the engine's
   * path in it (`<stack name>-<engine id>-…`), so that several engines in one account never collide.
   * @default true
   */
  readonly observability?: boolean;
  /**
   * Bundle the AWS SDK into the functions (the exact version the tests ran against) instead of using
   * the Lambda runtime's copy. See docs/design-decisions.md, "The functions use the runtime's SDK".
   * @default false
   */
  readonly bundleAwsSdk?: boolean;
  /**
   * Which remediation events the functions publish on the default bus: `lifecycle` (Opened, Waiting,
   * Suppressed, Escalated, Resolved), `all` (adds Attempt Started, Attempt Finished, Verifying,
   * Backing Off) or `none`. EventBridge bills each event put, matched by a rule or not.
   * @default 'lifecycle'
   */
  readonly events?: EventLevel;
  /**
   * How often the resync lists the alarms in ALARM and reconciles them with the open incidents: an
   * alarm whose event was lost is found within this long. Each run costs one DescribeAlarms call per
   * 100 alarms in ALARM (not per alarm in the account). At least one minute.
   * @default Duration.minutes(5)
   */
  readonly resyncInterval?: Duration;
  /**
   * How often an escalated or suppressed incident asks CloudWatch for its alarm's state, so that none
   * waits forever on an OK event that was lost. At least one minute.
   * @default Duration.hours(1)
   */
  readonly slowCheckInterval?: Duration;
  /**
   * Accounts besides this stack's own whose alarm and command events the functions act on (for a bus
   * that receives other accounts' events). Events from any other account or Region are ignored, in the
   * rules and again in the functions, and counted (metric ForeignEventsIgnored).
   * @default - this stack's account only
   */
  readonly trustedEventAccounts?: readonly string[];
  /**
   * How far ahead of the functions' clock an alarm's state time may lie before its event is rejected
   * (a state stamped ahead would outrank every real state of its alarm until then).
   * @default Duration.minutes(5)
   */
  readonly clockSkewTolerance?: Duration;
  /**
   * Seconds after its launch an instance is left alone: an alarm on an instance launched less than
   * this long ago waits (a boot still warming up raises alarms that clear by themselves), and its
   * attempt starts when the time ends, if the alarm is still in ALARM. A whole number from 0 (act at
   * once) to 3600: the wait never pages, so it is kept short.
   * @default 300
   */
  readonly settleSeconds?: number;
  /**
   * How the alarms the runbooks declare are provisioned: fleet (Metrics Insights) alarms, per-instance
   * alarms kept by the alarm keeper, or none; by runbook if you like (see AlarmProvisioningProps).
   * @default - a fleet alarm per runbook that declares one, sized for 500 instances
   */
  readonly alarms?: AlarmProvisioningProps;
  /**
   * Also page through PagerDuty's Events API v2: each page and fleet notice becomes a
   * `Remediation Page` event on the bus, delivered by an EventBridge API destination whose connection
   * adds the routing key from Secrets Manager (see lib/pagerduty-delivery.ts). The SNS pager topic
   * keeps paging as before.
   * @default - no PagerDuty Events v2 delivery
   */
  readonly pagerDuty?: PagerDutyProps;
  /**
   * Buttons on the chat pages (custom actions of Amazon Q Developer in chat applications): Approve
   * and Deny on a proposal; Retry, Diagnose, Snooze 1 h, Take and Pause runbook on an escalation;
   * Close breaker on a breaker's notice. Each invokes the operator function with the channel's role,
   * which is granted `lambda:InvokeFunction` on it (see lib/chat-actions.ts). Needs `chatTopic`.
   * @default - no chat buttons
   */
  readonly chatActions?: ChatActionsOptions;
  /**
   * The operator function's reserved concurrency, or `false` to reserve none (an account whose Lambda
   * concurrency quota is below about 100 cannot reserve any).
   * @default 3
   */
  readonly operatorConcurrency?: number | false;
}

/** The service name the handlers log under. */
export const SERVICE_NAME = 'ec2-auto-remediation';

/**
 * Event-driven auto-remediation for EC2: alarm state changes and SSM command statuses arrive through
 * EventBridge, three functions decide and act, state lives in one DynamoDB table, timers in SQS, and
 * humans are paged through SNS.
 */
export class RemediationEngine extends Construct {
  /** Incidents, attempts, leases, budgets and settings. */
  readonly table: dynamodb.Table;
  /** Where escalations and resolutions are published. */
  readonly pagerTopic: sns.ITopic;
  /** The key the pager topic is encrypted with, when the engine knows it (created, or given). */
  readonly pagerTopicKey: kms.IKey | undefined;
  /** The chat topic, when one was given. */
  readonly chatTopic: sns.ITopic | undefined;
  /** The key the chat topic is encrypted with, when one was given or the topic knows it. */
  readonly chatTopicKey: kms.IKey | undefined;
  /** Backoff, verify-deadline and reconcile timers. */
  readonly timerQueue: sqs.Queue;
  /** The handlers: alarm, command status, timer, resync, and the operator function. */
  readonly functions: RemediationFunctions;
  /** The function people's requests go to (the CLI's responder commands, the chat buttons). */
  readonly operatorFunction: lambda.IFunction;
  /** The chat buttons, when `chatActions` was given. */
  readonly chatActions?: ChatActions;
  /** The runbooks this engine deploys and its functions answer alarms with. */
  readonly runbookNames: readonly string[];
  /** The runbook SSM documents, by runbook name. */
  readonly documents: Readonly<Record<string, ssm.CfnDocument>>;
  /** The runbook SSM document names, by runbook name. */
  readonly documentNames: Readonly<Record<string, string>>;
  /** The EventBridge rules that feed the functions. */
  readonly rules: RemediationRules;
  /** Which remediation events the functions publish. */
  readonly eventLevel: EventLevel;
  /** The dashboard and the alarms on the remediator itself; undefined with `observability: false`. */
  readonly observability?: RemediationObservability;
  /** How often the resync runs. */
  readonly resyncInterval: Duration;
  /** How often escalated and suppressed incidents ask CloudWatch for their alarm. */
  readonly slowCheckInterval: Duration;
  /** How far in the future an alarm's state time may lie. */
  readonly clockSkewTolerance: Duration;
  /** Seconds after its launch an instance is left alone (see the prop). */
  readonly settleSeconds: number;
  /** The accounts and Regions whose events are acted on. */
  readonly origin: PatternOrigin;
  /** Whether alarms on instances without the opt-in tag page (see the prop). */
  readonly pageUnmanagedInstances: boolean;
  /** The alarms the runbooks declare: the plan, the fleet alarms, the alarm keeper. */
  readonly runbookAlarms: RunbookAlarms;
  /** The fleet (Metrics Insights) alarms, one per runbook in fleet mode or 16 shards of one. */
  readonly fleetAlarms: readonly cloudwatch.CfnAlarm[];
  /** The alarm keeper, when a runbook's alarms are per-instance. */
  readonly alarmKeeper?: lambda.IFunction;
  /** The PagerDuty Events v2 delivery, when `pagerDuty` was given. */
  readonly pagerDuty?: PagerDutyDelivery;

  constructor(scope: Construct, id: string, props: RemediationEngineProps = {}) {
    super(scope, id);
    const optIn = validateOptInTag({
      key: props.optInTagKey ?? 'AutoRemediation',
      value: props.optInTagValue ?? 'enabled',
    });
    const eventBus = props.eventBus ?? events.EventBus.fromEventBusName(this, 'DefaultBus', 'default');
    this.origin = {
      accounts: [Stack.of(this).account, ...trustedAccounts(props.trustedEventAccounts ?? [])],
      regions: [Stack.of(this).region],
    };
    this.resyncInterval = atLeastAMinute('resyncInterval', props.resyncInterval ?? Duration.minutes(5));
    this.slowCheckInterval = atLeastAMinute(
      'slowCheckInterval',
      props.slowCheckInterval ?? Duration.hours(1),
    );
    this.clockSkewTolerance = props.clockSkewTolerance ?? Duration.minutes(5);
    this.settleSeconds = settleTime(props.settleSeconds ?? DEFAULT_SETTLE_SECONDS);
    this.pageUnmanagedInstances = props.pageUnmanagedInstances ?? false;
    this.eventLevel = props.events ?? 'lifecycle';
    if (!EVENT_LEVELS.includes(this.eventLevel)) {
      throw new Error(
        `events must be one of ${EVENT_LEVELS.join(', ')}, not ${JSON.stringify(props.events)}`,
      );
    }

    const runbooksDirectory = props.runbooksDirectory ?? RUNBOOKS_DIRECTORY;
    const runbooks = deployedRunbooks(props.runbooks, runbooksDirectory);
    this.runbookNames = runbooks.map((runbook) => runbook.name);
    const runbookDocuments = new RunbookDocuments(this, 'Runbooks', {
      runbooks,
      runbooksDirectory,
      documentNamePrefix: props.documentNamePrefix,
    });
    this.documents = runbookDocuments.documents;
    this.documentNames = runbookDocuments.documentNames;

    this.table = new IncidentTable(this, 'Incidents', { removalPolicy: props.tableRemovalPolicy });
    const topics = engineTopics(this, props);
    this.pagerTopic = topics.pagerTopic;
    this.pagerTopicKey = topics.pagerTopicKey;
    this.chatTopic = topics.chatTopic;
    this.chatTopicKey = topics.chatTopicKey;
    subscribeEmails(this.pagerTopic, props.pagerEmails ?? []);
    const timers = new TimerQueue(this, 'Timers', { consumerTimeout: TIMER_TIMEOUT });
    this.timerQueue = timers.queue;
    const failedInvocations = new DeadLetterQueue(this, 'FailedInvocations');
    const undeliveredEvents = new DeadLetterQueue(this, 'UndeliveredEvents');

    const entries = writeHandlerEntries(runbooksDirectory, runbooks);
    this.functions = new RemediationFunctions(this, 'Functions', {
      entries,
      environment: this.environment(eventBus, optIn),
      invocationFailureQueue: failedInvocations.deadLetterQueueOf(
        'the alarm and command-status functions (Lambda on-failure destination after async retries)',
      ),
      logRetention: props.logRetention,
      logRemovalPolicy: props.logRemovalPolicy,
      bundleAwsSdk: props.bundleAwsSdk,
      operatorConcurrency: props.operatorConcurrency,
    });
    this.operatorFunction = this.functions.operator;
    // The commands a page prints that act go through the operator function, named in them.
    for (const fn of [
      this.functions.alarm,
      this.functions.commandStatus,
      this.functions.timer,
      this.functions.resync,
    ]) {
      fn.addEnvironment(ENV.operatorFunction, this.functions.operator.functionName);
    }
    this.functions.timer.addEventSource(
      new lambdaEventSources.SqsEventSource(this.timerQueue, {
        batchSize: 10,
        reportBatchItemFailures: true,
      }),
    );
    for (const fn of this.functions.all) {
      this.grantShared(fn, eventBus);
      // Create the documents first, so that the first alarm after a deploy finds them.
      fn.node.addDependency(runbookDocuments);
    }
    this.grantSsm(runbookDocuments.documentArns(), optIn);

    this.rules = new RemediationRules(this, 'Rules', {
      alarmFunction: this.functions.alarm,
      commandStatusFunction: this.functions.commandStatus,
      resyncFunction: this.functions.resync,
      resyncInterval: this.resyncInterval,
      origin: this.origin,
      documentNames: Object.values(this.documentNames),
      deadLetterQueue: undeliveredEvents.deadLetterQueueOf("the EventBridge rules' Lambda targets"),
    });

    if (props.chatActions) {
      if (!this.chatTopic) {
        throw new Error(
          'chatActions is given without chatTopic: the buttons attach to the chat pages, which the engine ' +
            'publishes to the chat topic; pass the chatTopic your channel subscribes to',
        );
      }
      this.chatActions = new ChatActions(this, 'ChatActions', {
        ...props.chatActions,
        operatorFunction: this.functions.operator,
      });
    }

    if (props.pagerDuty) {
      this.pagerDuty = new PagerDutyDelivery(this, 'PagerDuty', { pagerDuty: props.pagerDuty, eventBus });
      for (const fn of this.functions.all) fn.addEnvironment(PAGERDUTY_EVENTS_ENV, 'on');
    }

    this.runbookAlarms = new RunbookAlarms(this, 'Alarms', {
      ...props.alarms,
      runbooks,
      optInTag: optIn,
      // Unique per engine in the account and Region, as the other names the engine gives.
      managedBy: uniqueNamePrefix(this),
      origin: this.origin,
      functionSettings: {
        entries,
        environment: { POWERTOOLS_SERVICE_NAME: SERVICE_NAME },
        logRetention: props.logRetention,
        logRemovalPolicy: props.logRemovalPolicy,
        bundleAwsSdk: props.bundleAwsSdk,
      },
    });
    this.fleetAlarms = this.runbookAlarms.fleetAlarms;
    this.alarmKeeper = this.runbookAlarms.keeper;

    if (props.observability ?? true) {
      const { alarm, commandStatus, timer, resync, operator } = this.functions;
      this.observability = new RemediationObservability(this, 'Observability', {
        // Stack name and engine path (`Ec2AutoRemediation-Remediation`): unique however many engines.
        namePrefix: uniqueNamePrefix(this),
        functions: { alarm, 'command-status': commandStatus, timer, resync, operator },
        timerQueue: this.timerQueue,
        deadLetterQueues: [
          {
            name: 'undelivered-events',
            queue: undeliveredEvents,
            source: 'eventbridge-target',
            of: 'the alarm-state and command-status rules',
          },
          {
            name: 'failed-invocations',
            queue: failedInvocations,
            source: 'lambda-on-failure',
            of: 'the alarm and command-status functions',
          },
          { name: 'timers', queue: timers.deadLetterQueue, source: 'sqs-redrive', of: 'the timer queue' },
          ...(this.pagerDuty
            ? [
                {
                  name: 'undelivered-pages',
                  queue: this.pagerDuty.deadLetterQueue,
                  source: 'eventbridge-target' as const,
                  of: 'the PagerDuty API destination',
                },
              ]
            : []),
        ],
        pagerTopic: this.pagerTopic,
      });
    }
  }

  /**
   * Lets an operator (a role, user or group) run `npx remediate` against this engine: pause and resume,
   * status, breaker close, runbooks dry-run, approve-mode and enforce, report and incidents, and the
   * responder commands (approve, deny, retry, run, snooze, take). It reads this engine's incident
   * table, writes only its pauses, breakers and runbook modes, may ask its resync to run now, and may
   * invoke its operator function; nothing else (see lib/operator-grant.ts).
   */
  grantOperate(grantee: iam.IGrantable): iam.Grant {
    return grantOperate(grantee, this.table, this.functions.operator);
  }

  /**
   * Incidents fixed automatically: resolved by a verified remediation (the handlers' EMF metric
   * FixedAutomatically). A sum per 5 minutes unless `props` says otherwise. The handlers publish with
   * the `service` dimension only, so several engines in one account and Region count together.
   */
  metricFixes(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return emf(METRIC.fixedAutomatically, props);
  }

  /** Incidents escalated to a human, one per incident (EMF metric Escalated; see `metricFixes`). */
  metricEscalations(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return emf(METRIC.escalated, props);
  }

  /** Incidents suppressed by their runbook's fleet breaker (EMF metric Suppressed; see `metricFixes`). */
  metricSuppressions(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return emf(METRIC.suppressed, props);
  }

  /** The handlers' configuration contract (functions/handlers/config.ts). */
  private environment(eventBus: events.IEventBus, optIn: OptInTag): Record<string, string> {
    return {
      [ENV.tableName]: this.table.tableName,
      [ENV.timerQueueUrl]: this.timerQueue.queueUrl,
      [ENV.pagerTopicArn]: this.pagerTopic.topicArn,
      ...(this.chatTopic ? { [ENV.chatTopicArn]: this.chatTopic.topicArn } : {}),
      [ENV.eventBusName]: eventBus.eventBusName,
      [ENV.events]: this.eventLevel,
      [ENV.runbookDocuments]: JSON.stringify(this.documentNames),
      [ENV.optInTagKey]: optIn.key,
      [ENV.optInTagValue]: optIn.value,
      [ENV.pageUnmanagedInstances]: String(this.pageUnmanagedInstances),
      [ENV.checkSeconds]: String(this.slowCheckInterval.toSeconds()),
      [ENV.futureToleranceSeconds]: String(this.clockSkewTolerance.toSeconds()),
      [ENV.settleSeconds]: String(this.settleSeconds),
      [ENV.eventAccounts]: Fn.join(',', [...this.origin.accounts]),
      [ENV.eventRegions]: Fn.join(',', [...this.origin.regions]),
      POWERTOOLS_SERVICE_NAME: SERVICE_NAME,
    };
  }

  /**
   * Each function gets only the SSM and CloudWatch actions its handler calls: alarm sends the first
   * attempt; command-status reads the invocation it was told about; timer retries, reconciles with
   * SSM (GetCommandInvocation, ListCommands) and reads the alarm at the verify deadline; operator
   * sends what a person approved or asked for (approve, retry, run) and reads the alarm a snooze ends on.
   */
  private grantSsm(documentArns: readonly string[], optIn: OptInTag): void {
    const { alarm, commandStatus, timer, resync, operator } = this.functions;
    grantSendCommand(alarm, documentArns, optIn);
    grantSendCommand(timer, documentArns, optIn);
    grantSendCommand(resync, documentArns, optIn);
    grantSendCommand(operator, documentArns, optIn);
    grantCommandReads(commandStatus, ['ssm:GetCommandInvocation']);
    grantCommandReads(timer, ['ssm:GetCommandInvocation', 'ssm:ListCommands']);
    grantDescribeAlarms(timer);
    grantDescribeAlarms(resync);
    grantDescribeAlarms(operator);
    // The resync runs in the resync function, and in the timer function when a breaker closes.
    grantReadMuteRules(resync);
    grantReadMuteRules(timer);
    // The resync lists open incidents from their index, and the operator function finds an incident
    // named by a prefix of its id there; no other function reads an index.
    for (const fn of [resync, timer, operator]) {
      iam.Grant.addToPrincipal({
        grantee: fn,
        actions: ['dynamodb:Query'],
        resourceArns: [`${this.table.tableArn}/index/${TABLE.openIndex.name}`],
      });
    }
    // Opt-in and launch time are read (DescribeInstances) before deciding to act, by the functions
    // that can start a command.
    for (const fn of [alarm, timer, resync, operator]) {
      grantDescribeInstances(fn);
    }
    // The operator function's resume and breaker close ask the resync to look again at once.
    grantResyncRequest(operator, this);
  }

  /** What every handler does: read and write incidents, schedule timers, page, announce transitions. */
  private grantShared(fn: Grantee, eventBus: events.IEventBus): void {
    // The table's items, not its index (grantReadWriteData would add `index/*` for every function).
    iam.Grant.addToPrincipal({
      grantee: fn,
      actions: [...TABLE_DATA_ACTIONS],
      resourceArns: [this.table.tableArn],
    });
    this.timerQueue.grantSendMessages(fn);
    grantPublishToTopics(fn, this);
    // Only the events the functions publish, and none when they publish none.
    if (this.eventLevel !== 'none') {
      iam.Grant.addToPrincipal({
        grantee: fn,
        actions: ['events:PutEvents'],
        resourceArns: [eventBus.eventBusArn],
        conditions: { StringEquals: { 'events:source': REMEDIATION_EVENT_SOURCE } },
      });
    }
  }
}

/** A settle time: a whole number of seconds from 0 to an hour. */
function settleTime(seconds: number): number {
  if (
    !Token.isUnresolved(seconds) &&
    !(Number.isInteger(seconds) && seconds >= 0 && seconds <= MAX_SETTLE_SECONDS)
  ) {
    throw new Error(
      `settleSeconds must be a whole number of seconds from 0 to ${MAX_SETTLE_SECONDS}, not ${seconds}`,
    );
  }
  return seconds;
}

/** Accounts to trust besides the stack's own: 12 digits each. */
function trustedAccounts(accounts: readonly string[]): string[] {
  for (const account of accounts) {
    if (!Token.isUnresolved(account) && !/^\d{12}$/.test(account)) {
      throw new Error(
        `trustedEventAccounts: "${account}" is not an AWS account id; give 12 digits, like 123456789012`,
      );
    }
  }
  return [...accounts];
}

/** The runbooks an engine deploys: those given, each found in the folder its bundles import it from. */
function deployedRunbooks(given: readonly Runbook[] | undefined, directory: string): readonly Runbook[] {
  const builtIn = resolve(directory) === resolve(RUNBOOKS_DIRECTORY);
  if (!given && !builtIn) {
    throw new Error(
      `runbooksDirectory ${directory} is given without runbooks: pass them too, loaded from that folder ` +
        '(`runbooks: await loadRunbooks(runbooksDirectory)`), so that the documents and the functions agree.',
    );
  }
  const runbooks = given ?? registry;
  if (runbooks.length === 0) throw new Error('runbooks is empty: an engine needs at least one runbook');
  const seen = new Set<string>();
  for (const runbook of runbooks) {
    if (seen.has(runbook.name)) throw new Error(`runbook "${runbook.name}" is given twice; keep one`);
    seen.add(runbook.name);
  }
  const overlaps = runbookSetProblems(runbooks);
  if (overlaps.length > 0)
    throw new RunbookDefinitionError(
      `the runbooks cannot be deployed together:\n  - ${overlaps.join('\n  - ')}`,
    );
  return runbooks;
}

/** A schedule of at least a minute (EventBridge's finest rate; SQS timers are precise to the second). */
function atLeastAMinute(name: string, interval: Duration): Duration {
  if (!Token.isUnresolved(interval.toSeconds()) && interval.toSeconds() < 60) {
    throw new Error(
      `${name} must be at least one minute, not ${interval.toHumanString()}: set Duration.minutes(1) or more`,
    );
  }
  return interval;
}
