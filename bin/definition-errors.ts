/**
 * Loaded first by the app: a runbook whose definition is invalid fails while the modules load, before
 * any code of the app runs. Its message names the runbook, the field and the fix; a stack trace would
 * only bury it. Any other error keeps its stack.
 */
process.on('uncaughtException', (error: unknown) => {
  if (error instanceof Error && error.name === 'RunbookDefinitionError') {
    console.error(
      `${error.message}\n\nFix the runbook (npx remediate runbooks validate checks them all), then synthesize again.`,
    );
  } else {
    console.error(error);
  }
  process.exit(1);
});
