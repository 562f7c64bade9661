import type { PageEffect } from '../core/effects.ts';
import type { Notice } from '../core/fleet-messages.ts';
import { METRIC } from '../core/metrics.ts';
import {
  noticeEventDetail,
  pageEventDetail,
  type RemediationPageDetail,
} from '../core/page-formats/pagerduty-events.ts';
import type { Clock, MetricsSink, Pager } from '../core/ports.ts';
import type { Runbook } from '../core/runbook.ts';

/** Where page events go: the remediation event bus. */
export interface PageEventSink {
  publishPage(detail: RemediationPageDetail): Promise<void>;
}

export interface PagerWithEventsOptions {
  readonly logger: { warn(message: string, ...extra: unknown[]): void };
  readonly metrics: MetricsSink;
  readonly clock: Clock;
  /** The table the operator commands name (`--table`), for the next steps in the event. */
  readonly tableName?: string;
  /** The operator function the commands that act name (`--function`). */
  readonly operatorFunction?: string;
  /** SSM document name per runbook, for the command a person runs by hand. */
  readonly documents?: Readonly<Record<string, string>>;
}

/**
 * A pager that also puts each page and notice on the event bus as a PagerDuty Events API v2 event
 * (detail-type `Remediation Page`), for the PagerDuty API destination to deliver. The inner pager
 * decides whether the page was sent: the event follows only once it was, and a failure to put the
 * event is logged and counted, never a failed page (the page reached its pager; the decider must not
 * page again for it).
 */
export class PagerWithEvents implements Pager {
  private readonly inner: Pager;
  private readonly sink: PageEventSink;
  private readonly options: PagerWithEventsOptions;

  constructor(inner: Pager, sink: PageEventSink, options: PagerWithEventsOptions) {
    this.inner = inner;
    this.sink = sink;
    this.options = options;
  }

  async page(effect: PageEffect, runbook: Runbook | undefined): Promise<string> {
    const messageId = await this.inner.page(effect, runbook);
    const { tableName, operatorFunction, documents } = this.options;
    const documentName = documents?.[effect.incident.key.runbook];
    await this.publish(() =>
      pageEventDetail(effect, runbook, {
        ...(tableName ? { tableName } : {}),
        ...(operatorFunction ? { operatorFunction } : {}),
        ...(documentName ? { documentName } : {}),
      }),
    );
    return messageId;
  }

  async notify(notice: Notice): Promise<string> {
    const messageId = await this.inner.notify(notice);
    await this.publish(() => noticeEventDetail(notice, this.options.clock.now()));
    return messageId;
  }

  private async publish(detail: () => RemediationPageDetail): Promise<void> {
    let built: RemediationPageDetail | undefined;
    try {
      built = detail();
      await this.sink.publishPage(built);
    } catch (error) {
      this.options.logger.warn('page event for PagerDuty not put on the bus; the page itself was sent', {
        error,
        ...(built ? { page: built.page, incidentId: built.incidentId, noticeKey: built.noticeKey } : {}),
      });
      this.options.metrics.record({ name: METRIC.pageEventsFailed, unit: 'Count', value: 1 });
    }
  }
}

/** Whether the deployment delivers pages as PagerDuty Events v2 events (env `PAGERDUTY_EVENTS=on`). */
export function pageEventsEnabled(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.PAGERDUTY_EVENTS === 'on';
}

/** The environment variable the stack sets when PagerDuty Events v2 delivery is configured. */
export const PAGERDUTY_EVENTS_ENV = 'PAGERDUTY_EVENTS';
