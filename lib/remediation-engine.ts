import { Duration, type RemovalPolicy, Token } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambdaEventSources from 'aws-cdk-lib/aws-lambda-event-sources';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type * as ssm from 'aws-cdk-lib/aws-ssm';
import { Construct } from 'constructs';
import { TABLE } from '../functions/adapters/aws/table-schema.ts';
import { EVENT_LEVELS, type EventLevel } from '../functions/core/effects.ts';
import type { Runbook } from '../functions/core/runbook.ts';
import { ENV } from '../functions/handlers/config.ts';
import { runbooks as registry } from '../runbooks/index.ts';
import { RemediationRules } from './event-rules.ts';
import { IncidentTable } from './incident-table.ts';
import { acknowledgeWildcard } from './nag-acknowledgements.ts';
import { RemediationObservability } from './observability.ts';
import { PagerTopic, subscribeEmails } from './pager-topic.ts';
import { RUNBOOKS_DIRECTORY } from './project-paths.ts';
import { DeadLetterQueue, TimerQueue } from './queues.ts';
import { RemediationFunctions, TIMER_TIMEOUT } from './remediation-functions.ts';
import { RunbookDocuments } from './runbook-documents.ts';
import {
  type Grantee,
  grantCommandReads,
  grantDescribeAlarms,
  grantDescribeInstances,
  grantDescribeTags,
  grantReadMuteRules,
  grantSendCommand,
  type OptInTag,
  validateOptInTag,
} from './ssm-permissions.ts';

/** What every handler does to the incident table's items (the actions of the table's read-write grant). */
const TABLE_DATA_ACTIONS = [
  'dynamodb:BatchGetItem',
  'dynamodb:GetRecords',
  'dynamodb:GetShardIterator',
  'dynamodb:Query',
  'dynamodb:GetItem',
  'dynamodb:Scan',
  'dynamodb:ConditionCheckItem',
  'dynamodb:BatchWriteItem',
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'dynamodb:DescribeTable',
];
/** Options of the remediation engine. */
export interface RemediationEngineProps {
  /**
   * The runbooks to deploy, one SSM document each.
   * @default - every runbook in the registry (runbooks/index.ts)
   */
  readonly runbooks?: readonly Runbook[];
  /**
   * The folder holding `<runbook name>/<script>` for each runbook.
   * @default - the repository's runbooks/ folder
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
   * Your own topic for pages. If it is encrypted with a customer managed key, pass a topic that knows
   * its key (`sns.Topic.fromTopicAttributes({ topicArn, keyArn })`) so the functions may use it.
   * @default - a new topic encrypted with a new customer managed KMS key
   */
  readonly pagerTopic?: sns.ITopic;
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
   * How long function logs are kept.
   * @default logs.RetentionDays.THREE_MONTHS
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * A dashboard, and alarms on the remediator itself (function errors, dead-letter queues, late
   * timers, escalation rate) that page through the pager topic.
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
   * How far ahead of the functions' clock an alarm's state time may lie before its event is rejected
   * (a state stamped ahead would outrank every real state of its alarm until then).
   * @default Duration.minutes(5)
   */
  readonly clockSkewTolerance?: Duration;
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
  /** The chat topic, when one was given. */
  readonly chatTopic: sns.ITopic | undefined;
  /** Backoff, verify-deadline and reconcile timers. */
  readonly timerQueue: sqs.Queue;
  /** The three handlers. */
  readonly functions: RemediationFunctions;
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

