import { Buffer } from 'node:buffer';
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import type { PageEffect } from '../../functions/core/effects.ts';
import type { BreakerRecord } from '../../functions/core/fleet.ts';
import {
  breakerClosedNotice,
  breakerGrewNotice,
  breakerOpenedNotice,
  dryRunNotice,
} from '../../functions/core/fleet-messages.ts';
import type { Attempt, Incident } from '../../functions/core/incident.ts';
import { ACTION_CONTEXT_KEYS, ACTION_VALUE } from '../../functions/core/page-formats/chat.ts';
import { ALARM_DESCRIPTION_CHARS } from '../../functions/core/page-formats/limits.ts';
import {
  noteSteps,
  PAGE_NEXT_STEPS,
  remediateCommand,
  shellWord,
} from '../../functions/core/page-formats/next-steps.ts';
import { linesThatMatter } from '../../functions/core/page-formats/page-parts.ts';
import {
  CHAT_LIMITS,
  type CloudWatchAlarmNotification,
  chatForm,
  chatSnsMessage,
  humanText,
  links,
  MESSAGE_BUDGET_BYTES,
  noticeForms,
  pagerDutyForm,
  SNS_MAX_MESSAGE_BYTES,
  snsMessage,
} from '../../functions/core/page-formats.ts';
import { pageMessage } from '../../functions/core/page-message.ts';
import { defineRunbook, type Runbook } from '../../functions/core/runbook.ts';
import serviceDown from '../../runbooks/service-down/runbook.ts';
import { alarmInput, INSTANCE, Scenario, T0, testRunbook } from '../support/fixtures.ts';

const INCIDENT_ID = '3fbfb987fa04491e.i-0123456789abcdef0.20261121T030000000Z';
const ALARM_ARN = 'arn:aws:cloudwatch:us-east-1:123456789012:alarm:disk-full-web-1';
const CONSOLE = 'https://us-east-1.console.aws.amazon.com';

/** A scenario whose attempts all failed with the given output, escalated after the last. */
function failing(stdout: string, stderr: string, runbook: Runbook = testRunbook): Scenario {
  const s = new Scenario(runbook);
  s.apply(alarmInput('ALARM', T0));
  for (let n = 1; n <= runbook.maxAttempts; n++) {
    s.apply({ kind: 'command-sent', attempt: n, commandId: `cmd-${n}` });
    s.after(10).apply({
      kind: 'command-finished',
      commandId: `cmd-${n}`,
      result: { status: 'Failed', responseCode: 1, stdout, stderr },
    });
    if (n < runbook.maxAttempts) s.fireTimer();
  }
  return s;
}

/** The incident with every attempt's output replaced, as SSM could return it before any excerpt. */
function withRawOutput(incident: Incident, stdout: string, stderr: string): Incident {
  return {
    ...incident,
    attempts: incident.attempts.map((a) => ({
      ...a,
      result: { status: 'Failed', responseCode: 1, stdout, stderr },
    })),
  };
}

function escalation(incident: Incident): PageEffect {
  return { kind: 'page', page: 'escalation', incident };
}

const OUT = 'disk-full: / is 97% used before cleanup\nrotated logs: removed 0 file(s)';
const ERR = 'rm: cannot remove /var/log/app.log: Device or resource busy';

/** Escalation after 3 failed attempts, and the resolution 10 minutes later. */
function escalatedAndResolved(): { escalation: PageEffect; resolution: PageEffect } {
  const s = failing(OUT, ERR);
  const escalated = s.incident as Incident;
  s.apply({ kind: 'page-sent', page: 'escalation', messageId: 'm-1' });
  s.after(600).apply(alarmInput('OK', s.now));
  return {
    escalation: escalation(escalated),
    resolution: { kind: 'page', page: 'resolution', incident: s.incident as Incident },
  };
}

/** Escalation without any attempt: the kill switch refused. */
function refusedByKillSwitch(): PageEffect {
  const s = new Scenario();
  s.safety = {
    paused: {
      scope: 'all runbooks',
      reason: 'database failover in progress',
      by: 'alice',
      since: T0 - 60_000,
    },
  };
  s.apply(alarmInput('ALARM', T0));
  return escalation(s.incident as Incident);
}

/** A runbook in approve mode with one parameter and notes that name it and the instance. */
const approving = defineRunbook({
  ...testRunbook,
  mode: 'approve',
  parameters: { service: { description: 'The unit.', allowedPattern: '^[a-z]{1,20}$', default: 'app' } },
  notes: 'Check <service> with journalctl -u <service> on <instance>.',
});

const breakerRunbook = defineRunbook({
  ...testRunbook,
  breaker: { maxInstances: 5, maxPercent: 50, windowSeconds: 600, quietSeconds: 1800 },
});
const breakerRecord: BreakerRecord = {
  state: 'open',
  openedAt: T0,
  reason: '6 instances alarmed within 10 min (more than 5)',
  instances: Array.from({ length: 6 }, (_, i) => `i-${String(i).padStart(17, '0')}`),
  lastAlarmAt: T0,
  page: { status: 'due' },
};
const ORIGIN = { account: '123456789012', region: 'us-east-1' };

function parseSns(message: string): Record<string, string> {
  return JSON.parse(message) as Record<string, string>;
}

/** SNS's subject rules and the pager convention. */
function expectSubjectRules(subject: string): void {
  expect(subject.length).toBeLessThanOrEqual(99);
  expect(subject).toMatch(/^(ALARM|OK): [\x20-\x7e]+$/);
  expect(subject).not.toMatch(/[\r\n]/);
}

