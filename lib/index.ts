/**
 * The entry point for CDK apps that embed the remediation engine:
 * `import { RemediationEngine } from 'ec2-auto-remediation'`. The package is consumed from its
 * TypeScript sources, so the app runs with tsx (`"app": "npx tsx bin/app.ts"` in cdk.json).
 *
 * Runbook definitions, which the functions bundle, import `defineRunbook` from
 * `ec2-auto-remediation/runbook` instead: that entry holds no CDK code, so none reaches a Lambda bundle.
 */

export {
  type EventLevel,
  REMEDIATION_DETAIL_TYPES,
  REMEDIATION_EVENT_SOURCE,
  type RemediationDetailType,
  type RemediationEventDetail,
} from '../functions/core/effects.ts';
export {
  type AutoDisablePolicy,
  type BackoffPolicy,
  type BreakerPolicy,
  type Choice,
  type ChooseContext,
  type ComparisonOperator,
  type ConcurrencyLimits,
  defineRunbook,
  type MetricMatch,
  type Runbook,
  type RunbookAction,
  type RunbookDefinition,
  RunbookDefinitionError,
  type RunbookMatch,
  type RunbookParameter,
  type RunbookProof,
} from '../functions/core/runbook.ts';
export { runbooks as builtInRunbooks } from '../runbooks/index.ts';
export { loadRunbooks } from './handler-entries.ts';
export { RemediationEngine, type RemediationEngineProps } from './remediation-engine.ts';
export { RemediationStack, type RemediationStackProps } from './remediation-stack.ts';
export {
  ALARM_WARNINGS,
  type AlarmMode,
  type AlarmProvisioningProps,
  MANAGED_BY_TAG,
  RUNBOOK_TAG,
  RunbookAlarms,
  type RunbookAlarmsProps,
} from './runbook-alarms.ts';
