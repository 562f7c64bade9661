import { describe, expect, it } from 'vitest';
import type { Escalation, Incident, ResponderAction } from '../../functions/core/incident.ts';
import { snsMessage } from '../../functions/core/page-formats/sns.ts';
import { MAX_BODY_CHARS, type PageContext, pageMessage } from '../../functions/core/page-message.ts';
import { defineRunbook } from '../../functions/core/runbook.ts';
import { alarmInput, Scenario, T0, testRunbook } from '../support/fixtures.ts';

/** An incident whose three attempts failed with the given output. */
function escalated(stdout: string, stderr: string): Incident {
  const s = new Scenario();
  s.apply(alarmInput('ALARM', T0));
  for (let n = 1; n <= 3; n++) {
    s.apply({ kind: 'command-sent', attempt: n, commandId: `cmd-${n}` });
    s.after(10).apply({
      kind: 'command-finished',
      commandId: `cmd-${n}`,
      result: { status: 'Failed', responseCode: 1, stdout, stderr },
    });
    if (n < 3) s.fireTimer();
  }
  return s.incident as Incident;
}

describe('pageMessage', () => {
  it('tells what fired, where, what each attempt printed, why it escalated and what to do next', () => {
    const incident = escalated(
      'disk-full: / is 97% used before cleanup\nrotated logs: removed 0 file(s)',
      'rm: busy',
    );

    const { subject, body } = pageMessage({ kind: 'page', page: 'escalation', incident }, testRunbook);

    expect(subject).toBe(
      'ALARM: disk-full-web-1 on i-0123456789abcdef0 - automation gave up after 3 attempts',
    );
    expect(body).toContain('Alarm:    disk-full-web-1 (ALARM since 2026-11-21T03:00:00Z)');
    expect(body).toContain('Instance: i-0123456789abcdef0');
    expect(body).toContain('Runbook:  disk-full: Frees disk space.\nOwner:    platform-team\n');
    expect(body).toMatch(/Why paged: all 3 attempt\(s\) of runbook disk-full failed/);
    expect(body).toContain('#3 at 2026-11-21T03:');
    expect(body).toContain('       disk-full: / is 97% used before cleanup');
    expect(body).toContain('       rm: busy');
    expect(body).toContain('Look for the writer with du.');
  });

  it('names which series of a fleet alarm it is, its untrusted values quoted', () => {
    const incident = escalated('', '');
    const series = (attributes: Record<string, string>): Incident => ({
      ...incident,
      alarm: { ...incident.alarm, name: 'service-down-fleet-Prod', contributor: { id: 'a1', attributes } },
    });

    const { body } = pageMessage(
      {
        kind: 'page',
        page: 'escalation',
        incident: series({ InstanceId: 'i-0123456789abcdef0', exe: 'nginx' }),
      },
      testRunbook,
    );
    const hostile = pageMessage(
      {
        kind: 'page',
        page: 'escalation',
        incident: series({ InstanceId: 'i-0123456789abcdef0', exe: 'a b\n$(x)' }),
      },
      testRunbook,
    ).body;

    expect(body).toContain('Instance: i-0123456789abcdef0\nSeries:   exe=nginx (of the fleet alarm)');
    expect(hostile).toContain('Series:   exe="a b\\n$(x)" (of the fleet alarm)');
    expect(pageMessage({ kind: 'page', page: 'escalation', incident }, testRunbook).body).not.toContain(
      'Series:',
    );
  });

  it('keeps the subject ASCII, on one line and under 100 characters, whatever the alarm is called', () => {
    const incident = escalated('', '');
    const hostile = { ...incident, alarm: { ...incident.alarm, name: `déjà\nvu ${'x'.repeat(300)}` } };

    const { subject } = pageMessage({ kind: 'page', page: 'escalation', incident: hostile }, testRunbook);

    expect(subject.length).toBeLessThan(100);
    expect(subject).toMatch(/^ALARM: [\x20-\x7e]+$/);
  });

  it('stays within the pager limit with huge outputs, keeping the last lines', () => {
    const huge = Array.from({ length: 5000 }, (_, i) => `line ${i} ${'y'.repeat(500)}`).join('\n');
    const incident = escalated(huge, huge);

    const { body } = pageMessage({ kind: 'page', page: 'escalation', incident }, testRunbook);

    expect(body.length).toBeLessThanOrEqual(MAX_BODY_CHARS);
    expect(Buffer.byteLength(body)).toBeLessThan(256 * 1024);
    expect(body).toContain('line 4999');
    expect(body).not.toContain('line 10 ');
  });

  it('opens the resolution message with OK: so that pager tools close the page', () => {
    const s = new Scenario({ ...testRunbook, maxAttempts: 1 });
    s.apply(alarmInput('ALARM', T0));
    s.apply({ kind: 'command-not-sent', attempt: 1, error: 'InvalidInstanceId' });
    s.apply({ kind: 'page-sent', page: 'escalation', messageId: 'm' });
    s.after(600).apply(alarmInput('OK', T0 + 600_000));

    const { subject, body } = pageMessage(
      { kind: 'page', page: 'resolution', incident: s.incident as Incident },
      testRunbook,
    );

    expect(subject).toBe('OK: disk-full-web-1 on i-0123456789abcdef0 - alarm cleared after escalation');
    expect(body).toContain('is OK again');
    expect(body).toContain('cleared without a successful remediation');
  });
});