describe('console links', () => {
  it('links the alarm, the instance and each command, in the console of the alarm region', () => {
    const { escalation: effect } = escalatedAndResolved();

    expect(links(effect)).toEqual({
      alarm: `${CONSOLE}/cloudwatch/home?region=us-east-1#alarmsV2:alarm/disk-full-web-1`,
      instance: `${CONSOLE}/ec2/home?region=us-east-1#InstanceDetails:instanceId=${INSTANCE}`,
      commands: [1, 2, 3].map((n) => ({
        attempt: n,
        commandId: `cmd-${n}`,
        url: `${CONSOLE}/systems-manager/run-command/cmd-${n}/${INSTANCE}?region=us-east-1`,
      })),
    });
  });

  it('URL-encodes the alarm name, slashes, spaces, parentheses and non-ASCII included', () => {
    const { escalation: effect } = escalatedAndResolved();
    const incident = {
      ...effect.incident,
      alarm: { ...effect.incident.alarm, name: "disk full/web (1)#x?é'*", region: 'eu-west-1' },
    };

    const l = links({ ...effect, incident });

    expect(l.alarm).toBe(
      'https://eu-west-1.console.aws.amazon.com/cloudwatch/home?region=eu-west-1#alarmsV2:alarm/disk%20full%2Fweb%20%281%29%23x%3F%C3%A9%27%2A',
    );
    expect(l.instance).toBe(
      `https://eu-west-1.console.aws.amazon.com/ec2/home?region=eu-west-1#InstanceDetails:instanceId=${INSTANCE}`,
    );
  });

  it('links no instance and the bare command when the alarm names no instance', () => {
    const { escalation: effect } = escalatedAndResolved();
    const { instanceId: _dropped, ...rest } = effect.incident;

    const l = links({ ...effect, incident: rest });

    expect(l.instance).toBeUndefined();
    expect(l.commands[0]?.url).toBe(`${CONSOLE}/systems-manager/run-command/cmd-1?region=us-east-1`);
  });
});

describe('the diagnose step', () => {
  it('is linked like the attempts, and its output counts in the size guarantee', () => {
    const incident = failing(OUT, ERR).incident as Incident;
    const [first, ...rest] = incident.attempts;
    const flood = '€'.repeat(200_000);
    const diagnosis = {
      requestedAt: T0,
      status: 'finished',
      commandId: 'cmd-d',
      result: { status: 'Success', responseCode: 0, stdout: flood, stderr: flood },
    };
    const effect = escalation({ ...incident, attempts: [{ ...first, diagnosis }, ...rest] } as Incident);
    const url = `${CONSOLE}/systems-manager/run-command/cmd-d/${INSTANCE}?region=us-east-1`;

    expect(links(effect).diagnosis).toEqual({ commandId: 'cmd-d', url });
    expect(humanText(effect, testRunbook)).toContain(`  Diagnose cmd-d: ${url}`);
    expect(chatForm(effect, testRunbook).content.description).toContain(`• Diagnose in Run Command: ${url}`);
    expect(snsMessage(effect, testRunbook).size).toBeLessThanOrEqual(MESSAGE_BUDGET_BYTES);
  });
});

describe('humanText', () => {
  it("is today's page with the console links after it", () => {
    const { escalation: effect } = escalatedAndResolved();

    const text = humanText(effect, testRunbook);

    expect(text.startsWith(pageMessage(effect, testRunbook).body)).toBe(true);
    expect(text).toContain(
      [
        '',
        'Links:',
        `  Alarm:    ${CONSOLE}/cloudwatch/home?region=us-east-1#alarmsV2:alarm/disk-full-web-1`,
        `  Instance: ${CONSOLE}/ec2/home?region=us-east-1#InstanceDetails:instanceId=${INSTANCE}`,
        `  #1 cmd-1: ${CONSOLE}/systems-manager/run-command/cmd-1/${INSTANCE}?region=us-east-1`,
        `  #2 cmd-2: ${CONSOLE}/systems-manager/run-command/cmd-2/${INSTANCE}?region=us-east-1`,
        `  #3 cmd-3: ${CONSOLE}/systems-manager/run-command/cmd-3/${INSTANCE}?region=us-east-1`,
      ].join('\n'),
    );
    expect(text).toContain('       rotated logs: removed 0 file(s)');
  });
});

describe('pagerDutyForm (the CloudWatch alarm notification)', () => {
  it('opens an incident: the real alarm going OK -> ALARM, with the short story as the reason', () => {
    const { escalation: effect } = escalatedAndResolved();

    const form = pagerDutyForm(effect);

    expect(form).toEqual({
      AlarmName: 'disk-full-web-1',
      AlarmDescription: `Paged by EC2 auto-remediation: runbook disk-full on ${INSTANCE}, incident ${INCIDENT_ID}. The alarm went to automation first; this page says why a human is needed.`,
      AWSAccountId: '123456789012',
      AlarmConfigurationUpdatedTimestamp: '2026-11-21T03:00:00.000+0000',
      NewStateValue: 'ALARM',
      NewStateReason:
        'Paged: all 3 attempt(s) of runbook disk-full failed; last: the command ended Failed (exit 1). ' +
        'Attempts: #1 Failed, exit 1; #2 Failed, exit 1; #3 Failed, exit 1. ' +
        'Alarm: Threshold Crossed: 1 out of the last 1 datapoints was greater than the threshold (90.0). ' +
        `Incident ${INCIDENT_ID}.`,
      StateChangeTime: '2026-11-21T03:02:00.000+0000',
      Region: 'US East (N. Virginia)',
      AlarmArn: ALARM_ARN,
      OldStateValue: 'OK',
      OKActions: [],
      AlarmActions: [],
      InsufficientDataActions: [],
      Trigger: {
        MetricName: 'Escalated',
        Namespace: 'EC2AutoRemediation',
        StatisticType: 'Statistic',
        Statistic: 'MAXIMUM',
        Unit: null,
        Dimensions: [
          { value: INSTANCE, name: 'InstanceId' },
          { value: 'disk-full', name: 'Runbook' },
        ],
        Period: 60,
        EvaluationPeriods: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        Threshold: 1,
        TreatMissingData: 'missing',
        EvaluateLowSampleCountPercentile: '',
      },
    });
  });

  it('resolves the same incident: same alarm ALARM -> OK, every identifying field identical', () => {
    const { escalation: e, resolution: r } = escalatedAndResolved();

    const open = pagerDutyForm(e);
    const close = pagerDutyForm(r);

    expect(close.NewStateValue).toBe('OK');
    expect(close.OldStateValue).toBe('ALARM');
    expect(close.StateChangeTime).toBe('2026-11-21T03:12:00.000+0000');
    expect(close.NewStateReason).toBe(
      `The alarm is OK again (without a successful remediation) at 2026-11-21T03:12:00Z. Automation made 3 attempts; incident ${INCIDENT_ID} is closed.`,
    );
    const identity = (f: CloudWatchAlarmNotification) => {
      const { NewStateValue, OldStateValue, NewStateReason, StateChangeTime, ...rest } = f;
      return rest;
    };
    expect(identity(close)).toEqual(identity(open));
    expect(close.AlarmName).toBe(open.AlarmName);
    expect(close.AlarmArn).toBe(open.AlarmArn);
  });

  it('tells the gate that refused when nothing was run', () => {
    const form = pagerDutyForm(refusedByKillSwitch());

    expect(form.NewStateValue).toBe('ALARM');
    expect(form.NewStateReason).toContain('Nothing was run.');
    expect(form.NewStateReason).toContain(
      'Refused: kill-switch gate: automation paused for all runbooks by alice since 2026-11-21T02:59:00.000Z: database failover in progress.',
    );
  });

  it('keeps the reason short and on one line whatever the alarm said', () => {
    const { escalation: effect } = escalatedAndResolved();
    const incident = {
      ...effect.incident,
      alarm: { ...effect.incident.alarm, reason: `line one\nline two ${'€'.repeat(5_000)}` },
    };

    const form = pagerDutyForm({ ...effect, incident });

    expect(form.NewStateReason.length).toBeLessThanOrEqual(1_000);
    expect(form.NewStateReason).not.toMatch(/\n/);
    expect(form.NewStateReason.endsWith('...')).toBe(true);
  });
});

