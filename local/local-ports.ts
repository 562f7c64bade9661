import { appendFileSync } from 'node:fs';
import {
  type PageEffect,
  type PublishEventEffect,
  REMEDIATION_EVENT_SOURCE,
} from '../functions/core/effects.ts';
import type { Notice } from '../functions/core/fleet-messages.ts';
import { deliveryTime, type QueuedTimer } from '../functions/core/inputs.ts';
import type { MetricPoint } from '../functions/core/metrics.ts';
import { pageMessage } from '../functions/core/page-message.ts';
import type { EventPublisher, MetricsSink, Pager, TimerQueue } from '../functions/core/ports.ts';
import type { Runbook } from '../functions/core/runbook.ts';
import type { Scheduler } from './agenda.ts';
import { type AwsEvent, LOCAL_ACCOUNT, LOCAL_REGION } from './aws-shapes.ts';
import type { LocalBus } from './local-bus.ts';

/** Timers on the agenda, delivered at their due time to the real timer handler. */
export class AgendaTimerQueue implements TimerQueue {
  private readonly agenda: Scheduler;
  private readonly deliver: (timer: QueuedTimer) => Promise<void>;

  constructor(agenda: Scheduler, deliver: (timer: QueuedTimer) => Promise<void>) {
    this.agenda = agenda;
    this.deliver = deliver;
  }

  async schedule(timer: QueuedTimer): Promise<void> {
    this.agenda.at(deliveryTime(timer), `timer ${timer.kind}`, () => this.deliver(timer));
  }
}

/** A page as the local pager recorded it. */
export interface RecordedPage {
  readonly messageId: string;
  readonly at: string;
  /** `escalation` or `resolution` of an incident, or a runbook notice (`breaker-opened`, ...). */
  readonly page: PageEffect['page'] | Notice['kind'];
  /** The incident, or the notice's key. */
  readonly incidentId: string;
  readonly subject: string;
  readonly body: string;
}

/** Pages on the terminal and in a JSON Lines file, one line per page. */
export class TerminalPager implements Pager {
  readonly pages: RecordedPage[] = [];
  private readonly clock: { now(): number };
  private readonly print: (page: RecordedPage) => void;
  private readonly jsonlPath: string | undefined;

  constructor(options: {
    clock: { now(): number };
    print: (page: RecordedPage) => void;
    jsonlPath?: string;
  }) {
    this.clock = options.clock;
    this.print = options.print;
    this.jsonlPath = options.jsonlPath;
  }

  async page(effect: PageEffect, runbook: Runbook | undefined): Promise<string> {
    const { subject, body } = pageMessage(effect, runbook);
    const page: RecordedPage = {
      messageId: `local-page-${this.pages.length + 1}`,
      at: new Date(this.clock.now()).toISOString(),
      page: effect.page,
      incidentId: effect.incident.id,
      subject,
      body,
    };
    return this.record(page);
  }

  async notify(notice: Notice): Promise<string> {
    return this.record({
      messageId: `local-page-${this.pages.length + 1}`,
      at: new Date(this.clock.now()).toISOString(),
      page: notice.kind,
      incidentId: notice.key,
      subject: notice.subject,
      body: notice.body,
    });
  }

  private async record(page: RecordedPage): Promise<string> {
    this.pages.push(page);
    if (this.jsonlPath) appendFileSync(this.jsonlPath, `${JSON.stringify(page)}\n`);
    this.print(page);
    return page.messageId;
  }
}

/** Remediation events onto the local bus, shaped as PutEvents would deliver them. */
export class BusEventPublisher implements EventPublisher {
  private readonly bus: LocalBus;
  private readonly clock: { now(): number };

  constructor(bus: LocalBus, clock: { now(): number }) {
    this.bus = bus;
    this.clock = clock;
  }

  async publish(events: readonly PublishEventEffect[]): Promise<void> {
    for (const [index, event] of events.entries()) {
      const delivered: AwsEvent = {
        version: '0',
        id: `local-${this.clock.now()}-${index}`,
        'detail-type': event.detailType,
        source: REMEDIATION_EVENT_SOURCE,
        account: LOCAL_ACCOUNT,
        time: new Date(this.clock.now()).toISOString(),
        region: LOCAL_REGION,
        resources: [event.detail.alarmArn],
        detail: { ...event.detail },
      };
      this.bus.put(delivered);
    }
  }
}

/** Metrics kept in memory (the local runtime and tests), flushed into `published`. */
export class RecordedMetrics implements MetricsSink {
  readonly published: MetricPoint[] = [];
  private pending: MetricPoint[] = [];

  record(point: MetricPoint): void {
    this.pending.push(point);
  }

  flush(): void {
    this.published.push(...this.pending);
    this.pending = [];
  }

  /** The sum of a metric, over the points with exactly these extra dimensions (none by default). */
  total(name: MetricPoint['name'], dimensions?: Readonly<Record<string, string>>): number {
    return [...this.published, ...this.pending]
      .filter(
        (p) => p.name === name && JSON.stringify(p.dimensions ?? {}) === JSON.stringify(dimensions ?? {}),
      )
      .reduce((sum, p) => sum + p.value, 0);
  }
}