  constructor(scope: Construct, id: string, props: RemediationEngineProps = {}) {
    super(scope, id);
    const optIn = validateOptInTag({
      key: props.optInTagKey ?? 'AutoRemediation',
      value: props.optInTagValue ?? 'enabled',
    });
    const eventBus = props.eventBus ?? events.EventBus.fromEventBusName(this, 'DefaultBus', 'default');
    this.resyncInterval = atLeastAMinute('resyncInterval', props.resyncInterval ?? Duration.minutes(5));
    this.slowCheckInterval = atLeastAMinute(
      'slowCheckInterval',
      props.slowCheckInterval ?? Duration.hours(1),
    );
    this.clockSkewTolerance = props.clockSkewTolerance ?? Duration.minutes(5);
    this.eventLevel = props.events ?? 'lifecycle';
    if (!EVENT_LEVELS.includes(this.eventLevel)) {
      throw new Error(
        `events must be one of ${EVENT_LEVELS.join(', ')}, not ${JSON.stringify(props.events)}`,
      );
    }

    const runbookDocuments = new RunbookDocuments(this, 'Runbooks', {
      runbooks: props.runbooks ?? registry,
      runbooksDirectory: props.runbooksDirectory ?? RUNBOOKS_DIRECTORY,
      documentNamePrefix: props.documentNamePrefix,
    });
    this.documents = runbookDocuments.documents;
    this.documentNames = runbookDocuments.documentNames;

    this.table = new IncidentTable(this, 'Incidents', { removalPolicy: props.tableRemovalPolicy });
    this.pagerTopic = props.pagerTopic ?? new PagerTopic(this, 'Pager').topic;
    this.chatTopic = props.chatTopic;
    subscribeEmails(this.pagerTopic, props.pagerEmails ?? []);
    const timers = new TimerQueue(this, 'Timers', { consumerTimeout: TIMER_TIMEOUT });
    this.timerQueue = timers.queue;
    const failedInvocations = new DeadLetterQueue(this, 'FailedInvocations');
    const undeliveredEvents = new DeadLetterQueue(this, 'UndeliveredEvents');

    this.functions = new RemediationFunctions(this, 'Functions', {
      environment: this.environment(eventBus, optIn),
      invocationFailureQueue: failedInvocations.deadLetterQueueOf(
        'the alarm and command-status functions (Lambda on-failure destination after async retries)',
      ),
      logRetention: props.logRetention,
      bundleAwsSdk: props.bundleAwsSdk,
    });
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
      documentNames: Object.values(this.documentNames),
      deadLetterQueue: undeliveredEvents.deadLetterQueueOf("the EventBridge rules' Lambda targets"),
    });

    if (props.observability ?? true) {
      const { alarm, commandStatus, timer, resync } = this.functions;
      this.observability = new RemediationObservability(this, 'Observability', {
        functions: { alarm, 'command-status': commandStatus, timer, resync },
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
        ],
        pagerTopic: this.pagerTopic,
      });
    }
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
      [ENV.checkSeconds]: String(this.slowCheckInterval.toSeconds()),
      [ENV.futureToleranceSeconds]: String(this.clockSkewTolerance.toSeconds()),
      POWERTOOLS_SERVICE_NAME: SERVICE_NAME,
    };
  }

  /**
   * Each function gets only the SSM and CloudWatch actions its handler calls: alarm sends the first
   * attempt; command-status reads the invocation it was told about; timer retries, reconciles with
   * SSM (GetCommandInvocation, ListCommands) and reads the alarm at the verify deadline.
   */
  private grantSsm(documentArns: readonly string[], optIn: OptInTag): void {
    const { alarm, commandStatus, timer, resync } = this.functions;
    grantSendCommand(alarm, documentArns, optIn);
    grantSendCommand(timer, documentArns, optIn);
    grantSendCommand(resync, documentArns, optIn);
    grantCommandReads(commandStatus, ['ssm:GetCommandInvocation']);
    grantCommandReads(timer, ['ssm:GetCommandInvocation', 'ssm:ListCommands']);
    grantDescribeAlarms(timer);
    grantDescribeAlarms(resync);
    // The resync runs in the resync function, and in the timer function when a breaker closes.
    grantReadMuteRules(resync);
    grantReadMuteRules(timer);
    // The resync lists open incidents from their index; no other function reads an index.
    for (const fn of [resync, timer]) {
      iam.Grant.addToPrincipal({
        grantee: fn,
        actions: ['dynamodb:Query'],
        resourceArns: [`${this.table.tableArn}/index/${TABLE.openIndex.name}`],
      });
    }
    // Opt-in is checked before deciding to act, by the functions that can start a command.
    for (const fn of [alarm, timer, resync]) {
      grantDescribeTags(fn);
      grantDescribeInstances(fn);
    }
  }

  /** What every handler does: read and write incidents, schedule timers, page, announce transitions. */
  private grantShared(fn: Grantee, eventBus: events.IEventBus): void {
    // The table's items, not its index (grantReadWriteData would add `index/*` for every function).
    iam.Grant.addToPrincipal({
      grantee: fn,
      actions: TABLE_DATA_ACTIONS,
      resourceArns: [this.table.tableArn],
    });
    this.timerQueue.grantSendMessages(fn);
    this.pagerTopic.grantPublish(fn);
    this.chatTopic?.grantPublish(fn);
    eventBus.grantPutEventsTo(fn);
    if (this.pagerTopic.masterKey) {
      acknowledgeWildcard(fn, 'Action::kms:GenerateDataKey*', [
        'SNS publishing to a KMS-encrypted topic needs kms:GenerateDataKey* (grantPublish); it is limited to the',
        "pager topic's own key.",
      ]);
    }
  }
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