describe('chatForm (the custom notification)', () => {
  const TABLE = 'Ec2Rem-Incidents';
  const cmd = (verb: string, ...args: string[]) =>
    ['npx remediate', verb, ...args, '--table', TABLE].join(' ');

  it('carries the required fields, the title, the notes then the commands as next steps, and the incident as the thread', () => {
    const { escalation: effect } = escalatedAndResolved();

    const form = chatForm(effect, testRunbook, { tableName: TABLE });

    expect(form.version).toBe('1.0');
    expect(form.source).toBe('custom');
    expect(form.id).toBe(`${INCIDENT_ID}:escalation`);
    expect(form.content.textType).toBe('client-markdown');
    expect(form.content.title).toBe(
      'ALARM: disk-full-web-1 on i-0123456789abcdef0 - automation gave up after 3 attempts',
    );
    expect(form.content.nextSteps).toEqual([
      'Look for the writer with du.',
      `Retry now, through the gates: \`${cmd('retry', INCIDENT_ID)}\``,
      `Snooze automation for an hour (it pages again if still in ALARM): \`${cmd('snooze', INCIDENT_ID, '1h')}\``,
      `Take it over (automation stands down; the OK still closes it): \`${cmd('take', INCIDENT_ID)}\``,
      `Incident ${INCIDENT_ID} stays open until the alarm returns to OK; the OK lands in this thread.`,
    ]);
    expect(form.content.keywords).toEqual(['ALARM', 'disk-full', INSTANCE, 'us-east-1']);
    expect(form.metadata).toEqual({
      threadId: INCIDENT_ID,
      summary: 'ALARM: disk-full-web-1 on i-0123456789abcdef0 - automation gave up after 3 attempts',
      eventType: 'RemediationEscalation',
      relatedResources: [INSTANCE, ALARM_ARN],
      additionalContext: {
        incidentId: INCIDENT_ID,
        runbook: 'disk-full',
        instanceId: INSTANCE,
        tableName: TABLE,
        pageKind: 'escalation',
        alarmName: 'disk-full-web-1',
        account: '123456789012',
        region: 'us-east-1',
      },
      enableCustomActions: true,
    });
  });

  it('names the table only when it knows it, and the document to run by hand only when it knows it', () => {
    const { escalation: effect } = escalatedAndResolved();

    const bare = chatForm(effect, testRunbook);
    const full = chatForm(effect, testRunbook, {
      tableName: TABLE,
      documentName: 'Remediation-disk-full',
      documentVersion: '7',
    });

    expect(bare.content.nextSteps).toContain(
      `Retry now, through the gates: \`npx remediate retry ${INCIDENT_ID}\``,
    );
    expect(bare.content.nextSteps.join('\n')).not.toContain('aws ssm send-command');
    expect(bare.metadata.additionalContext).not.toHaveProperty('tableName');
    expect(full.content.nextSteps).toContain(
      `Or run remediate by hand with the runbook's document: \`aws ssm send-command --document-name Remediation-disk-full --document-version 7 --instance-ids ${INSTANCE} --parameters '{"action":["remediate"]}' --region us-east-1\``,
    );
  });

  it('describes what, where, since, attempts with the lines that matter, gates and links, in that order', () => {
    const { escalation: effect } = escalatedAndResolved();

    const { description } = chatForm(effect, testRunbook).content;

    const order = [
      '*What:* alarm disk-full-web-1 is in ALARM: Threshold Crossed: 1 out of the last 1 datapoints was greater than the threshold (90.0).',
      `*Where:* ${INSTANCE} (account 123456789012, us-east-1)`,
      '*Since:* 2026-11-21T03:00:00Z',
      '*Runbook:* disk-full (owner platform-team): Frees disk space.',
      '*Why paged:* all 3 attempt(s) of runbook disk-full failed; last: the command ended Failed (exit 1)',
      '*Gates:* none refused',
      '*Attempts (3):*',
      '• #1 at 2026-11-21T03:00:00Z: Failed, exit 1 (command cmd-1)',
      'stdout, the lines that matter:\n```\ndisk-full: / is 97% used before cleanup\nrotated logs: removed 0 file(s)\n```',
      `stderr, the lines that matter:\n\`\`\`\n${ERR}\n\`\`\``,
      '• #3 at 2026-11-21T03:01:50Z: Failed, exit 1 (command cmd-3)',
      '*Links:*',
      `• Alarm: ${CONSOLE}/cloudwatch/home?region=us-east-1#alarmsV2:alarm/disk-full-web-1`,
      `• Instance: ${CONSOLE}/ec2/home?region=us-east-1#InstanceDetails:instanceId=${INSTANCE}`,
      `• Attempt #3 in Run Command: ${CONSOLE}/systems-manager/run-command/cmd-3/${INSTANCE}?region=us-east-1`,
    ];
    let from = 0;
    for (const part of order) {
      const at = description.indexOf(part, from);
      expect(at, part).toBeGreaterThanOrEqual(from);
      from = at + part.length;
    }
  });

  it('names the instance by its Name tag and zone, and who did what', () => {
    const { escalation: effect } = escalatedAndResolved();
    const incident: Incident = {
      ...effect.incident,
      instance: { name: 'web-1', zone: 'us-east-1a' },
      owner: { by: 'arn:aws:iam::123456789012:user/ana', since: T0 + 600_000 },
      responders: [
        {
          at: T0 + 600_000,
          by: 'arn:aws:iam::123456789012:user/ana',
          verb: 'take',
          request: 'r-1',
          outcome: 'done',
        },
      ],
    };

    const { description } = chatForm(escalation(incident), testRunbook).content;

    expect(description).toContain(
      `*Where:* ${INSTANCE} "web-1" in us-east-1a (account 123456789012, us-east-1)`,
    );
    expect(description).toContain('*Owner:* arn:aws:iam::123456789012:user/ana since 2026-11-21T03:10:00Z');
    expect(description).toContain(
      '*People:* take by arn:aws:iam::123456789012:user/ana at 2026-11-21T03:10:00Z (done)',
    );
  });

  it('threads the resolution under the escalation, titled OK:, with no command to act', () => {
    const { escalation: e, resolution: r } = escalatedAndResolved();

    const open = chatForm(e, testRunbook, { tableName: TABLE });
    const close = chatForm(r, testRunbook, { tableName: TABLE });

    expect(close.metadata.threadId).toBe(open.metadata.threadId);
    expect(close.id).toBe(`${INCIDENT_ID}:resolution`);
    expect(close.content.title).toBe(
      'OK: disk-full-web-1 on i-0123456789abcdef0 - alarm cleared after escalation',
    );
    expect(close.metadata.eventType).toBe('RemediationResolution');
    expect(close.metadata.additionalContext.pageKind).toBe('resolution');
    expect(close.metadata.additionalContext).not.toHaveProperty('proposalId');
    expect(close.content.keywords[0]).toBe('OK');
    expect(close.content.nextSteps).toEqual([
      'Close the page for this incident if your pager has not closed it already.',
    ]);
    expect(close.content.description).toContain(
      '*Since:* 2026-11-21T03:00:00Z, resolved 2026-11-21T03:12:00Z (cleared without a successful remediation)',
    );
    expect(close.content.description).not.toContain('```');
  });

  it('pages a proposal with the exact action, parameters, instance and expiry, and the commands to approve or deny it', () => {
    const s = new Scenario(approving);
    s.apply(alarmInput('ALARM', T0));
    const proposal = s.incident?.proposal;
    const id = `${INCIDENT_ID}/p1`;

    const form = chatForm({ kind: 'page', page: 'proposal', incident: s.incident as Incident }, approving, {
      tableName: TABLE,
    });

    expect(proposal?.id).toBe(id);
    expect(form.id).toBe(`${INCIDENT_ID}:proposal:p1`);
    expect(form.content.title).toBe(
      `ALARM: disk-full-web-1 on ${INSTANCE} - approve remediate (service="app")? Expires 03:30Z`,
    );
    expect(form.content.description).toContain(
      `*Proposed:* remediate (service="app") on ${INSTANCE}, as attempt 1; every gate allowed it at 2026-11-21T03:00:00Z\n` +
        '*Expires:* 2026-11-21T03:30:00Z: unanswered by then, nothing runs and a human is paged',
    );
    expect(form.content.nextSteps).toEqual([
      `Approve: runs remediate (service="app") on ${INSTANCE} once, if the gates still allow it: \`${cmd('approve', INCIDENT_ID, '--proposal', id)}\``,
      `Deny: nothing runs, and you hold the incident: \`${cmd('deny', INCIDENT_ID, '--proposal', id)}\``,
      `Check app with journalctl -u app on ${INSTANCE}.`,
      'Unanswered by 2026-11-21T03:30:00Z, the proposal expires: nothing runs, and a human is paged. The OK lands in this thread.',
    ]);
    expect(form.content.keywords[0]).toBe('PROPOSAL');
    expect(form.metadata.eventType).toBe('RemediationProposal');
    expect(form.metadata.threadId).toBe(INCIDENT_ID);
    expect(form.metadata.additionalContext).toMatchObject({
      incidentId: INCIDENT_ID,
      proposalId: id,
      runbook: 'disk-full',
      instanceId: INSTANCE,
      tableName: TABLE,
      pageKind: 'proposal',
    });
  });

  it('threads the proposal, its expiry and the OK together; only the proposal page carries the proposal', () => {
    const s = new Scenario(approving);
    s.apply(alarmInput('ALARM', T0));
    s.after(1).apply({ kind: 'page-sent', page: 'proposal', messageId: 'm-1' });
    s.fireTimer();
    s.after(60).apply({ kind: 'page-sent', page: 'escalation', messageId: 'm-2' });
    s.after(60).apply(alarmInput('OK', s.now));
    const forms = s.effectsOf('page').map((effect) => chatForm(effect, approving, { tableName: TABLE }));

    expect(forms.map((f) => f.metadata.additionalContext.pageKind)).toEqual([
      'proposal',
      'escalation',
      'resolution',
    ]);
    expect(new Set(forms.map((f) => f.metadata.threadId))).toEqual(new Set([INCIDENT_ID]));
    expect(forms.map((f) => f.metadata.additionalContext.proposalId)).toEqual([
      `${INCIDENT_ID}/p1`,
      undefined,
      undefined,
    ]);
    expect(forms[1]?.content.description).toContain('*Why paged:* proposal expired');
    expect(forms[1]?.content.nextSteps).toContain(
      `Retry now, through the gates: \`${cmd('retry', INCIDENT_ID)}\``,
    );
    expect(forms[1]?.content.nextSteps.join('\n')).not.toContain('npx remediate approve');
  });

  it('lists the runbook notes as short steps with the incident values filled in, nothing cut or lost', () => {
    const values = { service: 'app', instance: INSTANCE };

    const steps = noteSteps(serviceDown.notes ?? '', values);

    const filled = (serviceDown.notes ?? '')
      .replace(/<service>/g, 'app')
      .replace(/\s+/g, ' ')
      .trim();
    expect(steps.join(' ')).toBe(filled);
    expect(steps.length).toBeGreaterThan(3);
    for (const step of steps) {
      expect(step.length).toBeLessThanOrEqual(CHAT_LIMITS.nextStep);
      expect(step).not.toMatch(/\.\.\.$/);
      expect(step).not.toContain('<service>');
    }
    expect(steps.join(' ')).toContain('journalctl -u app -n 200');
    // Placeholders the incident has no value for stay as written.
    expect(noteSteps('Kill <name> if <service> spins.', values)).toEqual(['Kill <name> if app spins.']);
  });

  it('keeps the steps to the list size, the notes that do not fit under What to look at next', () => {
    const notes = Array.from(
      { length: 30 },
      (_, i) => `Step ${i} checks a thing on <instance> ${'x'.repeat(150)}.`,
    ).join(' ');
    const runbook = defineRunbook({ ...testRunbook, notes });
    const incident = failing(OUT, ERR, runbook).incident as Incident;

    const form = chatForm(escalation(incident), runbook, { tableName: TABLE });

    expect(form.content.nextSteps).toHaveLength(PAGE_NEXT_STEPS);
    expect(form.content.nextSteps).toContain(
      "More of the runbook's notes are on the page, under What to look at next.",
    );
    expect(form.content.nextSteps.at(-1)).toContain('the OK lands in this thread');
    expect(form.content.description).toContain('*What to look at next (continued):*');
    expect(form.content.description).toContain(`• Step 29 checks a thing on ${INSTANCE}`);
  });

  it('names the gate that refused', () => {
    const form = chatForm(refusedByKillSwitch(), testRunbook);

    expect(form.content.title).toBe(
      'ALARM: disk-full-web-1 on i-0123456789abcdef0 - automation paused, nothing run',
    );
    expect(form.content.description).toContain(
      '*Gates:* kill-switch at 2026-11-21T03:00:00Z: automation paused for all runbooks by alice since 2026-11-21T02:59:00.000Z: database failover in progress',
    );
    expect(form.content.description).toContain('*Attempts:* none (nothing was run)');
  });

  it('shows the lines of output that matter: a FATAL among heartbeats, repeated lines counted', () => {
    const heartbeats = Array.from(
      { length: 40 },
      (_, i) => `2026-11-21T03:00:${String(i).padStart(2, '0')}Z app[${1000 + i}]: heartbeat ok`,
    );
    const output = [
      'ERROR: cannot open /etc/app.conf: permission denied',
      ...heartbeats.slice(0, 20),
      ...Array.from({ length: 6 }, () => 'FATAL: config: invalid listen address ":x"'),
      ...heartbeats.slice(20),
      'exiting',
    ].join('\n');

    const lines = linesThatMatter(output, 5);

    expect(lines).toEqual([
      'ERROR: cannot open /etc/app.conf: permission denied',
      'FATAL: config: invalid listen address ":x" (x6)',
      '2026-11-21T03:00:39Z app[1039]: heartbeat ok (x40 alike)',
      'exiting',
    ]);
    expect(linesThatMatter(output, 2)).toEqual([
      'ERROR: cannot open /etc/app.conf: permission denied',
      'FATAL: config: invalid listen address ":x" (x6)',
    ]);
    // The same line again is counted as it is; lines that differ in their numbers are alike.
    expect(linesThatMatter('listen :80:80 failed\nlisten :80:80 failed\nlisten :80:80 failed', 5)).toEqual([
      'listen :80:80 failed (x3)',
    ]);
  });

  it('shows what the diagnosis found before the first attempt, with its command', () => {
    const { escalation: effect } = escalatedAndResolved();
    const [first, ...rest] = effect.incident.attempts;
    const diagnosed: Incident = {
      ...effect.incident,
      attempts: [
        {
          ...(first as Attempt),
          diagnosis: {
            requestedAt: T0,
            status: 'finished',
            commandId: 'diag-1',
            result: { status: 'Success', responseCode: 0, stdout: 'top writer: /var/log/app.log 41G' },
          },
        },
        ...rest,
      ],
    };

    const runbook = defineRunbook({ ...testRunbook, diagnose: 'diagnose.sh' });
    const { description } = chatForm(escalation(diagnosed), runbook).content;

    expect(description).toContain(
      '*Attempts (3):*\n• diagnose before #1 (diagnose.sh): Success, exit 0 (command diag-1)\n' +
        'stdout, the lines that matter:\n```\ntop writer: /var/log/app.log 41G\n```\n• #1 at',
    );
  });

  it('stays within the documented limits, keeping the links, whatever the inputs', () => {
    const runbook = defineRunbook({
      ...testRunbook,
      maxAttempts: 10,
      // Ten attempts fit the largest budget of time to a human (an hour) only with short waits.
      verifyWindowSeconds: 60,
      executionTimeoutSeconds: 30,
      backoff: { baseSeconds: 10, capSeconds: 60 },
      notes: Array.from({ length: 12 }, (_, i) => `step ${i} ${'n'.repeat(1_000)}`).join('\n'),
    });
    const huge = Array.from({ length: 2_000 }, (_, i) => `line ${i} ${'€'.repeat(400)}`).join('\n');
    const incident = failing(huge, huge, runbook).incident as Incident;
    const hostile: Incident = {
      ...incident,
      alarm: { ...incident.alarm, name: 'x'.repeat(255), reason: '€'.repeat(200_000) },
      instance: { name: `@here ${'<b>'.repeat(10_000)}`, zone: 'z'.repeat(5_000) },
      parameters: { service: `${'€'.repeat(500)} @channel` },
      responders: Array.from({ length: 50 }, (_, i) => ({
        at: T0,
        by: 'b'.repeat(5_000),
        verb: 'retry' as const,
        request: `r-${i}`,
        outcome: 'refused' as const,
        reason: '€'.repeat(5_000),
      })),
    };

    for (const context of [
      {},
      { tableName: TABLE, documentName: 'd'.repeat(2_000) },
      { tableName: 't'.repeat(300) },
    ]) {
      const form = chatForm(escalation(hostile), runbook, context);

      expect(form.content.title.length).toBeLessThanOrEqual(CHAT_LIMITS.title);
      expect(form.content.description.length).toBeLessThanOrEqual(CHAT_LIMITS.description);
      expect(form.content.nextSteps.length).toBeLessThanOrEqual(PAGE_NEXT_STEPS);
      for (const step of form.content.nextSteps)
        expect(step.length).toBeLessThanOrEqual(CHAT_LIMITS.nextStep);
      for (const keyword of form.content.keywords)
        expect(keyword.length).toBeLessThanOrEqual(CHAT_LIMITS.keyword);
      expect(form.metadata.summary.length).toBeLessThanOrEqual(CHAT_LIMITS.summary);
      for (const value of Object.values(form.metadata.additionalContext)) {
        expect(value.length).toBeLessThanOrEqual(CHAT_LIMITS.contextValue);
      }
      expect(form.content.description).toContain('• Attempt #10 in Run Command:');
      expect(form.content.description).not.toContain('@here');
      expect(form.content.description).not.toContain('<b>');
      const { Message, size } = chatSnsMessage(escalation(hostile), runbook);
      expect(size).toBe(Buffer.byteLength(Message));
      expect(size).toBeLessThan(MESSAGE_BUDGET_BYTES);
    }
    expect(JSON.parse(chatSnsMessage(escalation(hostile), runbook).Message)).toEqual(
      chatForm(escalation(hostile), runbook),
    );
  });

  it('never cuts a command: a step too long shows the command alone, or not at all', () => {
    const { escalation: effect } = escalatedAndResolved();

    for (const tableName of ['t'.repeat(150), 't'.repeat(255), 't'.repeat(300)]) {
      const form = chatForm(effect, testRunbook, { tableName });
      const commands = form.content.nextSteps.flatMap((s) => /`([^`]*)`/.exec(s)?.[1] ?? []);

      for (const command of commands)
        expect(command).toMatch(new RegExp(`^npx remediate \\S+ .* --table ${tableName}$`));
      for (const step of form.content.nextSteps) {
        expect(step.length).toBeLessThanOrEqual(CHAT_LIMITS.nextStep);
        if (step.includes('npx remediate')) expect(step).toMatch(/`$/);
      }
      if (tableName.length === 300) expect(commands).toEqual([]);
      else expect(commands.length).toBeGreaterThanOrEqual(3);
    }
  });

  it('gives the chat buttons only values a command can carry as they are', () => {
    const { escalation: effect } = escalatedAndResolved();

    const form = chatForm(effect, testRunbook, { tableName: "incidents'; rm -rf / #" });

    expect(form.metadata.additionalContext).not.toHaveProperty('tableName');
    expect(form.metadata.additionalContext).toMatchObject({ incidentId: INCIDENT_ID, instanceId: INSTANCE });
    for (const key of ACTION_CONTEXT_KEYS) {
      const value = form.metadata.additionalContext[key];
      if (value !== undefined) expect(value).toMatch(ACTION_VALUE);
    }
    // The command names the table quoted for a shell, as it is.
    expect(form.content.nextSteps).toContain(
      `Retry now, through the gates: \`npx remediate retry ${INCIDENT_ID} --table 'incidents'\\''; rm -rf / #'\``,
    );
  });

  it('quotes every command word so that a POSIX shell reads it back as it was', () => {
    const words = [
      'plain-1.2_x',
      'two words',
      "it's",
      '$(touch /tmp/pwned)',
      '`id`',
      '\\',
      '"',
      "'",
      '*',
      '',
    ];

    for (const word of words) {
      const echoed = execFileSync('sh', ['-c', `printf '%s' ${shellWord(word)}`], { encoding: 'utf8' });
      expect(echoed, word).toBe(word);
    }
    expect(remediateCommand('run', ['i d', 'diagnose'], { tableName: 'T' })).toBe(
      "npx remediate run 'i d' diagnose --table T",
    );
  });

  it('lets no command output, tag or parameter mention the channel or post a link', () => {
    const incident = failing('<!channel> disk is full @here\n<https://evil.example|click>', '')
      .incident as Incident;
    const tagged: Incident = { ...incident, instance: { name: '<!here> @everyone' } };

    const form = chatForm(escalation(tagged), testRunbook);
    const { description } = form.content;

    expect(description).not.toContain('<!channel>');
    expect(description).not.toMatch(/@here|@everyone/);
    expect(description).not.toContain('<https://evil.example');
    expect(description).toContain('‹!channel› disk is full @\u200bhere');
    expect(form.content.title).not.toMatch(/[<>]/);
  });
});

