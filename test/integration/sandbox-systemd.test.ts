import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { RUNBOOKS_DIRECTORY } from '../../lib/project-paths.ts';
import { proofTimeoutSeconds, proveRunbook } from '../../local/runbook-proof.ts';
import {
  CHRONYC_SCRIPT,
  JOURNALCTL_SCRIPT,
  SUPERVISE_SCRIPT,
  SVC_SCRIPT,
  SYSTEMCTL_SCRIPT,
} from '../../local/sandbox/guest-scripts.ts';
import { createSandbox, type Sandbox } from '../../local/sandbox.ts';
import { runbooks } from '../../runbooks/index.ts';

const live: Sandbox[] = [];

/** A sandbox that afterEach destroys, whatever the test did. */
async function sandbox(): Promise<Sandbox> {
  const created = await createSandbox();
  live.push(created);
  return created;
}

/** Runs a script and returns its stdout, with stderr after a `--` line when there is any. */
async function run(sbx: Sandbox, script: string): Promise<string> {
  const result = await sbx.run(script, { timeoutSeconds: 30 });
  return result.stderr ? `${result.stdout}--\n${result.stderr}` : result.stdout;
}

/** Defines the sandbox service NAME: `body`, a bash script, runs in the foreground. */
const service = (name: string, body: string) => `
mkdir -p /etc/sandbox/services
cat > /etc/sandbox/services/${name} <<'EOF'
#!/bin/bash
${body}
EOF
chmod +x /etc/sandbox/services/${name}
`;

/** A heartbeat line every 0.1 s; SIGHUP is logged, as a reload. */
const HEARTBEAT = service(
  'beat',
  `echo "beat: started"
trap 'echo "beat: reloaded"' HUP
while :; do echo "beat: heartbeat"; sleep 0.1; done`,
);

