import type { BreakerRecord } from '../core/fleet.ts';
import { modeClearedNotice, pausedNotice, resumedNotice } from '../core/fleet-messages.ts';
import type { ModeOverride, Pause } from '../core/gates.ts';
import type { Clock, KillSwitch } from '../core/ports.ts';
import type { Runbook } from '../core/runbook.ts';
import type { FleetGates } from './fleet-gates.ts';
import type { OperatorAnnouncements } from './operator-handler.ts';
import type { Runtime } from './runtime.ts';

/**
 * The notices of an operator's changes to the fleet, each the opening or the OK of a page: a pause
 * once for all it holds, and its resume; a breaker closed by hand; a runtime mode lifted with
 * `runbooks enforce`. They go through the same pager as the breaker's own notices (SNS text, the
 * CloudWatch-shaped form, chat, and PagerDuty Events v2 where configured), with the same keys, so
 * that each OK closes what its opening notice opened.
 */

/** What the announcements work with: a runtime's gates (and their pager), kill switch and clock. */
export type AnnouncementPorts = Pick<Runtime, 'gates' | 'killSwitch' | 'clock' | 'logger'>;

/** What became of a pause's notice. */
export interface PauseAnnouncement {
  /** The pager took the notice. */
  readonly sent: boolean;
  /**
   * The pause records that its notice was sent (`announcedAt`): the alarms it holds are not paged one
   * by one. False when the notice failed, or the pause was lifted or replaced meanwhile.
   */
  readonly announced: boolean;
}

/** The operator function's announcements, on a runtime's ports. */
export class Announcements implements OperatorAnnouncements {
  private readonly gates: FleetGates;
  private readonly killSwitch: KillSwitch;
  private readonly clock: Clock;
  private readonly logger: AnnouncementPorts['logger'];

  constructor(ports: AnnouncementPorts) {
    this.gates = ports.gates;
    this.killSwitch = ports.killSwitch;
    this.clock = ports.clock;
    this.logger = ports.logger;
  }

  /**
   * The one notice of a pause (of `runbook`, or of every runbook): once the pager took it, the pause
   * records so, if it is still the one in force, and covers the alarms it holds from then on.
   */
  async announcePause(runbook: Runbook | undefined, pause: Pause): Promise<PauseAnnouncement> {
    const messageId = await this.gates.notify(pausedNotice(runbook, pause, this.gates.pageContext));
    if (!messageId) return { sent: false, announced: false };
    const announced = await this.killSwitch.markAnnounced(runbook?.name, pause.since, this.clock.now());
    if (!announced)
      this.logger.info('pause notice sent, but the pause is no longer the one in force', {
        runbook: runbook?.name,
        since: pause.since,
      });
    return { sent: true, announced };
  }

  /**
   * The OK of the pause's notice: sent for every resume, since whether the pause was announced is
   * gone with it (an OK with no open notice resolves nothing). `pause` is the pause lifted, when the
   * caller read it before lifting it, for the words.
   */
  async announceResume(runbook: Runbook | undefined, by: string, pause?: Pause): Promise<boolean> {
    const notice = resumedNotice(
      runbook,
      { by, at: this.clock.now(), ...(pause ? { pause } : {}) },
      this.gates.pageContext,
    );
    return (await this.gates.notify(notice)) !== undefined;
  }

  /**
   * The OK of the breaker's group page, when an operator closed it: sent now, without waiting for the
   * resync (which looks again at the alarms still in ALARM, and does not announce a close twice).
   */
  async announceBreakerClosed(runbook: Runbook, closed: BreakerRecord): Promise<boolean> {
    // As stored now: a close the resync announced meanwhile is not announced twice.
    const { breaker } = await this.gates.read(runbook, undefined);
    const current = breaker?.state === 'closed' && breaker.openedAt === closed.openedAt ? breaker : closed;
    return (await this.gates.announceClosed(runbook, current, { lookAgain: false })) !== 'not sent';
  }

  /**
   * `runbooks enforce`: the OK of the dry-run notice (one key per runbook, so that it closes
   * whichever switch was in force). `previous` is the switch lifted, when the caller read it.
   */
  async announceModeCleared(
    runbook: Runbook,
    cleared: { readonly by: string; readonly at: number; readonly previous?: ModeOverride },
  ): Promise<boolean> {
    return (
      (await this.gates.notify(modeClearedNotice(runbook, cleared, this.gates.pageContext))) !== undefined
    );
  }
}
