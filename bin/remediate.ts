#!/usr/bin/env -S node --import tsx
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { describeFleet, fleetGuardFor } from '../cli/fleet.ts';
import { incidentLines, incidentStory, readIncidents } from '../cli/incidents.ts';
import { describePauses, killSwitchFor } from '../cli/kill-switch.ts';
import {
  awsOperatorClients,
  functionNeeded,
  NOT_ANNOUNCED,
  OPERATOR_COMMANDS,
  type OperatorCommand,
  operatorFunctionName,
  runOperatorCommand,
} from '../cli/operator-client.ts';
import { requestResync } from '../cli/resync-request.ts';
import { runWeeklyReport } from '../cli/weekly-report.ts';
import { closest } from '../functions/core/edit-distance.ts';
import type { Runbook } from '../functions/core/runbook.ts';
import { runbookSetProblems } from '../functions/core/runbook-overlap.ts';
import { minutesAndSeconds, worstCaseTimeToPage } from '../functions/core/time-to-page.ts';
import { explainEvent } from '../local/authoring/explain.ts';
import { newRunbook } from '../local/authoring/new-runbook.ts';
import {
  alarmsPlanModule,
  gameDayModules,
  proofModule,
  runbooksFromDirectory,
} from '../local/authoring/on-demand.ts';
import { checkRunbookFolders, registryIsCurrent } from '../local/authoring/validate.ts';
import type { WebhookFormat } from '../local/gameday/webhook.ts';
import {
  type BrokenRunbook,
  discoverRunbookFolders,
  indexIsCurrent,
  loadRunbookFolders,
  writeIndex,
} from '../runbooks/discover.ts';

/** A command of the CLI: its usage, its help text, and what it does. Returns the exit code. */
interface Command {
  readonly usage: string;
  readonly help: string;
  readonly run: (args: readonly string[], options: Options) => Promise<number>;
}

/** The options any command may take. */
type Options = {
  since?: string;
  html?: string;
  'minutes-per-fix'?: string;
  scenario?: string;
  instances?: string;
  speed?: string;
  alarms?: string;
  report?: string;
  webhook?: string;
  'webhook-format'?: string;
  out?: string;
  runbook?: string;
  reason?: string;
  table?: string;
  endpoint?: string;
  region?: string;
  by?: string;
  'instance-tag'?: string[];
  mode?: string;
  'runbooks-dir'?: string;
  function?: string;
  proposal?: string;
  full?: boolean;
  from?: string;
};

/** Scenario names are file names in scenarios/. */
const SCENARIO_NAME = /^[a-z0-9-]{1,64}$/;

const TABLE_OPTIONS = '[--table NAME] [--region REGION] [--endpoint URL]';
const TABLE_HELP =
  '\n\nThe table is the stack output IncidentTableName (or REMEDIATION_TABLE); AWS credentials and Region come\n' +
  'from the environment as for the AWS CLI. --endpoint points at DynamoDB Local.';

const OPERATOR_OPTIONS = '[--function NAME] [--by WHO] [--region REGION]';
const OPERATOR_HELP =
  '\n\nGoes through the operator function (--function NAME, the stack output OperatorFunctionName, or\n' +
  'REMEDIATION_OPERATOR_FUNCTION), with your AWS credentials: IAM decides who may (lambda:InvokeFunction on it).\n' +
  'It is recorded on the incident with who (your STS caller ARN, or --by) and when; the answer says done or\n' +
  'why not, and the exit code is 1 when it was refused. An incident is named by its id or a unique prefix\n' +
  'of it (at least 6 characters).';
const VIA_FUNCTION_HELP =
  '\n\nWith --function NAME (the stack output OperatorFunctionName) or REMEDIATION_OPERATOR_FUNCTION, it goes\n' +
  'through the operator function, which announces the change to the pager and chat; without, it writes the\n' +
  'table directly and announces nothing.';

/**
 * Runs an operator command through the operator function when one is named; otherwise, a command
 * about an incident says it needs the function, and a fleet command runs `direct` (the table) and
 * notes that nothing is announced.
 */
async function viaOperator(
  command: OperatorCommand,
  args: readonly string[],
  options: Options,
  direct?: () => Promise<number>,
): Promise<number> {
  const functionName = operatorFunctionName(options);
  if (!functionName) {
    if (!direct) {
      console.error(functionNeeded(`remediate ${command}`));
      return 2;
    }
    const code = await direct();
    // On stderr: what the command printed stays as it was, for scripts that read it.
    if (code === 0) console.error(NOT_ANNOUNCED);
    return code;
  }
  return runOperatorCommand(command, args, options, {
    functionName,
    clients: await awsOperatorClients(options.region),
  });
}