describe('snsMessage (MessageStructure json)', () => {
  it('carries the text for default and email, the subject for SMS and the PagerDuty form for HTTPS', () => {
    const { escalation: effect } = escalatedAndResolved();

    const publication = snsMessage(effect, testRunbook);
    const message = parseSns(publication.Message);

    expect(publication.Subject).toBe(
      'ALARM: disk-full-web-1 on i-0123456789abcdef0 - automation gave up after 3 attempts',
    );
    expect(publication.MessageStructure).toBe('json');
    expect(Object.keys(message)).toEqual(['default', 'email', 'sms', 'https']);
    for (const value of Object.values(message)) expect(typeof value).toBe('string');
    expect(message.default).toBe(humanText(effect, testRunbook));
    expect(message.email).toBe(message.default);
    expect(message.sms).toBe(publication.Subject);
    expect(JSON.parse(message.https ?? '')).toEqual(pagerDutyForm(effect));
    expect(publication.size).toBe(Buffer.byteLength(publication.Message));
  });

  it('keeps every subject ASCII, on one line, under 100 characters and starting ALARM: or OK:', () => {
    const { escalation: e, resolution: r } = escalatedAndResolved();
    const hostile = {
      ...e.incident,
      alarm: { ...e.incident.alarm, name: `déjà\nvu\t€ ${'x'.repeat(300)}` },
    };
    const subjects = [
      snsMessage(e, testRunbook).Subject,
      snsMessage(r, testRunbook).Subject,
      snsMessage(refusedByKillSwitch(), testRunbook).Subject,
      snsMessage(escalation(hostile), testRunbook).Subject,
      noticeForms(breakerOpenedNotice(breakerRunbook, breakerRecord, []), ORIGIN).sns.Subject,
      noticeForms(breakerGrewNotice(breakerRunbook, breakerRecord, ['i-0123456789abcdef9']), ORIGIN).sns
        .Subject,
      noticeForms(breakerClosedNotice(breakerRunbook, { ...breakerRecord, state: 'closed' }), ORIGIN).sns
        .Subject,
    ];

    for (const subject of subjects) expectSubjectRules(subject);
    expect(subjects[1]).toMatch(/^OK: /);
  });

  it("folds the update of a breaker's group page into the open alert: the same PagerDuty alarm, still ALARM", () => {
    const opened = noticeForms(breakerOpenedNotice(breakerRunbook, breakerRecord, []), ORIGIN);
    const grew = noticeForms(
      breakerGrewNotice(breakerRunbook, breakerRecord, ['i-0123456789abcdef9']),
      ORIGIN,
    );
    expect(grew.pagerDuty.AlarmName).toBe(opened.pagerDuty.AlarmName);
    expect(grew.pagerDuty.NewStateValue).toBe('ALARM');
    expect(grew.chat.metadata.threadId).toBe(opened.chat.metadata.threadId);
    expect(grew.sns.Subject).toMatch(/^ALARM: .* breaker still open - 1 more instance\(s\)/);
  });

  it('stays under 256 KB and valid JSON with 5 MB of output in each of 3 attempts', () => {
    const fiveMb = Array.from({ length: 50_000 }, (_, i) => `line ${i} ${'y'.repeat(95)}`).join('\n');
    // Straight onto the attempts: the decider keeps only a tail, but the forms must not rely on it.
    const effect = escalation(withRawOutput(failing('', '').incident as Incident, fiveMb, fiveMb));

    const publication = snsMessage(effect, testRunbook);
    const message = parseSns(publication.Message);

    expect(fiveMb.length).toBeGreaterThan(5_000_000);
    expect(publication.size).toBeLessThanOrEqual(MESSAGE_BUDGET_BYTES);
    expect(publication.size).toBeLessThan(SNS_MAX_MESSAGE_BYTES);
    expect(message.default).toContain('line 49999');
    expect(JSON.parse(message.https ?? '')).toEqual(pagerDutyForm(effect));
    expect(chatSnsMessage(effect, testRunbook).size).toBeLessThan(MESSAGE_BUDGET_BYTES);
  });

  it('shortens attempt output first, keeping the rest of the page, when multibyte output floods ten attempts', () => {
    const runbook = defineRunbook({
      ...testRunbook,
      maxAttempts: 10,
      // Ten attempts fit the largest budget of time to a human (an hour) only with short waits.
      verifyWindowSeconds: 60,
      executionTimeoutSeconds: 30,
      backoff: { baseSeconds: 10, capSeconds: 60 },
    });
    // Lines that differ (in letters, not only numbers), so that none collapses into another, and
    // from one attempt to the next, so that no attempt's output is shown as the same as the last's.
    const flood = (attempt: number) =>
      Array.from(
        { length: 40 },
        (_, n) =>
          `${'€'.repeat(190)} ${String.fromCharCode(97 + (n % 26))}${String.fromCharCode(65 + Math.floor(n / 26))}${String.fromCharCode(97 + attempt)}`,
      ).join('\n');
    const failed = failing('', '', runbook).incident as Incident;
    const effect = escalation({
      ...failed,
      attempts: failed.attempts.map((a) => ({
        ...a,
        result: { status: 'Failed', responseCode: 1, stdout: flood(a.number), stderr: flood(a.number) },
      })),
    });

    const publication = snsMessage(effect, runbook);
    const message = parseSns(publication.Message);

    // Sent whole, the text would not fit twice (default and email) in the budget.
    expect(2 * Buffer.byteLength(humanText(effect, runbook))).toBeGreaterThan(MESSAGE_BUDGET_BYTES);
    expect(publication.size).toBeLessThanOrEqual(MESSAGE_BUDGET_BYTES);
    expect(message.default).toContain(
      '(attempt output shortened to fit the page; Run Command has all of it)',
    );
    expect(message.default).not.toContain('[message cut to fit the pager]');
    expect(message.default).toContain('Act:');
    expect(message.default).toContain(
      `  #10 cmd-10: ${CONSOLE}/systems-manager/run-command/cmd-10/${INSTANCE}`,
    );
  });

  it("then cuts the body, on a character boundary and keeping the links, for a '€' flood", () => {
    const flood = '€'.repeat(200_000);
    // Notes as words: a page keeps every note (a single word past a step's length is cut).
    const runbook = defineRunbook({ ...testRunbook, notes: `${'€'.repeat(99)} `.repeat(2000) });
    const effect = escalation(withRawOutput(failing('', '', runbook).incident as Incident, flood, flood));

    const publication = snsMessage(effect, runbook);
    const message = parseSns(publication.Message);

    expect(Buffer.byteLength(flood)).toBe(600_000);
    expect(publication.size).toBeLessThanOrEqual(MESSAGE_BUDGET_BYTES);
    expect(message.default).toContain('[message cut to fit the pager]');
    expect(message.default).not.toContain('\ufffd');
    expect(message.default).toContain(
      `  Alarm:    ${CONSOLE}/cloudwatch/home?region=us-east-1#alarmsV2:alarm/disk-full-web-1`,
    );
    expect(message.email).toBe(message.default);
    expect(JSON.parse(message.https ?? '')).toEqual(pagerDutyForm(effect));
  });
});

