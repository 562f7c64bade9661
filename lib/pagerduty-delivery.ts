import { Duration, SecretValue, Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { REMEDIATION_EVENT_SOURCE } from '../functions/core/effects.ts';
import { PAGE_DETAIL_TYPE } from '../functions/core/page-formats/pagerduty-events.ts';
import { DeadLetterQueue } from './queues.ts';

/**
 * Where PagerDuty Events API v2 delivery gets its routing key (the integration key of an "Events API
 * V2" integration on a PagerDuty service):
 * - `routingKey`: a Secrets Manager secret (the secret, or its name or complete ARN) holding the key,
 *   as the whole secret string or as the JSON field `field`. The engine creates an EventBridge
 *   connection that adds it to each request's body; the template holds only a
 *   `{{resolve:secretsmanager:...}}` reference and EventBridge keeps the value in the connection's
 *   own secret.
 * - `connectionArn`: an EventBridge connection made outside this stack, whose invocation body
 *   parameters carry `routing_key` (for teams that manage the key elsewhere).
 */
export type PagerDutyProps =
  | {
      readonly routingKey: {
        readonly secret: secretsmanager.ISecret | string;
        /** The JSON field of the secret that holds the key; the whole secret string when unset. */
        readonly field?: string;
      };
    }
  | {
      readonly connectionArn: string;
      /** The connection's secret ARN, if you want it known to the construct; delivery does not need it. */
      readonly connectionSecretArn?: string;
    };

/** PagerDuty's Events API v2 endpoint. */
export const PAGERDUTY_ENQUEUE_URL = 'https://events.pagerduty.com/v2/enqueue';

/**
 * Ours: PagerDuty throttles per service and asks for retries after a 429; pages are few (one per
 * incident and state), so ten a second covers a fleet storm without tripping its throttle.
 */
const RATE_LIMIT_PER_SECOND = 10;

export interface PagerDutyDeliveryProps {
  readonly pagerDuty: PagerDutyProps;
  /** The bus the engine's functions publish remediation events to. */
  readonly eventBus: events.IEventBus;
}

/**
 * Delivers the `Remediation Page` events the functions publish (functions/adapters/pager-events.ts)
 * to PagerDuty's Events API v2 through an EventBridge API destination.
 *
 * The request body is the event's `detail.pagerDuty` (RuleTargetInput.fromEventPath), to which the
 * connection adds `routing_key`. Sources: Amazon EventBridge API reference, "ConnectionBodyParameter"
 * (https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_ConnectionBodyParameter.html:
 * "Additional parameter included in the body", up to 100, `IsValueSecret`; "an event payload cannot
 * exceed 64 KB") and "HttpParameters"
 * (https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_HttpParameters.html: a target's
 * parameters "are merged with any InvocationParameters specified on the Connection, with any values
 * from the Connection taking precedence"). A connection needs an authorization; PagerDuty's Events
 * API authenticates by the body's routing key and ignores headers, so the API key authorization is a
 * harmless client header, not a credential.
 */
export class PagerDutyDelivery extends Construct {
  readonly connection: events.IConnection;
  readonly destination: events.ApiDestination;
  readonly rule: events.Rule;
  /** Pages EventBridge could not deliver to PagerDuty after its retries. */
  readonly deadLetterQueue: DeadLetterQueue;

  constructor(scope: Construct, id: string, props: PagerDutyDeliveryProps) {
    super(scope, id);
    const option = props.pagerDuty;
    this.connection =
      'connectionArn' in option
        ? events.Connection.fromEventBusArn(
            this,
            'Connection',
            option.connectionArn,
            option.connectionSecretArn ?? '',
          )
        : new events.Connection(this, 'Connection', {
            description: 'PagerDuty Events API v2: routing_key added to the body from Secrets Manager',
            authorization: events.Authorization.apiKey(
              'X-Remediation-Client',
              SecretValue.unsafePlainText('ec2-auto-remediation'),
            ),
            bodyParameters: {
              routing_key: events.HttpParameter.fromSecret(routingKeyValue(this, option.routingKey)),
            },
          });
    this.destination = new events.ApiDestination(this, 'Destination', {
      description: 'PagerDuty Events API v2 (enqueue)',
      connection: this.connection,
      endpoint: PAGERDUTY_ENQUEUE_URL,
      httpMethod: events.HttpMethod.POST,
      rateLimitPerSecond: RATE_LIMIT_PER_SECOND,
    });
    this.deadLetterQueue = new DeadLetterQueue(this, 'Undelivered').deadLetterQueueOf(
      'the PagerDuty API destination target',
    );
    this.rule = new events.Rule(this, 'Pages', {
      description: 'Pages of EC2 auto-remediation, to PagerDuty Events API v2',
      eventBus: props.eventBus,
      eventPattern: {
        source: [REMEDIATION_EVENT_SOURCE],
        detailType: [PAGE_DETAIL_TYPE],
        account: [Stack.of(this).account],
      },
      targets: [
        new targets.ApiDestination(this.destination, {
          event: events.RuleTargetInput.fromEventPath('$.detail.pagerDuty'),
          // PagerDuty asks for retries on 429 and 5xx; a page older than an hour is stale (its OK
          // may have followed), so it waits in the dead-letter queue for a human instead.
          retryAttempts: 50,
          maxEventAge: Duration.hours(1),
          deadLetterQueue: this.deadLetterQueue,
        }),
      ],
    });
  }
}

function routingKeyValue(
  scope: Construct,
  key: { readonly secret: secretsmanager.ISecret | string; readonly field?: string },
): SecretValue {
  const secret =
    typeof key.secret !== 'string'
      ? key.secret
      : key.secret.startsWith('arn:')
        ? secretsmanager.Secret.fromSecretCompleteArn(scope, 'RoutingKey', key.secret)
        : secretsmanager.Secret.fromSecretNameV2(scope, 'RoutingKey', key.secret);
  return key.field ? secret.secretValueFromJson(key.field) : secret.secretValue;
}
