/**
 * The CLI's heavy modules, loaded only by the commands that use them (the game day starts DynamoDB
 * Local and the sandboxes and loads every function; the alarm plan loads the alarm keeper), so that
 * every other command, and `--help`, starts at once.
 */

export async function gameDayModules() {
  const [gameday, output, scenarios, webhook] = await Promise.all([
    import('../gameday/gameday.ts'),
    import('../gameday/gameday-output.ts'),
    import('../gameday/load-scenario.ts'),
    import('../gameday/webhook.ts'),
  ]);
  return { ...gameday, ...output, ...scenarios, ...webhook };
}

export const proofModule = () => import('../runbook-proof.ts');
export const alarmsPlanModule = () => import('./alarms-plan.ts');