describe("the sandbox's systemctl and journalctl", () => {
  afterEach(async () => {
    await Promise.all(live.splice(0).map((s) => s.destroy()));
  });

  it("are systemd's to a script: /run/systemd/system, and systemctl and journalctl of its own", async () => {
    const sbx = await sandbox();

    const out = await run(
      sbx,
      `[ -d /run/systemd/system ] && echo systemd
      command -v systemctl journalctl
      cat /proc/self/cgroup | tail -n 1`,
    );

    expect(out).toBe('systemd\n/opt/sandbox/bin/systemctl\n/opt/sandbox/bin/journalctl\n0::/\n');
  });

  it('start, is-active, show and status a running unit, by NAME or NAME.service; journalctl -u prints its output', async () => {
    const sbx = await sandbox();
    const before = await run(sbx, `${HEARTBEAT} systemctl is-active beat; echo "is-active $?"`);

    const out = await run(
      sbx,
      `systemctl start beat.service; echo "start $?"
      systemctl is-active beat; echo "is-active $?"
      systemctl is-active --quiet beat.service; echo "quiet $?"
      sleep 0.5
      systemctl show -p LoadState,ActiveState -p SubState --property=Result beat
      pid=$(systemctl show -p MainPID --value beat.service)
      [ "$pid" = "$(cat /run/svc/beat.pid)" ] && [ "$(cat "/proc/$pid/comm")" = beat ] && echo "MainPID is beat"
      systemctl status --no-pager -n 2 beat; echo "status $?"
      journalctl -u beat.service -n 3 --no-pager -q | sort | uniq -c | sed 's/^ *//'
      journalctl -u beat -o cat --no-pager | head -n 1`,
    );

    expect(before).toBe('inactive\nis-active 3\n');
    expect(out).toMatch(
      new RegExp(
        [
          '^start 0\nactive\nis-active 0\nquiet 0\n',
          'LoadState=loaded\nActiveState=active\nSubState=running\nResult=success\nMainPID is beat\n',
          '● beat\\.service - beat\\.service\n',
          ' {5}Loaded: loaded \\(/etc/sandbox/services/beat; static\\)\n',
          ' {5}Active: active \\(running\\) since \\w{3} [\\d-]+ [\\d:]+ \\w+; \\d+s ago\n',
          ' {3}Main PID: \\d+ \\(beat\\)\n\n',
          'beat: heartbeat\nbeat: heartbeat\nstatus 0\n',
          '3 beat: heartbeat\nbeat: started\n$',
        ].join(''),
      ),
    );
  });

  it('a crashed unit is failed, with the Result and exit status systemd records, until reset-failed or a restart', async () => {
    const sbx = await sandbox();
    await run(sbx, `${HEARTBEAT} systemctl start beat`);

    const crashed = await run(
      sbx,
      `old=$(systemctl show -p MainPID --value beat)
      echo "$old" > /tmp/old
      kill -KILL "$old"; sleep 0.3
      systemctl is-active beat; echo "is-active $?"
      systemctl is-failed beat; echo "is-failed $?"
      systemctl show -p ActiveState,SubState,Result,ExecMainCode,ExecMainStatus,MainPID beat
      [ "$(systemctl show -p ExecMainPID --value beat)" = "$old" ] && echo "ExecMainPID is the crashed one"
      systemctl status -n 0 beat | tail -n 2 | sed "s/$old/PID/; s/ since .*//"; echo "status \${PIPESTATUS[0]}"`,
    );
    const reset = await run(
      sbx,
      'systemctl reset-failed beat.service; echo "reset $?"; systemctl is-active beat; systemctl show -p Result --value beat',
    );
    const restarted = await run(
      sbx,
      `systemctl restart beat; echo "restart $?"
      systemctl is-active beat
      [ "$(systemctl show -p MainPID --value beat)" != "$(cat /tmp/old)" ] && echo "a new MainPID"`,
    );

    expect(crashed).toBe(
      [
        'failed',
        'is-active 3',
        'failed',
        'is-failed 0',
        'ActiveState=failed',
        'SubState=failed',
        'Result=signal',
        'ExecMainCode=2',
        'ExecMainStatus=9',
        'MainPID=0',
        'ExecMainPID is the crashed one',
        '    Process: PID ExecStart=/etc/sandbox/services/beat (code=killed, signal=KILL)',
        '   Main PID: PID (code=killed, signal=KILL)',
        'status 3',
        '',
      ].join('\n'),
    );
    expect(reset).toBe('reset 0\ninactive\nsuccess\n');
    expect(restarted).toBe('restart 0\nactive\na new MainPID\n');
  });

  it('a unit that exits is inactive after exit 0 and failed with its status after another', async () => {
    const sbx = await sandbox();

    const out = await run(
      sbx,
      `${service('once', 'echo done')}
      ${service('bad', 'echo "FATAL: bad config" >&2; exit 78')}
      systemctl start once bad; echo "start $?"
      sleep 0.5
      systemctl show -p ActiveState,Result,ExecMainCode,ExecMainStatus once bad
      journalctl -u bad -q`,
    );

    expect(out).toBe(
      [
        'start 0',
        'ActiveState=inactive',
        'Result=success',
        'ExecMainCode=1',
        'ExecMainStatus=0',
        '',
        'ActiveState=failed',
        'Result=exit-code',
        'ExecMainCode=1',
        'ExecMainStatus=78',
        'FATAL: bad config',
        '',
      ].join('\n'),
    );
  });

  it('stop: SIGTERM to the process group, a clean stop; SIGKILL after 5 s is a timeout', async () => {
    const sbx = await sandbox();

    const out = await run(
      sbx,
      `${service('forks', 'sleep 300 & sleep 300')}
      ${service('stubborn', "trap '' TERM; while :; do sleep 0.1; done")}
      systemctl start forks stubborn
      systemctl stop forks.service; echo "stop $?"
      systemctl show -p ActiveState,Result forks
      ps -eo args= | grep -c '^sleep 300$' | sed 's/^/sleeps left: /'
      start=$(date +%s)
      systemctl stop stubborn; echo "stop $? after $(( $(date +%s) - start ))s"
      systemctl show -p ActiveState,Result,ExecMainStatus stubborn`,
    );

    expect(out).toMatch(
      /^stop 0\nActiveState=inactive\nResult=success\nsleeps left: 0\nstop 0 after [56]s\nActiveState=failed\nResult=timeout\nExecMainStatus=9\n$/,
    );
  });

  it('exits as systemctl does for a unit that does not exist, and for other unit types', async () => {
    const sbx = await sandbox();

    const out = await run(
      sbx,
      `systemctl start nope; echo "start $?"
      systemctl restart nope.service; echo "restart $?"
      systemctl stop nope; echo "stop $?"
      systemctl status nope; echo "status $?"
      systemctl is-active nope; echo "is-active $?"
      systemctl is-failed nope; echo "is-failed $?"
      systemctl is-enabled nope; echo "is-enabled $?"
      systemctl show -p LoadState,ActiveState,MainPID nope
      systemctl show -p LoadState --value reboot.target
      systemctl restart reboot.target; echo "restart target $?"
      systemctl frobnicate nope; echo "verb $?"
      systemctl --bogus status nope; echo "option $?"`,
    );

    expect(out).toBe(
      [
        'start 5',
        'restart 5',
        'stop 5',
        'status 4',
        'inactive',
        'is-active 3',
        'inactive',
        'is-failed 1',
        'not-found',
        'is-enabled 4',
        'LoadState=not-found',
        'ActiveState=inactive',
        'MainPID=0',
        'not-found',
        'restart target 5',
        'verb 1',
        'option 1',
        '--',
        'Failed to start nope.service: Unit nope.service not found.',
        'Failed to restart nope.service: Unit nope.service not found.',
        'Failed to stop nope.service: Unit nope.service not loaded.',
        'Unit nope.service could not be found.',
        'Failed to restart reboot.target: Unit reboot.target not found.',
        "Unknown command verb 'frobnicate'.",
        "systemctl: unrecognized option '--bogus'",
        '',
      ].join('\n'),
    );
  });

  it('reload sends SIGHUP to the main process; kill sends the signal asked for', async () => {
    const sbx = await sandbox();

    const out = await run(
      sbx,
      `${HEARTBEAT}
      systemctl reload beat; echo "reload inactive $?"
      systemctl start beat; sleep 0.2
      systemctl reload beat.service; echo "reload $?"; sleep 0.3
      journalctl -u beat -o cat | grep -c reloaded
      systemctl is-active beat
      systemctl kill --kill-whom=main -s HUP beat; echo "kill HUP $?"; sleep 0.3
      journalctl -u beat -o cat | grep -c reloaded
      systemctl kill -s SIGBOGUS beat; echo "kill bogus $?"
      systemctl kill --signal=SIGKILL beat; echo "kill $?"; sleep 0.3
      systemctl show -p ActiveState,Result,ExecMainStatus beat
      systemctl kill -s 9 beat; echo "kill inactive $?"`,
    );

    expect(out).toBe(
      [
        'reload inactive 1',
        'reload 0',
        '1',
        'active',
        'kill HUP 0',
        '2',
        'kill bogus 1',
        'kill 0',
        'ActiveState=failed',
        'Result=signal',
        'ExecMainStatus=9',
        'kill inactive 0',
        '--',
        'beat.service is not active, cannot reload.',
        'Failed to parse signal string SIGBOGUS.',
        '',
      ].join('\n'),
    );
  });

  it('mask, unmask, is-enabled, daemon-reload, list-units and list-unit-files', async () => {
    const sbx = await sandbox();

    const out = await run(
      sbx,
      `${HEARTBEAT}
      ${service('idle', 'sleep 300')}
      systemctl is-enabled beat; echo "is-enabled $?"
      systemctl daemon-reload; echo "daemon-reload $?"
      systemctl start beat
      systemctl list-units --type=service --no-pager
      systemctl list-units --type=service --all --no-legend
      systemctl list-units --type=socket --no-legend | wc -l
      systemctl list-unit-files --no-legend 'be*'
      systemctl mask idle; echo "mask $?"
      systemctl start idle; echo "start masked $?"
      systemctl show -p LoadState --value idle
      systemctl is-enabled idle; echo "is-enabled masked $?"
      systemctl unmask idle && systemctl start idle && systemctl is-active idle`,
    );

    expect(out).toBe(
      [
        'static',
        'is-enabled 0',
        'daemon-reload 0',
        'UNIT         LOAD   ACTIVE SUB     DESCRIPTION',
        'beat.service loaded active running beat.service',
        '',
        '1 loaded units listed.',
        'beat.service loaded active   running beat.service',
        'idle.service loaded inactive dead    idle.service',
        '0',
        'beat.service static -',
        'mask 0',
        'start masked 1',
        'masked',
        'masked',
        'is-enabled masked 1',
        'active',
        '--',
        'Failed to start idle.service: Unit idle.service is masked.',
        '',
      ].join('\n'),
    );
  });

  it('journalctl: -n, -o cat, -r, -q, --since accepted, vacuum; no kernel log, no --follow', async () => {
    const sbx = await sandbox();

    const out = await run(
      sbx,
      `${service('lines', 'for i in 1 2 3 4 5; do echo "line $i"; done; sleep 300')}
      systemctl start lines; sleep 0.3
      journalctl -u lines.service -n 2 --no-pager
      journalctl -u lines -n2 -r -o cat
      journalctl -u lines --since "1 hour ago" -q | wc -l
      journalctl -u nope; echo "nope $?"
      journalctl -u nope -q; echo "nope quiet $?"
      journalctl --vacuum-size=200M; echo "vacuum $?"
      journalctl -k -q --no-pager -n 10; echo "kernel $?"
      journalctl -u lines -f; echo "follow $?"`,
    );

    expect(out).toBe(
      [
        'line 4',
        'line 5',
        'line 5',
        'line 4',
        '5',
        '-- No entries --',
        'nope 0',
        'nope quiet 0',
        "Vacuuming done, freed 0B of archived journals (the sandbox's service logs are never archived).",
        'vacuum 0',
        'kernel 1',
        'follow 1',
        '--',
        'journalctl: -k is not supported in the sandbox: the sandbox has no kernel log',
        'journalctl: -f is not supported in the sandbox: a command must end',
        '',
      ].join('\n'),
    );
  });

  it('chronyc reads and steps the clock error a stand-in chronyd keeps, and cannot talk to a stopped one', async () => {
    const sbx = await sandbox();

    const out = await run(
      sbx,
      `${service('chronyd', 'sleep 300')}
      mkdir -p /run/chrony; echo -5.25 > /run/chrony/offset
      command -v chronyc
      chronyc tracking; echo "tracking down $?"
      chronyc waitsync 2 0 0 0.1; echo "waitsync down $?"
      systemctl start chronyd
      chronyc -n tracking | grep -E '^(System time|Leap status)'
      chronyc waitsync 2 0.5 0 0.1; echo "waitsync over $?"
      chronyc -n sources -v | tail -n 1
      chronyc makestep; echo "makestep $?"
      cat /run/chrony/offset
      chronyc waitsync 2 0.5 0 0.1; echo "waitsync $?"
      chronyc frobnicate; echo "command $?"
      chronyc --bogus tracking; echo "option $?"`,
    );

    expect(out).toBe(
      [
        '/opt/sandbox/bin/chronyc',
        'tracking down 1',
        'try: 1, refid: 00000000, correction: 0.000000000, skew: 0.000',
        'try: 2, refid: 00000000, correction: 0.000000000, skew: 0.000',
        'waitsync down 1',
        'System time     : 5.250000000 seconds slow of NTP time',
        'Leap status     : Normal',
        'try: 1, refid: 7F7F0101, correction: 5.250000000, skew: 0.000',
        'try: 2, refid: 7F7F0101, correction: 5.250000000, skew: 0.000',
        'waitsync over 1',
        '#* sandbox                      0    4   377      1 5.250000000s',
        '200 OK',
        'makestep 0',
        '0.000000',
        'try: 1, refid: 7F7F0101, correction: 0.000000000, skew: 0.000',
        'waitsync 0',
        'command 1',
        'option 1',
        '--',
        '506 Cannot talk to daemon',
        'Unrecognized command',
        "chronyc: unrecognized option '--bogus'",
        '',
      ].join('\n'),
    );
  });

  it("a unit outlives the command that started it, which holds none of the command's files open", async () => {
    const sbx = await sandbox();

    // fd 3 is the command's stdout: a service that kept it open would hold the command to its timeout.
    const started = await sbx.run(`${HEARTBEAT} exec 3>&1; systemctl start beat; echo started; sleep 30`, {
      timeoutSeconds: 1,
    });
    const quick = await sbx.run('exec 3>&1 4>&2; systemctl restart beat; echo restarted', {
      timeoutSeconds: 10,
    });
    const after = await run(
      sbx,
      'systemctl is-active beat; ls -l /proc/"$(systemctl show -p MainPID --value beat)"/fd | grep -c pipe',
    );

    expect(started).toMatchObject({ timedOut: true, stdout: 'started\n' });
    expect(quick).toMatchObject({ timedOut: false, exitCode: 0, stdout: 'restarted\n' });
    // Returned when the restart did, not held to its 10 s timeout by the service's copy of fd 3.
    expect(quick.durationMs).toBeLessThan(9000);
    expect(after).toBe('active\n0\n');
  });
});

