import { LIFECYCLE, type LifecycleEvent, type LifecycleState } from './table.ts';

/**
 * The lifecycle table as the docs show it: a Mermaid state diagram (one arrow per state, event and
 * state it may lead to) and the table itself (what each state answers). Generated, so that the docs
 * cannot drift from the decider: a test compares docs/how-it-works.md with this text.
 */
export function lifecycleMarkdown(): string {
  const states = Object.keys(LIFECYCLE) as LifecycleState[];
  const arrows: string[] = [];
  for (const state of states) {
    const row = LIFECYCLE[state];
    const byTarget = new Map<LifecycleState, LifecycleEvent[]>();
    for (const [event, transition] of Object.entries(row) as [
      LifecycleEvent,
      (typeof row)[LifecycleEvent],
    ][]) {
      for (const to of transition?.to ?? []) {
        if (to === state) continue;
        byTarget.set(to, [...(byTarget.get(to) ?? []), event]);
      }
    }
    for (const [to, events] of byTarget)
      arrows.push(`  ${node(state)} --> ${node(to)}: ${events.join(', ')}`);
  }
  const rows = states.map((state) => {
    const row = LIFECYCLE[state];
    const answers = (Object.entries(row) as [LifecycleEvent, (typeof row)[LifecycleEvent]][])
      .map(([event, transition]) => {
        const to = (transition?.to ?? []).filter((s) => s !== state);
        return to.length === 0 ? `${event} (stays)` : `${event} → ${to.join(' / ')}`;
      })
      .join('; ');
    return `| \`${state}\` | ${answers} |`;
  });
  return [
    '```mermaid',
    'stateDiagram-v2',
    `  [*] --> ${node('none')}`,
    ...arrows,
    '```',
    '',
    '| state | answers (anything else is absorbed) |',
    '| --- | --- |',
    ...rows,
  ].join('\n');
}

/** Mermaid state names cannot hold a hyphen. */
function node(state: LifecycleState): string {
  return state.replace(/-/g, '_');
}