const commands: Record<string, Command> = {
  approve: {
    usage: `remediate approve <incident id or prefix> [--proposal ID] ${OPERATOR_OPTIONS}`,
    help:
      "Approves an incident's proposal (a runbook in approve mode proposed an action and paged it): the exact\n" +
      'action, parameters and instance proposed run once, if every gate still allows it now. Without\n' +
      `--proposal, the incident's current proposal.${OPERATOR_HELP}`,
    run: (args, options) => viaOperator('approve', args, options),
  },
  deny: {
    usage: `remediate deny <incident id or prefix> [--proposal ID] ${OPERATOR_OPTIONS}`,
    help:
      "Denies an incident's proposal: nothing runs, and the incident is escalated, owned by you; the alarm's OK\n" +
      `still closes it.${OPERATOR_HELP}`,
    run: (args, options) => viaOperator('deny', args, options),
  },
  retry: {
    usage: `remediate retry <incident id or prefix> ${OPERATOR_OPTIONS}`,
    help: `Starts a new attempt on an open incident now, through every gate.${OPERATOR_HELP}`,
    run: (args, options) => viaOperator('retry', args, options),
  },
  run: {
    usage: `remediate run <incident id or prefix> <action> ${OPERATOR_OPTIONS}`,
    help:
      "Runs one action of the incident's runbook (diagnose included) on its instance now, through every gate;\n" +
      `its output is recorded on the incident.${OPERATOR_HELP}`,
    run: (args, options) => viaOperator('run', args, options),
  },
  snooze: {
    usage: `remediate snooze <incident id or prefix> <duration> ${OPERATOR_OPTIONS}`,
    help:
      'Stands automation down on an incident for a while (30m, 1h, 2h30m; 5 minutes to 24 hours): if the alarm\n' +
      `is still in ALARM afterwards, it pages again.${OPERATOR_HELP}`,
    run: (args, options) => viaOperator('snooze', args, options),
  },
  take: {
    usage: `remediate take <incident id or prefix> ${OPERATOR_OPTIONS}`,
    help: `Takes an incident over: automation stands down, it is yours; the alarm's OK still closes it.${OPERATOR_HELP}`,
    run: (args, options) => viaOperator('take', args, options),
  },
  pause: {
    usage: `remediate pause [--runbook NAME] --reason TEXT [--function NAME] ${TABLE_OPTIONS}`,
    help:
      'Pauses automation for every runbook, or for one: from the next decision on, alarms are recorded and\n' +
      'paged as "automation paused", and nothing runs.' +
      VIA_FUNCTION_HELP +
      TABLE_HELP,
    run: async (args, options) => {
      if (!options.reason?.trim())
        return usageError('pause needs --reason "..." : the page and the record say why');
      return viaOperator('pause', args, options, () => pauseDirect(options));
    },
  },
  resume: {
    usage: `remediate resume [--runbook NAME] [--function NAME] ${TABLE_OPTIONS}`,
    help:
      'Lifts a pause set with remediate pause (for every runbook, or for one), and asks the stack to look again\n' +
      'at once at every alarm still in ALARM: each is then remediated, or paged, on its own.' +
      VIA_FUNCTION_HELP +
      TABLE_HELP,
    run: (args, options) => viaOperator('resume', args, options, () => resumeDirect(options)),
  },
  status: {
    usage: `remediate status ${TABLE_OPTIONS}`,
    help:
      'Shows every pause in force, then each runbook: enforce or dry-run (and who switched it), its fleet\n' +
      `breaker, the commands in flight against its limit and those started this hour against its budget.${TABLE_HELP}`,
    run: async (_args, options) => {
      for (const line of await describePauses(killSwitchFor(options))) console.log(line);
      const { runbooks, broken } = await checkout();
      for (const line of await describeFleet(fleetGuardFor(options), runbooks, Date.now())) console.log(line);
      for (const { folder, problem } of broken)
        console.log(`${folder}: its definition does not load in this checkout: ${firstLine(problem)}`);
      return 0;
    },
  },
  'breaker close': {
    usage: `remediate breaker close --runbook NAME --reason TEXT [--by WHO] [--function NAME] ${TABLE_OPTIONS}`,
    help:
      "Closes a runbook's open fleet breaker, once the shared cause is dealt with: automation acts on new alarms\n" +
      'at once (alarms from before the close do not count again), and the stack is asked to look again at the\n' +
      'instances still in ALARM: each is then remediated or paged on its own, and the close is announced with\n' +
      `them.${VIA_FUNCTION_HELP}${TABLE_HELP}`,
    run: async (args, options) => {
      if (!options.runbook) return usageError('breaker close needs --runbook NAME');
      if (!options.reason?.trim())
        return usageError('breaker close needs --reason "..." : the record says why');
      return viaOperator('breaker close', args, options, () => breakerCloseDirect(options));
    },
  },
  'runbooks approve-mode': {
    usage: `remediate runbooks approve-mode <name> --reason TEXT [--by WHO] [--function NAME] ${TABLE_OPTIONS}`,
    help:
      'Switches a runbook to approve mode in a deployed stack: it makes the full decision, with every gate, and\n' +
      'pages a proposal (the exact action, parameters and instance) instead of running it; a person approves\n' +
      '(remediate approve) or denies it before it expires. runbooks enforce lifts the switch.' +
      VIA_FUNCTION_HELP +
      TABLE_HELP,
    run: async (args, options) => {
      if (!args[0]) return usageError('runbooks approve-mode needs the name of a runbook');
      if (!options.reason?.trim()) return usageError('runbooks approve-mode needs --reason "..."');
      return viaOperator('runbooks approve-mode', args, options, () =>
        setModeDirect(args[0] as string, 'approve', options),
      );
    },
  },
  'runbooks dry-run': {
    usage: `remediate runbooks dry-run <name> --reason TEXT [--by WHO] [--function NAME] ${TABLE_OPTIONS}`,
    help:
      'Switches a runbook to dry-run in a deployed stack: it keeps deciding and recording what it would run,\n' +
      'runs nothing, and pages for each alarm. Auto-disable does the same when too few runs are verified.' +
      VIA_FUNCTION_HELP +
      TABLE_HELP,
    run: async (args, options) => {
      if (!args[0]) return usageError('runbooks dry-run needs the name of a runbook');
      if (!options.reason?.trim()) return usageError('runbooks dry-run needs --reason "..."');
      return viaOperator('runbooks dry-run', args, options, () =>
        setModeDirect(args[0] as string, 'dry-run', options),
      );
    },
  },
  'runbooks enforce': {
    usage: `remediate runbooks enforce <name> [--function NAME] ${TABLE_OPTIONS}`,
    help:
      'Lets a runbook switched to dry-run or approve mode (by auto-disable or by an operator) act again; the runs\n' +
      `that switched it off are forgotten, so auto-disable judges it afresh.${VIA_FUNCTION_HELP}${TABLE_HELP}`,
    run: async (args, options) => {
      const [name] = args;
      if (!name) return usageError('runbooks enforce needs the name of a runbook');
      return viaOperator('runbooks enforce', args, options, async () => {
        const cleared = await fleetGuardFor(options).clearMode(name, Date.now());
        console.log(cleared ? `runbook ${name} acts again` : `runbook ${name} was not switched to dry-run`);
        return 0;
      });
    },
  },
  gameday: {
    usage:
      'remediate gameday [--scenario NAME | --runbook NAME] [--instances N] [--speed X] [--alarms fleet|per-instance] [--report FILE] [--webhook URL [--webhook-format json|slack|teams]] [--out DIR]',
    help:
      'Runs a game day on this machine, no AWS account needed: DynamoDB Local, a fleet of sandboxed instances,\n' +
      "CloudWatch's alarm rules over real measurements, the stack's event patterns on a local bus, the real\n" +
      'handlers and decider, timers in compressed time, and a pager on the terminal (and in a JSON Lines file,\n' +
      'and POSTed to --webhook). Faults are real in the sandboxes. Exits 0 only if every expectation held.\n\n' +
      '  --scenario NAME   scenarios/NAME.ts (default: default; an unknown name lists them all)\n' +
      '  --runbook NAME    one runbook on its own: its proof fault on one of two instances, its alarm,\n' +
      '                    fixed by automation (enforce) or once on call approves (approve, dry-run)\n' +
      "  --instances N     fleet size (default: the scenario's, 8)\n" +
      "  --speed X         virtual seconds per real second (default: the scenario's, 60)\n" +
      '  --alarms MODE     fleet: one Metrics Insights alarm per runbook, each instance a contributor;\n' +
      "                    per-instance: one alarm per instance (default: the scenario's, fleet)\n" +
      '  --report FILE     the HTML report (default: OUT/report.html)\n' +
      '  --webhook URL     also POST each page and fleet notice there\n' +
      '  --webhook-format  json: the page as pages.jsonl records it (default); slack: a Slack incoming\n' +
      '                    webhook message (text and blocks); teams: an Adaptive Card message, for a\n' +
      '                    Teams Workflows webhook\n' +
      '  --out DIR         pages.jsonl and the report (default: gameday-out)\n' +
      '\nNeeds Linux user namespaces (the sandboxes) and Java (DynamoDB Local).',
    run: async (_args, options) => {
      // Before the game day's modules load: they import the registry, and every runbook with it.
      if (!indexIsCurrent()) return refuseStale('the game day deploys the registered runbooks');
      const { broken } = await checkout();
      if (broken.length > 0) return refuseBroken(broken, 'the game day deploys every runbook');
      const {
        runGameDay,
        GameDayOutput,
        loadScenario,
        scenarioNames,
        scenarioForRunbook,
        webhookFormatError,
      } = await gameDayModules();
      const name = options.scenario ?? 'default';
      if (!SCENARIO_NAME.test(name)) return usageError(`--scenario: "${name}" is not a scenario name`);
      const webhookFormat = options['webhook-format'];
      if (webhookFormat !== undefined) {
        const wrong = webhookFormatError(webhookFormat);
        if (wrong) return usageError(wrong);
        if (!options.webhook) return usageError('--webhook-format: give the --webhook URL to post to');
      }
      // The game day runs on this machine's Node; the SDK's notice about future Node versions is for
      // deployments (the functions run on nodejs22.x) and would only clutter the game's output.
      process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
      let scenario: Awaited<ReturnType<typeof loadScenario>>;
      if (options.runbook) {
        if (options.scenario) return usageError('give --scenario or --runbook, not both');
        const { runbooks } = await checkout();
        const runbook = runbooks.find((r) => r.name === options.runbook);
        if (!runbook) {
          const near = closest(
            options.runbook,
            runbooks.map((r) => r.name),
          );
          console.error(`no runbook named "${options.runbook}"${near ? `; did you mean ${near}?` : ''}`);
          return 2;
        }
        const played = scenarioForRunbook(runbook);
        if ('error' in played) {
          console.error(played.error);
          return 2;
        }
        scenario = played;
      } else scenario = await loadScenario(name);
      if (!scenario) {
        const near = closest(name, scenarioNames());
        console.error(
          `no scenario "${name}"${near ? `; did you mean ${near}?` : ''}; scenarios/ has: ${scenarioNames().join(', ')}`,
        );
        return 2;
      }
      const instances = options.instances === undefined ? undefined : Number(options.instances);
      const speed = options.speed === undefined ? undefined : Number(options.speed);
      if (instances !== undefined && !(Number.isInteger(instances) && instances >= 1 && instances <= 32))
        return usageError('--instances: a whole number from 1 to 32');
      if (speed !== undefined && !(speed > 0 && speed <= 600))
        return usageError('--speed: a number above 0, at most 600');
      const alarmMode = options.alarms;
      if (alarmMode !== undefined && alarmMode !== 'fleet' && alarmMode !== 'per-instance')
        return usageError('--alarms: fleet or per-instance');
      let cleanup: (() => Promise<void>) | undefined;
      process.once('SIGINT', () => {
        console.error('\ninterrupted: stopping the sandboxes and DynamoDB Local');
        void (cleanup?.() ?? Promise.resolve()).finally(() => process.exit(130));
      });
      const result = await runGameDay({
        scenario,
        ...(instances === undefined ? {} : { instances }),
        ...(speed === undefined ? {} : { speed }),
        ...(alarmMode === undefined ? {} : { alarmMode }),
        outDir: options.out ?? 'gameday-out',
        ...(options.report ? { reportPath: options.report } : {}),
        ...(options.webhook ? { webhookUrl: options.webhook } : {}),
        ...(webhookFormat ? { webhookFormat: webhookFormat as WebhookFormat } : {}),
        output: new GameDayOutput({ colour: process.stdout.isTTY === true && !process.env.NO_COLOR }),
        onCleanup: (c) => {
          cleanup = c;
        },
      });
      return result.held ? 0 : 1;
    },
  },
  report: {
    usage: `remediate report [--since 7d] [--html FILE] [--minutes-per-fix N] ${TABLE_OPTIONS}`,
    help:
      'The weekly review, from the incident table: incidents by alarm and by runbook, fixed automatically\n' +
      'against escalated and suppressed, time to a verified fix (p50, p90, max), toil hours saved (the estimate\n' +
      'and its basis are printed), and the alarms and runbooks most worth work next. --html writes the same as\n' +
      `a page with charts (no network needed).\n\n  --since 7d | 24h | 2w | 2026-11-01 (default 7d)${TABLE_HELP}`,
    run: async (_args, options) => {
      const minutes =
        options['minutes-per-fix'] === undefined ? undefined : Number(options['minutes-per-fix']);
      if (minutes !== undefined && !(minutes > 0 && minutes <= 24 * 60))
        return usageError('--minutes-per-fix: a number of minutes above 0');
      const { lines } = await runWeeklyReport({
        ...options,
        since: options.since ?? '7d',
        ...(options.html ? { html: options.html } : {}),
        ...(minutes === undefined ? {} : { minutesPerFix: minutes }),
      });
      for (const line of lines) console.log(line);
      return 0;
    },
  },
  'incidents list': {
    usage: `remediate incidents list ${TABLE_OPTIONS}`,
    help: `Lists the current incident of every runbook and target, newest first, with the gates that refused.${TABLE_HELP}`,
    run: async (_args, options) => {
      for (const line of incidentLines(await readIncidents(options))) console.log(line);
      return 0;
    },
  },
  'incidents show': {
    usage: `remediate incidents show <incident id> ${TABLE_OPTIONS}`,
    help: `Shows one incident, current or archived: the alarm, every attempt, refusal, page and its history.${TABLE_HELP}`,
    run: async ([id], options) => {
      if (!id) return usageError('incidents show needs an incident id (from incidents list)');
      const incident = (await readIncidents({ ...options, all: true })).find((i) => i.id === id);
      if (!incident) {
        console.error(`no incident ${id} in the table`);
        return 1;
      }
      for (const line of incidentStory(incident)) console.log(line);
      return 0;
    },
  },
  'runbooks list': {
    usage: 'remediate runbooks list [--runbooks-dir DIR]',
    help:
      'Lists the registered runbooks: what each answers, its actions, attempts and mode, and its time to a\n' +
      'human: the longest from the alarm to the page, every attempt failing the slowest way, against its budget.',
    run: async () => {
      const { runbooks, broken } = await checkout();
      for (const { folder, problem } of broken) {
        console.log(`${folder}  (does not load)`);
        console.log(`  ${problem.replace(/\n/g, '\n  ')}\n`);
      }
      for (const r of runbooks) {
        const matches = [
          ...(r.match.alarmNames ?? []).map((n) => `alarm ${n}`),
          ...(r.match.metrics ?? []).map((m) => `metric ${m.namespace}/${m.metricName}`),
        ].join(', ');
        console.log(`${r.name}  (owner ${r.owner}, mode ${r.mode})`);
        console.log(`  ${r.description}`);
        console.log(`  answers:  ${matches}`);
        console.log(
          `  actions:  ${r.actions.map((a) => a.name).join(' -> ')}${r.diagnose ? ' (diagnose first)' : ''}`,
        );
        const backoff = r.maxAttempts > 1 ? `, backoff up to ${r.backoff.capSeconds}s` : '';
        const probe = r.verify
          ? `${r.verify.probe}${r.verify.settleSeconds > 0 ? ` ${r.verify.settleSeconds}s after` : ' right after'} each remedy, then the alarm's OK within ${r.verifyWindowSeconds}s`
          : `the alarm's OK within ${r.verifyWindowSeconds}s (no probe)`;
        console.log(`  attempts: ${r.maxAttempts}${backoff}`);
        console.log(`  verify:   ${probe}`);
        const budget = `budget ${minutesAndSeconds(r.pageWithinSeconds)}${r.pageWithinReason ? `: ${r.pageWithinReason}` : ''}`;
        console.log(
          `  page:     within ${minutesAndSeconds(worstCaseTimeToPage(r).seconds)} at worst (${budget})\n`,
        );
      }
      return 0;
    },
  },
  'runbooks validate': {
    usage: 'remediate runbooks validate [--runbooks-dir DIR]',
    help:
      'Loads every runbook folder and checks its definition, its files, the SSM document generated from it\n' +
      'and its proof. Prints each problem with the fix; exits 1 if any runbook has one.',
    run: async () => {
      const checks = await checkRunbookFolders(runbooksDir ? resolve(runbooksDir) : undefined);
      for (const check of checks) {
        const todo = check.unfinished.length;
        console.log(
          `${check.problems.length === 0 ? '✓' : '✗'} ${check.folder}` +
            (todo > 0 ? ` (${todo} TODO${todo === 1 ? '' : 's'} left to finish before it is deployed)` : ''),
        );
        for (const problem of check.problems) console.log(`    ${problem.replace(/\n/g, '\n    ')}`);
        for (const part of check.unfinished) console.log(`    to finish: ${part}`);
      }
      // The registry is this repository's; a folder given with --runbooks-dir is loaded folder by folder.
      const current = runbooksDir !== undefined || registryIsCurrent();
      if (!current)
        console.log(
          '✗ runbooks/index.ts does not list exactly these folders: run `npx remediate runbooks index`',
        );
      return checks.every((c) => c.problems.length === 0) && current ? 0 : 1;
    },
  },
  'runbooks test': {
    usage: 'remediate runbooks test <name> [--full] [--runbooks-dir DIR]',
    help:
      'Proves a runbook in a fresh sandboxed instance: runs its fault, checks that the probe breaches the\n' +
      "alarm's condition, runs diagnose and the actions exactly as SSM would run the generated document,\n" +
      'and checks that the probe recovers; a runbook with choose is asked before each attempt, with the\n' +
      'alarm values the proof declares. The whole proof must fit its time budget (proof.timeoutSeconds,\n' +
      'default 300 s). Prints each step and the last 12 lines of its output (--full: every line); exits 1\n' +
      'if the proof fails.\n\n' +
      "  --full              print every line of each step's output\n" +
      '  --runbooks-dir DIR  the runbooks of that folder (default: runbooks/)',
    run: async ([name], options) => {
      if (!name) return usageError('runbooks test needs the name of a runbook');
      const { runbooks, broken } = await checkout();
      const runbook = runbooks.find((r) => r.name === name);
      const unloadable = broken.find((b) => b.folder === name);
      if (unloadable) {
        console.error(`runbook ${name} does not load:\n${unloadable.problem}`);
        return 1;
      }
      if (!runbook) {
        const names = [...runbooks.map((r) => r.name), ...broken.map((b) => b.folder)];
        const near = closest(name, names);
        console.error(
          `no runbook named "${name}"${near ? `; did you mean ${near}?` : ''} (runbooks/ has: ${names.join(', ')})`,
        );
        return 1;
      }
      const { proveRunbook, proofStepLines, proofTimeoutSeconds } = await proofModule();
      console.log(`Proving ${name} in a fresh sandbox (time budget ${proofTimeoutSeconds(runbook)} s)`);
      const report = await proveRunbook(runbook, {
        onStep: (step) => {
          for (const line of proofStepLines(step, { full: options.full === true })) console.log(line);
        },
        ...(runbooksDir ? { directory: resolve(runbooksDir) } : {}),
      });
      console.log(report.held ? `\n✓ the proof of ${name} holds` : `\n✗ the proof of ${name} does not hold`);
      return report.held ? 0 : 1;
    },
  },
  'runbooks new': {
    usage: 'remediate runbooks new <name> [--from RUNBOOK] [--runbooks-dir DIR]',
    help:
      'Starts a runbook: a folder runbooks/<name>/ with its policy (every field, set or commented with what it\n' +
      'does; approve mode until it has proven itself), a remediate, a diagnose, a fault and a probe script that\n' +
      'read their parameters the safe way and already prove each other, registered in runbooks/index.ts. With\n' +
      '--from, a copy of that runbook under the new name. Never overwrites a folder. Prints what to run next.\n\n' +
      '  --from RUNBOOK      copy this runbook instead of the example\n' +
      '  --runbooks-dir DIR  create it there instead of runbooks/ (not registered)',
    run: async ([name], options) => {
      if (!name)
        return usageError('runbooks new needs the name of the new runbook (for example app-unhealthy)');
      const created = newRunbook({
        name,
        ...(options.from ? { from: options.from } : {}),
        ...(runbooksDir ? { directory: resolve(runbooksDir) } : {}),
      });
      if ('error' in created) {
        console.error(created.error);
        return 1;
      }
      console.log(`created ${created.folder}/: ${created.files.join(', ')}`);
      console.log('\nNext:');
      for (const line of created.next) console.log(`  ${line}`);
      return 0;
    },
  },
  'runbooks index': {
    usage: 'remediate runbooks index',
    help: 'Regenerates runbooks/index.ts, the registry, from the folders in runbooks/.',
    run: async () => {
      // From the folders alone, whatever the old index imported (a folder deleted since, say).
      console.log(`runbooks/index.ts registers: ${writeIndex().join(', ')}`);
      const { broken } = await checkout();
      noteBroken(broken);
      return 0;
    },
  },
  'alarms plan': {
    usage: 'remediate alarms plan [--instances N] [--mode fleet|per-instance|none] [--runbooks-dir DIR]',
    help:
      'Shows, with no AWS, the alarms the stack provisions for the runbooks and a fleet of N instances\n' +
      '(default 100): per runbook its mode and why, the fleet alarms with their names and full queries (or the\n' +
      'per-instance alarms and their name pattern), the CloudWatch limits that apply with the warnings and\n' +
      "errors of the plan, the monthly cost of the mode and of the other paid mode, and the alarm keeper's\n" +
      'CloudWatch calls a day for per-instance runbooks. Exits 1 when the stack would refuse the plan.\n\n' +
      '  --instances N       how many opted-in instances the fleet may reach (default 100)\n' +
      "  --mode MODE         fleet (the construct's default), per-instance or none\n" +
      "  --runbooks-dir DIR  the runbooks of that folder (default: this repository's registry)\n" +
      "\nFleet alarm names carry the stack name of this repository's app (Ec2AutoRemediation). See\n" +
      'docs/fleet-alarms.md.',
    run: async (args, options) => {
      const { alarmsPlanLines, alarmsPlanRequest, planFor } = await alarmsPlanModule();
      const request = alarmsPlanRequest(args, options);
      if ('error' in request) return usageError(request.error);
      let deployed: readonly Runbook[];
      if (options['runbooks-dir']) deployed = await runbooksFromDirectory(options['runbooks-dir']);
      else {
        const { runbooks, broken } = await checkout();
        if (broken.length > 0) return refuseBroken(broken, 'the plan would leave them out');
        deployed = runbooks;
      }
      for (const line of alarmsPlanLines(deployed, request)) console.log(line);
      return planFor(deployed, request).errors.length === 0 ? 0 : 1;
    },
  },
  explain: {
    usage: 'remediate explain <event.json> [--instance-tag KEY=VALUE ...] [--runbooks-dir DIR]',
    help:
      'Explains, with no AWS, what the system would do with an EventBridge event saved as JSON: which\n' +
      'runbook answers, which instance, what it would run with which parameters, which checks apply, and\n' +
      "the decider's decision. --instance-tag gives the instance's allow-list tags (for example\n" +
      '--instance-tag AutoRemediation:services=nginx); without them, a value only an instance tag can\n' +
      'allow is refused, as on an instance without the tag. Exits 0 when a command would run, 3 when nothing would.',
    run: async ([file], options) => {
      if (!file) return usageError('explain needs the path of an event JSON file');
      const instanceTags: Record<string, string> = {};
      for (const pair of options['instance-tag'] ?? []) {
        const at = pair.indexOf('=');
        if (at < 1) return usageError(`--instance-tag ${JSON.stringify(pair)}: write KEY=VALUE`);
        instanceTags[pair.slice(0, at)] = pair.slice(at + 1);
      }
      let event: unknown;
      try {
        event = JSON.parse(readFileSync(file, 'utf8'));
      } catch (error) {
        console.error(
          `cannot read ${file} as JSON: ${error instanceof Error ? error.message : String(error)}`,
        );
        return 2;
      }
      const { runbooks, broken } = await checkout();
      noteBroken(broken);
      // What the stack and the functions would refuse to deploy, explain says before it answers.
      for (const problem of runbookSetProblems(runbooks))
        console.error(`note: these runbooks cannot be deployed together: ${problem}`);
      const explanation = explainEvent(event, runbooks, { instanceTags });
      for (const line of explanation.lines) console.log(line);
      return explanation.wouldRun ? 0 : 3;
    },
  },
};