describe('noticeForms (fleet notices)', () => {
  it('pages the breaker opening as an ALARM and resolves it with an OK of the same alarm', () => {
    const open = noticeForms(breakerOpenedNotice(breakerRunbook, breakerRecord, []), ORIGIN);
    const close = noticeForms(
      breakerClosedNotice(breakerRunbook, {
        ...breakerRecord,
        state: 'closed',
        closedAt: T0 + 3_600_000,
        closedBy: 'alice',
      }),
      { ...ORIGIN, at: T0 + 3_600_000 },
    );

    const name = 'ec2-auto-remediation/breaker/disk-full/2026-11-21T03:00:00.000Z';
    expect(open.pagerDuty).toMatchObject({
      AlarmName: name,
      AlarmArn: `arn:aws:cloudwatch:us-east-1:123456789012:alarm:${name}`,
      AWSAccountId: '123456789012',
      Region: 'US East (N. Virginia)',
      NewStateValue: 'ALARM',
      OldStateValue: 'OK',
      NewStateReason:
        'The fleet breaker of runbook disk-full opened: 6 instances alarmed within 10 min (more than 5).',
      StateChangeTime: '2026-11-21T03:00:00.000+0000',
    });
    expect(close.pagerDuty).toMatchObject({
      AlarmName: name,
      NewStateValue: 'OK',
      OldStateValue: 'ALARM',
      NewStateReason: 'The fleet breaker of runbook disk-full is closed by alice; the group page can close.',
      StateChangeTime: '2026-11-21T04:00:00.000+0000',
    });
    expect(close.pagerDuty.AlarmArn).toBe(open.pagerDuty.AlarmArn);
    expect(close.pagerDuty.Trigger).toEqual(open.pagerDuty.Trigger);
    expect(close.pagerDuty.AlarmDescription).toBe(open.pagerDuty.AlarmDescription);
  });

  it('threads the breaker in chat by its key, with the close command as the next step', () => {
    const opened = breakerOpenedNotice(breakerRunbook, breakerRecord, []);
    const open = noticeForms(opened, ORIGIN);
    const close = noticeForms(
      breakerClosedNotice(breakerRunbook, { ...breakerRecord, state: 'closed' }, { stillInAlarm: [] }),
      ORIGIN,
    );

    expect(open.chat.version).toBe('1.0');
    expect(open.chat.source).toBe('custom');
    expect(open.chat.content.textType).toBe('client-markdown');
    expect(open.chat.content.title).toBe('ALARM: disk-full breaker open - 6 instances, shared cause?');
    expect(open.chat.metadata.threadId).toBe('breaker/disk-full/2026-11-21T03:00:00.000Z');
    expect(close.chat.metadata.threadId).toBe(open.chat.metadata.threadId);
    expect(close.chat.content.title).toBe(
      'OK: disk-full breaker closed - automation acts again; no alarm left in ALARM',
    );
    expect(open.chat.content.nextSteps).toEqual([
      'Look for the shared cause first: what the instances share is on the page',
      'Once it is dealt with, close the breaker: `npx remediate breaker close --runbook disk-full --reason "..."`',
      'The instances under the breaker: `npx remediate incidents list`',
    ]);
    expect(open.chat.metadata.relatedResources).toEqual([...breakerRecord.instances].sort());
    expect(open.chat.content.description).toBe(`\`\`\`\n${opened.body}\n\`\`\``);
    expect(JSON.parse(open.chatSns.Message)).toEqual(open.chat);
  });

  it('publishes the notice like a page: text, subject for SMS, the PagerDuty form for HTTPS', () => {
    const notice = breakerOpenedNotice(breakerRunbook, breakerRecord, []);

    const { sns, pagerDuty } = noticeForms(notice, ORIGIN);
    const message = parseSns(sns.Message);

    expect(sns.Subject).toBe(notice.subject);
    expect(sns.MessageStructure).toBe('json');
    expect(message.default).toBe(notice.body);
    expect(message.email).toBe(notice.body);
    expect(message.sms).toBe(notice.subject);
    expect(JSON.parse(message.https ?? '')).toEqual(pagerDuty);
    expect(sns.size).toBe(Buffer.byteLength(sns.Message));
  });

  it('pages a runbook switched to dry-run as an ALARM with the command that ends it', () => {
    const notice = dryRunNotice(breakerRunbook, {
      mode: 'dry-run',
      reason: '0 of its last 10 runs were verified',
      by: 'auto-disable',
      since: T0,
    });

    const forms = noticeForms(notice, ORIGIN);

    expect(forms.pagerDuty.NewStateValue).toBe('ALARM');
    expect(forms.pagerDuty.AlarmName).toBe('ec2-auto-remediation/mode/disk-full');
    expect(forms.pagerDuty.StateChangeTime).toBe('2026-11-21T03:00:00.000+0000');
    expect(forms.pagerDuty.Trigger.MetricName).toBe('RunbookDryRun');
    expect(forms.chat.metadata.eventType).toBe('RemediationRunbookDryRun');
    expect(forms.chat.content.nextSteps?.at(-1)).toBe(
      'Once its script is fixed or the cause is understood, let it act again: `npx remediate runbooks enforce disk-full`',
    );
  });
});

