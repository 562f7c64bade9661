import { Aws, Fn } from 'aws-cdk-lib';
import * as chatbot from 'aws-cdk-lib/aws-chatbot';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import type { IncidentRequest } from '../functions/core/operator-request.ts';
import { grantInvokeOperator } from './operator-grant.ts';
import { uniqueNamePrefix } from './physical-names.ts';

/**
 * The chat buttons: custom actions of Amazon Q Developer in chat applications (AWS Chatbot), each
 * invoking the operator function from the chat channel with the channel's role.
 *
 * Sources:
 * - `AWS::Chatbot::CustomAction` (CloudFormation template reference, and cfn-lint's copy of the
 *   resource schema): `ActionName` `[a-zA-Z0-9_-]{1,64}` (the custom action's ARN is
 *   `arn:aws:chatbot::<account>:custom-action/<name>`, with no Region: the name must be unique in the
 *   account), `Definition.CommandText` (variables written `$name`), `Attachments[]` of
 *   `{ NotificationType, ButtonText (1 to 50), Criteria (1 to 5 of { Operator: HAS_VALUE | EQUALS,
 *   VariableName, Value }), Variables (1 to 5 names, each to a path in the notification) }`.
 * - `CustomActionDefinition` in the Amazon Q Developer in chat applications API reference
 *   (https://docs.aws.amazon.com/chatbot/latest/APIReference/API_CustomActionDefinition.html) limits
 *   `CommandText` to 100 characters, where the CloudFormation schema allows 5,000; public templates
 *   deploy commands of over 130 characters. The commands here are kept short, and
 *   {@link CHAT_COMMAND_MAX} is checked at synth.
 * - Public templates of chat buttons on custom notifications: `NotificationType: "Custom"`, variables
 *   read from `event.metadata.additionalContext.<key>`, the command written as the AWS CLI command
 *   without its leading `aws` (`lambda invoke --function-name <name> --payload {...} --region <r>`),
 *   and the channel configuration listing the actions in `CustomizationResourceArns`; the channel's
 *   role (and its guardrail policies) must allow the command.
 * - "Custom notifications using Amazon Q Developer in chat applications"
 *   (https://docs.aws.amazon.com/chatbot/latest/adminguide/custom-notifs.html): `metadata.additionalContext`
 *   is a map of strings, and `enableCustomActions` lets buttons attach. The chat form
 *   (functions/core/page-formats/chat.ts) fills `incidentId`, `proposalId` (proposal pages only),
 *   `runbook` and `pageKind`; fleet notices fill `runbook` and `kind`.
 */

/** What a button carries in the notification, read by the custom actions as variables. */
const CONTEXT = 'event.metadata.additionalContext';

/** The longest command text a button may have once deployed (function name and Region filled in). */
export const CHAT_COMMAND_MAX = 256;

/** One chat button: its label, the request it sends, and the notifications it is shown on. */
export interface ChatButton {
  /** The action's name after the engine's prefix (`<prefix>-<Region>-<suffix>`). */
  readonly suffix: string;
  /** The button's label. */
  readonly text: string;
  /** The operator request, with `$variable` where the notification's value goes. */
  readonly payload: Readonly<Record<string, string>>;
  /** Where it is attached: each entry is one attachment (criteria, all of which must hold). */
  readonly on: readonly ButtonPlacement[];
}

/** Which notifications a button attaches to: the variables it reads and the criteria that must hold. */
export interface ButtonPlacement {
  /** Variable name to the `additionalContext` key it reads. */
  readonly variables: Readonly<Record<string, string>>;
  readonly criteria: readonly { variable: string; equals?: string }[];
}

/** An escalation page of an incident (the chat form's `pageKind`). */
const escalationPage: ButtonPlacement = {
  variables: { incidentId: 'incidentId', pageKind: 'pageKind' },
  criteria: [{ variable: 'incidentId' }, { variable: 'pageKind', equals: 'escalation' }],
};
/** A proposal page: the only page that carries a `proposalId`. */
const proposalPage: ButtonPlacement = {
  variables: { incidentId: 'incidentId', proposalId: 'proposalId' },
  criteria: [{ variable: 'incidentId' }, { variable: 'proposalId' }],
};