/** `breaker close` on the table directly, then a resync request (which announces the close). */
async function breakerCloseDirect(options: Options): Promise<number> {
  const runbook = options.runbook as string;
  const by = options.by ?? process.env.USER ?? 'an operator';
  const closed = await fleetGuardFor(options).closeBreaker(runbook, {
    at: Date.now(),
    by,
    reason: options.reason?.trim() ?? '',
  });
  console.log(
    closed
      ? `closed the breaker of runbook ${runbook} (open since ${new Date(closed.openedAt).toISOString()}, ${closed.instances.length} instances)`
      : `the breaker of runbook ${runbook} was not open`,
  );
  // The resync looks again at the instances still in ALARM, and announces the close with them.
  if (closed) console.log(await requestResync({ cause: 'breaker-closed', runbook, by }, options));
  return 0;
}

/** `runbooks dry-run` and `runbooks approve-mode` on the table directly. */
async function setModeDirect(name: string, mode: 'dry-run' | 'approve', options: Options): Promise<number> {
  const set = await fleetGuardFor(options).setMode(name, {
    mode,
    reason: options.reason?.trim() ?? '',
    by: options.by ?? process.env.USER ?? 'an operator',
    since: Date.now(),
  });
  const named = mode === 'approve' ? 'approve mode' : 'dry-run';
  console.log(set ? `runbook ${name} is in ${named}` : `runbook ${name} was already switched to ${named}`);
  return 0;
}