describe("the alarm's own description", () => {
  it("travels from AWS's sample event to the PagerDuty form, first, and the same in the ALARM and OK forms", async () => {
    const { anyAlarmEvent, toAlarmChange } = await import('../../functions/handlers/schemas.ts');
    const { readFileSync } = await import('node:fs');
    const sample = JSON.parse(
      readFileSync(
        new URL('../events/cloudwatch-alarm-state-change.single-metric.json', import.meta.url),
        'utf8',
      ),
    );
    const alarm = toAlarmChange(anyAlarmEvent.parse(sample));
    expect(alarm.description).toBe('Goes into alarm when server CPU utilization is too high!');
    const cpu = defineRunbook({
      ...testRunbook,
      maxAttempts: 1,
      match: { alarmNames: ['ServerCpuTooHigh'] },
    });
    const s = new Scenario(cpu);
    s.apply({ kind: 'alarm', alarm, target: { kind: 'instance', instanceId: INSTANCE } });
    s.apply({ kind: 'command-not-sent', attempt: 1, error: 'InvalidInstanceId' });
    s.apply({ kind: 'page-sent', page: 'escalation', messageId: 'm' });
    s.after(60).apply({
      kind: 'alarm',
      alarm: { ...alarm, state: 'OK', stateAt: alarm.stateAt + 60_000 },
      target: { kind: 'instance', instanceId: INSTANCE },
    });
    const [escalation, resolution] = s.effectsOf('page');
    const opened = pagerDutyForm(escalation as PageEffect);
    expect(
      opened.AlarmDescription?.startsWith('Goes into alarm when server CPU utilization is too high! | '),
    ).toBe(true);
    expect(pagerDutyForm(resolution as PageEffect).AlarmDescription).toBe(opened.AlarmDescription);
  });

  it('is kept whole and as written; the summary follows it only when both fit', () => {
    const { escalation: effect } = escalatedAndResolved();
    const described = (description: string): PageEffect => ({
      ...effect,
      incident: { ...effect.incident, alarm: { ...effect.incident.alarm, description } },
    });
    const links = 'Runbook: https://wiki.example.com/cpu\nOwner: #web';
    const long = `${'Read the runbook first. '.repeat(40)}https://wiki.example.com/x`;

    expect(pagerDutyForm(described(links)).AlarmDescription).toBe(
      `${links} | Paged by EC2 auto-remediation: runbook disk-full on ${INSTANCE}, incident ${INCIDENT_ID}. The alarm went to automation first; this page says why a human is needed.`,
    );
    expect(long.length).toBeLessThanOrEqual(ALARM_DESCRIPTION_CHARS);
    expect(pagerDutyForm(described(long)).AlarmDescription).toBe(long);
  });
});