const incident = (verb: IncidentRequest['verb'], extra: Record<string, string> = {}) => ({
  verb,
  incident: '$incidentId',
  ...extra,
  channel: 'chat',
});

/**
 * The buttons: on a proposal page, Approve and Deny (naming the proposal, so that a button on an old
 * page never answers a newer proposal); on an escalation page, Retry, Diagnose, Snooze 1 h, Take
 * and Pause runbook; on a fleet breaker's notice (opened, or grown), Close breaker. No button is
 * shown on an OK.
 */
export const CHAT_BUTTONS: readonly ChatButton[] = [
  {
    suffix: 'approve',
    text: 'Approve',
    payload: incident('approve', { proposal: '$proposalId' }),
    on: [proposalPage],
  },
  {
    suffix: 'deny',
    text: 'Deny',
    payload: incident('deny', { proposal: '$proposalId' }),
    on: [proposalPage],
  },
  { suffix: 'retry', text: 'Retry', payload: incident('retry'), on: [escalationPage] },
  {
    suffix: 'diagnose',
    text: 'Diagnose',
    payload: incident('run', { action: 'diagnose' }),
    on: [escalationPage],
  },
  {
    suffix: 'snooze',
    text: 'Snooze 1 h',
    payload: incident('snooze', { duration: '1h' }),
    on: [escalationPage],
  },
  { suffix: 'take', text: 'Take', payload: incident('take'), on: [escalationPage] },
  {
    suffix: 'pause',
    text: 'Pause runbook',
    payload: { verb: 'pause', runbook: '$runbook', reason: 'paused-from-chat', channel: 'chat' },
    on: [
      {
        variables: { runbook: 'runbook', pageKind: 'pageKind' },
        criteria: [{ variable: 'runbook' }, { variable: 'pageKind', equals: 'escalation' }],
      },
    ],
  },
  {
    suffix: 'breaker-close',
    text: 'Close breaker',
    payload: { verb: 'breaker-close', runbook: '$runbook', reason: 'closed-from-chat', channel: 'chat' },
    on: ['breaker-opened', 'breaker-grew'].map((kind) => ({
      variables: { runbook: 'runbook', kind: 'kind' },
      criteria: [{ variable: 'runbook' }, { variable: 'kind', equals: kind }],
    })),
  },
];

/** A channel configuration the buttons can be listed on. */
export type ChatChannel =
  | chatbot.SlackChannelConfiguration
  | chatbot.CfnSlackChannelConfiguration
  | chatbot.CfnMicrosoftTeamsChannelConfiguration;

/** Options of the chat buttons (the engine's `chatActions`). */
export interface ChatActionsOptions {
  /**
   * A Slack or Microsoft Teams channel configuration in this app: the buttons are added to its
   * `CustomizationResourceArns`, and its role is granted `lambda:InvokeFunction` on the operator
   * function. A channel configured elsewhere lists them itself (`aws chatbot
   * associate-to-configuration --chat-configuration <channel ARN> --resource <action ARN>`).
   * @default - the buttons are created, and listed on no channel
   */
  readonly channel?: ChatChannel;
  /**
   * The role the channel runs commands with, granted `lambda:InvokeFunction` on the operator
   * function (with a channel that requires user roles, give each user's role to `grantOperate`
   * instead). The channel's guardrail policies must allow `lambda:InvokeFunction` too.
   * @default - the role of `channel`, when it is given; else no role is granted here
   */
  readonly role?: iam.IRole;
}

/** Properties of the chat buttons. */
export interface ChatActionsProps extends ChatActionsOptions {
  /** The function the buttons invoke. */
  readonly operatorFunction: lambda.IFunction;
}