/** `pause` on the table directly. */
async function pauseDirect(options: Options): Promise<number> {
  const reason = options.reason?.trim() ?? '';
  await killSwitchFor(options).pause(options.runbook, {
    reason,
    by: options.by ?? process.env.USER ?? 'an operator',
    since: Date.now(),
  });
  console.log(`paused ${options.runbook ? `runbook ${options.runbook}` : 'all runbooks'}: ${reason}`);
  return 0;
}

/** `resume` on the table directly, then a resync request on the default bus. */
async function resumeDirect(options: Options): Promise<number> {
  const lifted = await killSwitchFor(options).resume(options.runbook);
  const what = options.runbook ? `runbook ${options.runbook}` : 'all runbooks';
  console.log(lifted ? `resumed ${what}` : `${what} was not paused`);
  if (lifted) {
    const by = options.by ?? process.env.USER ?? 'an operator';
    console.log(
      await requestResync(
        { cause: 'resumed', by, ...(options.runbook ? { runbook: options.runbook } : {}) },
        options,
      ),
    );
  }
  return 0;
}

/** The runbooks of this checkout, each folder loaded on its own; never throws for a definition. */
let loadedCheckout: ReturnType<typeof loadRunbookFolders> | undefined;
/** The folder the runbook commands read: --runbooks-dir, else this repository's runbooks/. */
let runbooksDir: string | undefined;
function checkout(): ReturnType<typeof loadRunbookFolders> {
  loadedCheckout ??= runbooksDir ? loadRunbookFolders(resolve(runbooksDir)) : loadRunbookFolders();
  return loadedCheckout;
}

