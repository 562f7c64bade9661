/**
 * The CLI's heavy modules, loaded only by the commands that use them (the game day starts DynamoDB
 * Local and the sandboxes and loads every function; the alarm plan loads the alarm keeper), so that
 * every other command, and `--help`, starts at once.
 */

export async function gameDayModules() {
  const [gameday, output, scenarios, runbookScenario, webhook] = await Promise.all([
    import('../gameday/gameday.ts'),
    import('../gameday/gameday-output.ts'),
    import('../gameday/load-scenario.ts'),
    import('../gameday/runbook-scenario.ts'),
    import('../gameday/webhook.ts'),
  ]);
  return { ...gameday, ...output, ...scenarios, ...runbookScenario, ...webhook };
}

export async function proofModule() {
  const [proof, output] = await Promise.all([import('../runbook-proof.ts'), import('../proof-output.ts')]);
  return { ...proof, ...output };
}
export const alarmsPlanModule = () => import('./alarms-plan.ts');
export const runbooksFromDirectory = async (directory: string) =>
  (await import('../../lib/handler-entries.ts')).loadRunbooks(directory);