/** The chat buttons of one engine: one custom action per button, invoking the operator function. */
export class ChatActions extends Construct {
  /** The custom actions, by button suffix. */
  readonly actions: Readonly<Record<string, chatbot.CfnCustomAction>>;
  /** Their ARNs, to list on a channel configured elsewhere. */
  readonly actionArns: readonly string[];

  constructor(scope: Construct, id: string, props: ChatActionsProps) {
    super(scope, id);
    // Custom actions are named in the account, across Regions: the engine's unique prefix (of the
    // scope, the engine: `Ec2AutoRemediation-Remediation`), then the Region, then the button; at most
    // 64 characters (34 + 1 + 14 + 1 + 13).
    const prefix = uniqueNamePrefix(scope, 34);
    const actions: Record<string, chatbot.CfnCustomAction> = {};
    for (const button of CHAT_BUTTONS) {
      actions[button.suffix] = new chatbot.CfnCustomAction(this, pascal(button.suffix), {
        actionName: Fn.join('-', [prefix, Aws.REGION, button.suffix]),
        definition: { commandText: chatCommand(props.operatorFunction.functionName, button.payload) },
        attachments: button.on.map((placement) => ({
          notificationType: 'Custom',
          buttonText: button.text,
          variables: Object.fromEntries(
            Object.entries(placement.variables).map(([name, key]) => [name, `${CONTEXT}.${key}`]),
          ),
          criteria: placement.criteria.map((c) =>
            c.equals === undefined
              ? { operator: 'HAS_VALUE', variableName: c.variable }
              : { operator: 'EQUALS', variableName: c.variable, value: c.equals },
          ),
        })),
      });
    }
    this.actions = actions;
    this.actionArns = Object.values(actions).map((a) => a.attrCustomActionArn);

    const role = props.role ?? (props.channel ? channelRole(this, props.channel) : undefined);
    if (role) grantInvokeOperator(role, props.operatorFunction);
    if (props.channel) listOn(props.channel, this.actionArns);
  }
}

/**
 * The command a button runs: `lambda invoke` of the operator function with the request as its JSON
 * payload (no spaces: each word of a chat command is one argument), in the stack's Region.
 */
export function chatCommand(
  functionName: string,
  payload: Readonly<Record<string, string>>,
  region: string = Aws.REGION,
): string {
  for (const value of Object.values(payload)) {
    if (/\s/.test(value))
      throw new Error(`a chat button's payload holds no spaces: ${JSON.stringify(value)}`);
  }
  const render = (name: string, at: string) =>
    `lambda invoke --function-name ${name} --payload ${JSON.stringify(payload)} --region ${at}`;
  // The longest it can be once deployed: a function name of 64 characters, a Region of 14.
  const longest = render('f'.repeat(64), 'r'.repeat(14)).length;
  if (longest > CHAT_COMMAND_MAX) {
    throw new Error(
      `a chat command may reach ${longest} characters, above ${CHAT_COMMAND_MAX}: ${render('<function>', '<region>')}`,
    );
  }
  return render(functionName, region);
}

/** The role a channel configuration of this app runs commands with. */
function channelRole(scope: Construct, channel: ChatChannel): iam.IRole {
  if (channel instanceof chatbot.SlackChannelConfiguration) {
    if (!channel.role) throw new Error('the chat channel has no role: give chatActions.role');
    return channel.role;
  }
  return iam.Role.fromRoleArn(scope, 'ChannelRole', channel.iamRoleArn);
}

/** Adds the actions to the channel configuration's `CustomizationResourceArns`, keeping what it lists. */
function listOn(channel: ChatChannel, arns: readonly string[]): void {
  const cfn =
    channel instanceof chatbot.SlackChannelConfiguration
      ? (channel.node.defaultChild as chatbot.CfnSlackChannelConfiguration)
      : channel;
  cfn.customizationResourceArns = [...(cfn.customizationResourceArns ?? []), ...arns];
}

function pascal(suffix: string): string {
  return suffix
    .split('-')
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join('');
}
