import { proofCondition, type Runbook } from '../../functions/core/runbook.ts';
import type { TreatMissingData } from './alarm-evaluator.ts';
import type { FleetInstance } from './fleet.ts';
import { type LocalMetricAlarm, probeOf } from './local-cloudwatch.ts';
import type { ScenarioAlarm } from './scenario.ts';

/** The metric a runbook's alarm watches on an instance, as the CloudWatch agent or EC2 would publish it. */
interface MetricIdentity {
  readonly namespace: string;
  readonly metricName: string;
  readonly dimensions: (instance: FleetInstance) => Record<string, string>;
  readonly tags?: Record<string, string>;
  readonly treatMissingData: TreatMissingData;
}

/**
 * The alarms a platform team creates for the shipped runbooks: the CloudWatch agent's disk, inode and
 * procstat metrics, EC2's CPUUtilization. Process counts treat missing data as breaching (no process,
 * no datapoint), as the service-down runbook's notes ask.
 */
const CATALOG: Readonly<Record<string, MetricIdentity>> = {
  'disk-full': {
    namespace: 'CWAgent',
    metricName: 'disk_used_percent',
    dimensions: (i) => ({ InstanceId: i.instanceId, path: '/', device: 'tmpfs', fstype: 'tmpfs' }),
    treatMissingData: 'missing',
  },
  'inode-exhaustion': {
    namespace: 'CWAgent',
    metricName: 'disk_inodes_used',
    dimensions: (i) => ({ InstanceId: i.instanceId, path: '/', device: 'tmpfs', fstype: 'tmpfs' }),
    treatMissingData: 'missing',
  },
  'service-down': {
    namespace: 'CWAgent',
    metricName: 'procstat_lookup_pid_count',
    dimensions: (i) => ({ InstanceId: i.instanceId, exe: 'app', pid_finder: 'native' }),
    treatMissingData: 'breaching',
  },
  'memory-leak': {
    namespace: 'CWAgent',
    metricName: 'procstat_memory_rss',
    dimensions: (i) => ({ InstanceId: i.instanceId, exe: 'app', pid_finder: 'native' }),
    treatMissingData: 'missing',
  },
  'runaway-cpu': {
    namespace: 'AWS/EC2',
    metricName: 'CPUUtilization',
    // No runaway-process tag: what may be ended is the instance's AutoRemediation:processes list.
    dimensions: (i) => ({ InstanceId: i.instanceId }),
    treatMissingData: 'missing',
  },
  'time-drift': {
    namespace: 'CWAgent',
    metricName: 'clock_offset_ms',
    dimensions: (i) => ({ InstanceId: i.instanceId }),
    treatMissingData: 'missing',
  },
};

/** The alarm of `spec` on `instance`: named `<runbook>-<instance name>`, which the runbook matches. */
export function instanceAlarm(
  spec: ScenarioAlarm,
  runbook: Runbook,
  instance: FleetInstance,
): LocalMetricAlarm {
  const identity: MetricIdentity = CATALOG[runbook.name] ?? {
    namespace: 'GameDay',
    metricName: runbook.name,
    dimensions: (i: FleetInstance) => ({ InstanceId: i.instanceId }),
    treatMissingData: 'missing' as const,
  };
  const proof = runbook.proof;
  if (!proof) throw new Error(`runbook ${runbook.name} has no proof: the game day cannot measure its alarm`);
  return {
    name: `${runbook.name}-${instance.name}`,
    runbook: runbook.name,
    instance,
    namespace: identity.namespace,
    metricName: identity.metricName,
    dimensions: identity.dimensions(instance),
    tags: identity.tags ?? {},
    rule: {
      comparison: proofCondition(runbook)?.comparison ?? 'GreaterThanThreshold',
      threshold: proofCondition(runbook)?.threshold ?? 0,
      periodSeconds: spec.periodSeconds ?? 60,
      evaluationPeriods: spec.evaluationPeriods ?? 2,
      datapointsToAlarm: spec.datapointsToAlarm ?? 2,
      treatMissingData: spec.treatMissingData ?? identity.treatMissingData,
    },
    probe: probeOf(runbook),
  };
}