function firstLine(text: string): string {
  return text
    .split('\n')
    .map((line) => line.replace(/^\s*-\s*/, '').trim())
    .filter(Boolean)
    .slice(0, 2)
    .join(': ');
}

/** On stderr: the runbook folders this command went on without. */
function noteBroken(broken: readonly BrokenRunbook[]): void {
  for (const { folder, problem } of broken)
    console.error(
      `note: runbook ${folder} does not load in this checkout, so it was left out: ${firstLine(problem)} (npx remediate runbooks validate lists every problem)`,
    );
}

/** Refuses a command that needs every runbook, naming those that do not load and why. */
function refuseBroken(broken: readonly BrokenRunbook[], why: string): number {
  console.error(`${broken.length === 1 ? 'a runbook does' : 'runbooks do'} not load, and ${why}:`);
  for (const { folder, problem } of broken) console.error(`  ${folder}: ${problem.replace(/\n/g, '\n    ')}`);
  console.error('Fix them (npx remediate runbooks validate), or move their folders out of runbooks/.');
  return 2;
}

/** Refuses a command when runbooks/index.ts does not register exactly the folders. */
function refuseStale(why: string): number {
  console.error(
    `runbooks/index.ts does not register exactly the folders of runbooks/ (${discoverRunbookFolders().join(', ')}), and ${why}: run npx remediate runbooks index`,
  );
  return 2;
}

