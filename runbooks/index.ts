// Generated from the folders in runbooks/ by `npm run runbooks:index`; do not edit by hand.
import type { Runbook } from '../functions/core/runbook.ts';
import diskFull from './disk-full/runbook.ts';
import inodeExhaustion from './inode-exhaustion/runbook.ts';
import memoryLeak from './memory-leak/runbook.ts';
import runawayCpu from './runaway-cpu/runbook.ts';
import serviceDown from './service-down/runbook.ts';
import timeDrift from './time-drift/runbook.ts';

/**
 * Every runbook the system answers alarms with. The stack makes one SSM document of each, and the
 * handlers bundle the same list, so what is deployed and what decides are one source.
 */
export const runbooks: readonly Runbook[] = [diskFull, inodeExhaustion, memoryLeak, runawayCpu, serviceDown, timeDrift];