describe('the guest scripts', () => {
  it('are shellcheck-clean', () => {
    const dir = mkdtempSync(join(tmpdir(), 'guest-scripts-'));
    try {
      const scripts = {
        svc: SVC_SCRIPT,
        supervise: SUPERVISE_SCRIPT,
        systemctl: SYSTEMCTL_SCRIPT,
        journalctl: JOURNALCTL_SCRIPT,
        chronyc: CHRONYC_SCRIPT,
      };
      const files = Object.entries(scripts).map(([name, text]) => {
        writeFileSync(join(dir, name), text);
        return join(dir, name);
      });
      const check = spawnSync('shellcheck', ['--shell=bash', '--severity=style', '--norc', '--', ...files], {
        encoding: 'utf8',
      });
      expect(check.error, 'shellcheck must be on PATH (apt-get install -y shellcheck)').toBeUndefined();
      expect(check.stdout).toBe('');
      expect(check.status).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the runbooks run the systemd branch EC2 runs', () => {
  const scripts = readdirSync(RUNBOOKS_DIRECTORY, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .flatMap((folder) =>
      readdirSync(join(RUNBOOKS_DIRECTORY, folder.name))
        .filter((file) => file.endsWith('.sh'))
        .map((file) => `${folder.name}/${file}`),
    );

  it('no shipped script calls svc or reads its files', () => {
    const calling = scripts.filter((file) =>
      /(^|[\s;|&(`])svc\s|\/run\/svc\b|\/var\/log\/\$\{?service/m.test(
        readFileSync(join(RUNBOOKS_DIRECTORY, file), 'utf8'),
      ),
    );

    expect(scripts.length).toBeGreaterThan(10);
    expect(calling).toEqual([]);
  });

  it('no script that runs on an instance asks whether it runs in the sandbox', () => {
    // Only a proof's fault and probe may know the sandbox; the actions and diagnoses run the lines
    // an instance runs, so that the proof proves them.
    const onInstance = scripts.filter((file) => !/\/(fault|probe)\.sh$/.test(file));
    const asking = onInstance.filter((file) =>
      /\/etc\/sandbox|\/run\/chrony\/offset|\/opt\/sandbox|\bsandbox\b.*\]/.test(
        readFileSync(join(RUNBOOKS_DIRECTORY, file), 'utf8'),
      ),
    );

    expect(onInstance.length).toBeGreaterThan(5);
    expect(asking).toEqual([]);
  });

  it('no probe, which also checks each remedy on the instance, depends on the sandbox', () => {
    // A probe reads what the instance has first; only the clock's stand-in state may follow, as the
    // last fallback (a sandbox cannot set its clock), after chrony's and timesyncd's own readings.
    const probes = scripts.filter((file) => /probe\.sh$/.test(file));
    const asking = probes.filter((file) =>
      /\/etc\/sandbox|\/opt\/sandbox|\bsandbox\b.*\]/.test(
        readFileSync(join(RUNBOOKS_DIRECTORY, file), 'utf8'),
      ),
    );
    const stand = readFileSync(join(RUNBOOKS_DIRECTORY, 'time-drift/probe.sh'), 'utf8');

    // Six proof probes, and runaway-cpu's own verify probe.
    expect(probes.length).toBe(7);
    expect(asking).toEqual([]);
    expect(stand.indexOf('[ -r /run/chrony/offset ]')).toBeGreaterThan(
      stand.indexOf('timedatectl timesync-status 2>'),
    );
  });

  const expected: Record<string, { diagnose: RegExp; action: RegExp }> = {
    'service-down': {
      diagnose: /ActiveState=failed\nSubState=failed\nResult=signal\nExecMainCode=2\nExecMainStatus=9\n/,
      action:
        /service-down: app is failed; restarting it with systemctl .*\n.*cleared the failed state \(systemctl reset-failed\)/,
    },
    'memory-leak': {
      diagnose: /ActiveState=active\nSubState=running\n/,
      action: /memory-leak: restarting app with systemctl /,
    },
    'time-drift': {
      diagnose: /== chronyd\.service: inactive, static\n/,
      action:
        /restarted chronyd\.service: active\n {2}chronyc makestep: 200 OK\n[\s\S]*System time {5}: 0\.0+ seconds/,
    },
  };
  for (const [name, shows] of Object.entries(expected)) {
    const runbook = runbooks.find((r) => r.name === name);
    it(
      `${name}: its proof holds, and its diagnosis and action used systemctl`,
      async () => {
        if (!runbook) throw new Error(`no runbook ${name}`);
        const report = await proveRunbook(runbook);

        const failed = report.steps
          .filter((s) => !s.ok)
          .map((s) => `${s.name}: ${s.detail}\n${s.run?.stderr ?? ''}`);
        expect(report.held, failed.join('\n')).toBe(true);
        const step = (prefix: string) =>
          report.steps.find((s) => s.name.startsWith(prefix))?.run?.stdout ?? '';
        expect(step('diagnose')).toMatch(shows.diagnose);
        expect(step('attempt 1')).toMatch(shows.action);
      },
      (proofTimeoutSeconds(runbook ?? {}) + 30) * 1000,
    );
  }
});