function usageError(message: string): number {
  console.error(`${message}\n`);
  printHelp();
  return 2;
}

function printHelp(): void {
  console.log('remediate: tools for runbook authors and operators of EC2 auto-remediation.\n\nCommands:');
  for (const command of Object.values(commands)) console.log(`  ${command.usage}`);
  console.log('\nAdd --help to any command for its details.');
}

async function main(argv: string[]): Promise<number> {
  let parsed: ReturnType<typeof parseOptions>;
  try {
    parsed = parseOptions(argv);
  } catch (error) {
    const flag = /'(-{1,2}[^'\s]+)'/.exec(error instanceof Error ? error.message : '')?.[1];
    if ((error as { code?: string }).code !== 'ERR_PARSE_ARGS_UNKNOWN_OPTION' || !flag) throw error;
    const near = closest(flag.replace(/^-+/, ''), Object.keys(OPTIONS));
    return usageError(`unknown option ${flag}${near ? `; did you mean --${near}?` : ''}`);
  }
  const { values, positionals } = parsed;
  const { help, ...options } = values;
  const name = [positionals.slice(0, 2).join(' '), positionals[0] ?? ''].find(
    (candidate) => commands[candidate],
  );
  if (!name) {
    if (help || positionals.length === 0) {
      printHelp();
      return help ? 0 : 2;
    }
    return usageError(`unknown command: ${positionals.join(' ')}${suggestion(positionals)}`);
  }
  const command = commands[name] as Command;
  if (help) {
    console.log(`usage: ${command.usage}\n\n${command.help}`);
    return 0;
  }
  runbooksDir = options['runbooks-dir'];
  const code = await command.run(positionals.slice(name.split(' ').length), options);
  // An operator command needs no runbook definition, and works whatever their state; it says which
  // of this checkout's do not load, since a deploy from it would fail.
  if (OPERATOR_COMMANDS_NEEDING_NO_RUNBOOK.has(name)) noteBroken((await checkout()).broken);
  return code;
}