describe('a page a person understands at 3 a.m.', () => {
  const heartbeat = (n: number) =>
    `2026-11-21T03:00:${String(n % 60).padStart(2, '0')}Z app[4123]: heartbeat ok seq=${n}`;
  const FATAL = 'app[4123]: FATAL: could not bind: invalid listen address "0.0.0.0:99999"';
  const log = [
    'restart.sh: restarting app.service',
    ...Array.from({ length: 20 }, (_, n) => heartbeat(n)),
    ...Array.from({ length: 6 }, () => FATAL),
    ...Array.from({ length: 20 }, (_, n) => heartbeat(n + 20)),
    'restart.sh: app.service is not active after 60 s',
  ].join('\n');
  const runbook = defineRunbook({
    ...testRunbook,
    name: 'disk-full',
    contact: '#platform-oncall',
    link: 'https://wiki.example.com/runbooks/disk-full',
    diagnose: 'diagnose.sh',
    notes:
      'Check <instance> for the writer with du -x {{path}}. Then read journalctl -u <service> -n 200; ' +
      'ask the owner of <team> before deleting anything.\nLook at <unknown> last.',
  });
  const context: PageContext = {
    tableName: 'Prod-Incidents',
    documentName: 'Prod-disk-full-abc',
    documentVersion: '3',
  };
  /** The escalation of `escalated(log)`, on an instance with a Name tag, as SNS's default text. */
  function published(incident: Incident): string {
    const publication = snsMessage({ kind: 'page', page: 'escalation', incident }, runbook, context);
    return (JSON.parse(publication.Message) as { default: string }).default;
  }
  const named = (incident: Incident): Incident => ({
    ...incident,
    instance: { name: 'checkout-api-3', zone: 'us-east-1b' },
    parameters: { service: 'app', team: 'web shop' },
  });

  it('shows the one useful line first and once per output, counted, with no heartbeat', () => {
    const incident = named(escalated(log, ''));
    const text = published(incident);
    const lines = text.split('\n');

    expect(lines[0]).toBe('Automation tried 3 times and could not fix this alarm: a human is needed.');
    expect(lines[1]).toBe(`Seen:     ${FATAL} (x6) (printed by #3)`);
    const fatal = lines.filter((line) => line.includes('FATAL'));
    // The Seen line, and attempt #1's output; #2 and #3 printed the same and say so.
    expect(fatal).toEqual([lines[1], `       ${FATAL} (x6)`]);
    expect(text).toContain('     stdout, the lines that matter (40 heartbeat lines left out):');
    expect(text).toContain('     printed the same as #1 (numbers aside)');
    expect(text).not.toContain('heartbeat ok');
    // What each attempt printed stays short: its lines that matter, at most 15.
    const first = lines.indexOf('     stdout, the lines that matter (40 heartbeat lines left out):');
    expect(lines.slice(first + 1, first + 4)).toEqual([
      '       restart.sh: restarting app.service',
      `       ${FATAL} (x6)`,
      '       restart.sh: app.service is not active after 60 s',
    ]);
    expect(lines[first + 4]).toMatch(/^ {2}#2 at /);
  });

  it('keeps an ERROR or a denial that is not among the last lines', () => {
    const output = [
      'open /etc/app.conf: permission denied',
      ...Array.from({ length: 30 }, (_, n) => `step ${String.fromCharCode(97 + (n % 26))}${n} done`),
    ].join('\n');
    const text = published(named(escalated(output, '')));

    expect(text).toContain('       open /etc/app.conf: permission denied\n');
    expect(text).toContain('Seen:     open /etc/app.conf: permission denied (printed by #3)');
  });

  it('names the instance by its Name tag and zone, the owner with a contact, fills the notes, links and prints the commands', () => {
    const incident = named(escalated(log, ''));
    const text = published(incident);
    const id = incident.id;

    expect(text).toContain('Instance: i-0123456789abcdef0 (Name checkout-api-3, us-east-1b)');
    expect(text).toContain('Owner:    platform-team; contact #platform-oncall');
    // Placeholders filled from the parameters, the alarm's dimensions and the instance; a value
    // that is not plain is quoted; one the incident does not know stays as written.
    expect(text).toContain(
      [
        'What to look at next:',
        '  - Check i-0123456789abcdef0 for the writer with du -x /. Then read journalctl -u app -n 200; ask the owner of "web shop" before deleting anything.',
        '  - Look at <unknown> last.',
        '  Runbook: https://wiki.example.com/runbooks/disk-full',
      ].join('\n'),
    );
    expect(text).toContain(
      [
        'Act:',
        '  1. Retry now, through the gates',
        `       $ npx remediate retry ${id} --table Prod-Incidents`,
        '  2. Diagnose again',
        `       $ npx remediate run ${id} diagnose --table Prod-Incidents`,
        '  3. Snooze automation for an hour (it pages again if still in ALARM)',
        `       $ npx remediate snooze ${id} 1h --table Prod-Incidents`,
        '  4. Take it over (automation stands down; the OK still closes it)',
        `       $ npx remediate take ${id} --table Prod-Incidents`,
        "  5. Or run remediate by hand with the runbook's document",
        `       $ aws ssm send-command --document-name Prod-disk-full-abc --document-version 3 --instance-ids i-0123456789abcdef0 --parameters '{"action":["remediate"],"service":["app"],"team":["web shop"]}' --region us-east-1`,
      ].join('\n'),
    );
    const console = 'https://us-east-1.console.aws.amazon.com';
    expect(text).toContain(
      `  Alarm:    ${console}/cloudwatch/home?region=us-east-1#alarmsV2:alarm/disk-full-web-1`,
    );
    expect(text).toContain(
      `  Instance: ${console}/ec2/home?region=us-east-1#InstanceDetails:instanceId=i-0123456789abcdef0`,
    );
    for (const n of [1, 2, 3])
      expect(text).toContain(
        `  #${n} cmd-${n}: ${console}/systems-manager/run-command/cmd-${n}/i-0123456789abcdef0?region=us-east-1`,
      );
  });

  it('shows who did what, and the attempts a person started by who started them', () => {
    const incident = named(escalated('still failing', ''));
    const sam = 'arn:aws:sts::123456789012:assumed-role/OnCall/sam';
    const responders: ResponderAction[] = [
      { at: T0 + 600_000, by: sam, verb: 'retry', request: 'r1', outcome: 'done' },
      {
        at: T0 + 660_000,
        by: 'arn:aws:iam::123456789012:user/ops/maria',
        verb: 'snooze',
        request: 'r2',
        detail: '1h',
        outcome: 'refused',
        reason: 'a command is in flight',
      },
    ];
    const attempts = incident.attempts.map((a, i) => (i === 2 ? { ...a, by: sam } : a));
    const { body } = pageMessage(
      { kind: 'page', page: 'escalation', incident: { ...incident, attempts, responders } },
      runbook,
    );

    expect(body).toContain(
      [
        'People:',
        '  2026-11-21T03:10:00Z sam (OnCall): retry (done)',
        '  2026-11-21T03:11:00Z maria: snooze 1h (refused: a command is in flight)',
      ].join('\n'),
    );
    expect(body).toMatch(/ {2}#3 at \S+ \(remediate, asked by sam \(OnCall\)\): Failed, exit 1/);
  });

  it('opens with a line true for why it pages, and a subject that agrees', () => {
    const dry = new Scenario(defineRunbook({ ...testRunbook, mode: 'dry-run' }));
    dry.apply(alarmInput('ALARM', T0));
    const paused = new Scenario();
    paused.safety = {
      paused: {
        scope: 'all runbooks',
        reason: 'deploy',
        by: 'arn:aws:iam::123456789012:user/ops',
        since: T0 - 1000,
      },
    };
    paused.apply(alarmInput('ALARM', T0));
    const approving = defineRunbook({ ...testRunbook, mode: 'approve' });
    const proposing = new Scenario(approving);
    proposing.apply(alarmInput('ALARM', T0));
    const proposal = proposing.incident as Incident;
    proposing.apply({ kind: 'page-sent', page: 'proposal', messageId: 'm' });
    proposing.fireTimer();
    const expired = proposing.incident as Incident;
    const gaveUp = escalated('', '');
    const page = (gaveUp.escalation as Escalation).page;
    const reasoned = (reason: string, more: Partial<Incident> = {}): Incident => ({
      ...gaveUp,
      escalation: { at: T0, reason, page },
      ...more,
    });
    const refused = (gate: 'cooldown' | 'opt-in' | 'budget' | 'parameter', reason: string) =>
      reasoned(`refused by the ${gate} gate: ${reason}`, {
        attempts: [],
        refusals: [{ gate, reason, at: T0 }],
      });
    const cases: [Incident, 'escalation' | 'proposal', string, string][] = [
      [
        gaveUp,
        'escalation',
        'Automation tried 3 times and could not fix this alarm',
        'automation gave up after 3 attempts',
      ],
      [
        dry.incident as Incident,
        'escalation',
        'Dry-run: runbook disk-full would have run remediate; nothing was run. Act by hand if it is needed.',
        'dry-run, nothing run',
      ],
      [
        paused.incident as Incident,
        'escalation',
        'Automation is paused by ops ("deploy"): this alarm was not acted on. A human is needed.',
        'automation paused, nothing run',
      ],
      [
        proposal,
        'proposal',
        'Approve or deny: automation proposes to run remediate on i-0123456789abcdef0. Nothing runs unless a person approves it by 2026-11-21T03:30:00Z.',
        'approve remediate? expires 03:30Z',
      ],
      [
        expired,
        'escalation',
        'A proposal expired unanswered: nothing was run.',
        'proposal expired, nothing run',
      ],
      [
        refused('cooldown', 'fixed 1 min ago'),
        'escalation',
        'This alarm is flapping',
        'flapping, nothing run',
      ],
      [
        refused('opt-in', 'untagged'),
        'escalation',
        'The instance is not opted in',
        'instance not opted in, nothing run',
      ],
      [
        refused('budget', 'spent'),
        'escalation',
        "Runbook disk-full's hourly budget is spent",
        'hourly budget spent, nothing run',
      ],
      [
        refused('parameter', 'exe "x"'),
        'escalation',
        'A value from the alarm is not one the runbook allows',
        'no allowed parameter value, nothing run',
      ],
      [
        reasoned("state unknown: the alarm's state could not be read at the end of the verify window"),
        'escalation',
        "The fix ran, but the alarm's state could not be read to confirm it",
        'fixed? alarm state unknown',
      ],
      [
        reasoned('taken over by arn:aws:sts::123456789012:assumed-role/OnCall/sam', {
          escalation: {
            at: T0,
            reason: 'taken over',
            page,
            takenBy: 'arn:aws:sts::123456789012:assumed-role/OnCall/sam',
          },
          owner: { by: 'arn:aws:sts::123456789012:assumed-role/OnCall/sam', since: T0 },
        }),
        'escalation',
        'sam (OnCall) holds this incident; automation stands down until the alarm is OK.',
        'taken by sam (OnCall)',
      ],
      [
        reasoned('no single instance to act on: the alarm has no InstanceId', {
          instanceId: undefined,
          attempts: [],
        }),
        'escalation',
        'This alarm names no single instance, so automation cannot act',
        'not remediated: no single instance',
      ],
      [
        reasoned('the runbook could not choose', { attempts: [] }),
        'escalation',
        'Automation did not act on this alarm (the runbook could not choose): a human is needed.',
        'i-0123456789abcdef0 - the runbook could not choose, nothing run',
      ],
      [
        // Nothing ran on a named instance: the subject says what stopped it, never "no single instance".
        reasoned('runbook web is retired (renamed or removed since this incident opened; …)', {
          attempts: [],
        }),
        'escalation',
        'Automation did not act on this alarm (runbook web is retired): a human is needed.',
        'i-0123456789abcdef0 - runbook web is retired, nothing run',
      ],
      [
        reasoned('', { attempts: [] }),
        'escalation',
        'Automation did not act on this alarm: a human is needed.',
        'i-0123456789abcdef0 - nothing run',
      ],
    ];
    for (const [incident, page, first, subject] of cases) {
      const message = pageMessage({ kind: 'page', page, incident }, approving, context);
      expect(message.body.split('\n')[0]).toContain(first);
      expect(message.subject).toContain(subject);
      expect(message.subject.length).toBeLessThan(100);
      if (incident !== gaveUp) expect(message.body).not.toContain('could not fix this alarm');
    }
  });

  it('titles an escalation before any attempt with what stopped automation, and the instance', () => {
    const failing = new Scenario(
      defineRunbook({
        ...testRunbook,
        choose: () => {
          throw new Error('no disk metric');
        },
      }),
    );
    failing.apply(alarmInput('ALARM', T0));
    const unknown = new Scenario(defineRunbook({ ...testRunbook, choose: () => ({ action: 'reboot' }) }));
    unknown.apply(alarmInput('ALARM', T0));
    const named = { ...(unknown.incident as Incident), instance: { name: 'web-1' } };
    const cases: [Incident, string, string][] = [
      [
        failing.incident as Incident,
        "ALARM: disk-full-web-1 on i-0123456789abcdef0 - the runbook's choose function failed, nothing run",
        "Automation did not act on this alarm (the runbook's choose function failed): a human is needed.",
      ],
      [
        named,
        'ALARM: disk-full-web-1 on i-0123456789abcdef0 (web-1) - the runbook chose action "reboot"..., no...',
        'Automation did not act on this alarm (the runbook chose action "reboot"...): a human is needed.',
      ],
    ];
    for (const [incident, subject, first] of cases) {
      expect(incident.attempts).toHaveLength(0);
      expect(incident.status).toBe('escalated');
      const message = pageMessage({ kind: 'page', page: 'escalation', incident }, testRunbook);
      expect(message.subject).toBe(subject);
      expect(message.subject.length).toBeLessThan(100);
      expect(message.body.split('\n')[0]).toBe(first);
    }
  });

  it('cuts a long reason in a subject with ASCII, never a character SNS would turn into "?"', () => {
    const gaveUp = escalated('', '');
    const long: Incident = {
      ...gaveUp,
      attempts: [],
      alarm: { ...gaveUp.alarm, name: 'disk' },
      escalation: {
        ...(gaveUp.escalation as Escalation),
        reason: `an unexpected reason that goes on and on ${'and on '.repeat(40)}\nwith a second line`,
      },
    };
    const { subject } = pageMessage({ kind: 'page', page: 'escalation', incident: long }, testRunbook);
    expect(subject).toBe(
      'ALARM: disk on i-0123456789abcdef0 - an unexpected reason that goes on..., nothing run',
    );
    expect(subject).not.toContain('?');
    expect(subject.length).toBeLessThan(100);
  });

  it('pages a proposal with the exact action, its expiry and the commands to approve or deny it', () => {
    const approving = defineRunbook({ ...testRunbook, mode: 'approve' });
    const s = new Scenario(approving);
    s.apply(alarmInput('ALARM', T0));
    const incident = s.incident as Incident;
    const { body } = pageMessage({ kind: 'page', page: 'proposal', incident }, approving, context);

    expect(body).toContain(
      `Expires:  2026-11-21T03:30:00Z: unanswered by then, nothing runs and a human is paged`,
    );
    expect(body).toContain(
      [
        'Approve or deny (one answer counts):',
        '  1. Approve: runs remediate on i-0123456789abcdef0 once, if the gates still allow it',
        `       $ npx remediate approve ${incident.id} --proposal ${incident.id}/p1 --table Prod-Incidents`,
        '  2. Deny: nothing runs, and you hold the incident',
        `       $ npx remediate deny ${incident.id} --proposal ${incident.id}/p1 --table Prod-Incidents`,
      ].join('\n'),
    );
    expect(body).not.toContain('npx remediate retry');
  });

  it('while paused, leaves out the commands the pause would refuse and says how it ends', () => {
    const paused = new Scenario();
    paused.safety = { paused: { scope: 'this runbook', reason: 'deploy', since: T0 - 1000 } };
    paused.apply(alarmInput('ALARM', T0));
    const { body } = pageMessage(
      { kind: 'page', page: 'escalation', incident: paused.incident as Incident },
      runbook,
      context,
    );

    expect(body).not.toContain('npx remediate retry');
    expect(body).not.toContain('npx remediate run');
    expect(body).toContain(`$ npx remediate take ${paused.incident?.id} --table Prod-Incidents`);
    expect(body).toContain('       $ npx remediate resume --runbook disk-full --table Prod-Incidents');
    // The refusal says why once.
    expect(body).not.toContain('Why paged:');
    expect(body).toContain('Refused:   kill-switch gate at');
  });
});

describe('the commands a page prints', () => {
  const context = { tableName: 'Prod-Incidents', operatorFunction: 'Prod-Operator' };
  /** Every `npx remediate …` command in a text, up to the end of its line or its JSON string. */
  const commands = (text: string) => [...text.matchAll(/npx remediate [^\n"\\]*/g)].map((m) => m[0].trim());

  it('name the operator function when they act and the table when they read, so that each works as printed', async () => {
    const { OPERATOR_VERBS } = await import('../../functions/core/page-formats/next-steps.ts');
    const fleet = await import('../../functions/core/fleet-messages.ts');
    const runbook = defineRunbook({ ...testRunbook, diagnose: 'diagnose.sh' });
    const incident = escalated('oops', '');
    const paused: Incident = {
      ...incident,
      escalation: {
        ...(incident.escalation as Escalation),
        reason: 'refused by the kill-switch gate: automation paused for this runbook by ana: failover',
      },
    };
    const texts = [
      snsMessage({ kind: 'page', page: 'escalation', incident }, runbook, context).Message,
      snsMessage({ kind: 'page', page: 'escalation', incident: paused }, runbook, context).Message,
      JSON.stringify(
        fleet.pausedNotice(
          runbook,
          { reason: 'failover', by: 'ana', since: T0, scope: 'this runbook' },
          context,
        ),
      ),
      JSON.stringify(
        fleet.dryRunNotice(
          runbook,
          { mode: 'dry-run', reason: 'failing', by: 'fleet guard', since: T0 },
          context,
        ),
      ),
    ];
    const printed = texts.flatMap(commands);
    const acting = printed.filter((c) =>
      [...OPERATOR_VERBS].some((verb) => c.startsWith(`npx remediate ${verb} `)),
    );
    const reading = printed.filter((c) => !acting.includes(c));
    // An escalation's retry, run, snooze and take; the paused page's resume; the notices' resume and enforce.
    expect(acting.map((c) => c.split(' ')[2])).toEqual(
      expect.arrayContaining(['retry', 'run', 'snooze', 'take', 'resume', 'runbooks']),
    );
    for (const command of acting) {
      expect(command).toContain('--function Prod-Operator');
      expect(command).not.toContain('--table');
    }
    expect(reading.length).toBeGreaterThan(0);
    for (const command of reading) {
      if (command.startsWith('npx remediate ')) expect(command).toContain('--table Prod-Incidents');
    }
    // Without the function's name (a page from an older deploy, the game day), the table, as before.
    const tableOnly = commands(
      snsMessage({ kind: 'page', page: 'escalation', incident }, runbook, { tableName: 'Prod-Incidents' })
        .Message,
    );
    expect([...new Set(tableOnly.filter((c) => c.startsWith('npx remediate retry')))]).toEqual([
      `npx remediate retry ${incident.id} --table Prod-Incidents`,
    ]);
  });
});