/** "; did you mean …?" for a mistyped command (or a group named without its subcommand), else "". */
function suggestion(positionals: readonly string[]): string {
  const names = Object.keys(commands);
  const typed = positionals.slice(0, 2).join(' ');
  const group = names.filter((n) => n.startsWith(`${positionals[0]} `));
  const near =
    closest(
      typed,
      names.filter((n) => n.includes(' ')),
    ) ??
    closest(
      positionals[0] ?? '',
      names.filter((n) => !n.includes(' ')),
    );
  if (near) return `; did you mean remediate ${near}?`;
  if (group.length > 0) return `; ${positionals[0]} takes: ${group.map((n) => n.split(' ')[1]).join(', ')}`;
  return '';
}

/** The commands that act on the deployed stack and load no runbook definition. */
const OPERATOR_COMMANDS_NEEDING_NO_RUNBOOK = new Set<string>([
  ...OPERATOR_COMMANDS,
  'incidents list',
  'incidents show',
  'report',
]);

const OPTIONS = {
  help: { type: 'boolean', short: 'h' },
  since: { type: 'string' },
  html: { type: 'string' },
  'minutes-per-fix': { type: 'string' },
  scenario: { type: 'string' },
  instances: { type: 'string' },
  speed: { type: 'string' },
  alarms: { type: 'string' },
  report: { type: 'string' },
  webhook: { type: 'string' },
  'webhook-format': { type: 'string' },
  out: { type: 'string' },
  runbook: { type: 'string' },
  reason: { type: 'string' },
  by: { type: 'string' },
  table: { type: 'string' },
  endpoint: { type: 'string' },
  region: { type: 'string' },
  'instance-tag': { type: 'string', multiple: true },
  mode: { type: 'string' },
  'runbooks-dir': { type: 'string' },
  function: { type: 'string' },
  proposal: { type: 'string' },
  full: { type: 'boolean' },
  from: { type: 'string' },
} as const;

function parseOptions(argv: string[]) {
  return parseArgs({ args: argv, allowPositionals: true, options: OPTIONS });
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : String(error));
    process.exit(1);
  },
);
