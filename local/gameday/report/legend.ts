import { COLOUR } from './colours.ts';
import { octagon } from './format.ts';

/** The timeline's legend, drawn with the same colours and shapes as the timeline. */

export function renderLegend(): string {
  const swatch = (inner: string) =>
    `<svg class="swatch" width="26" height="16" viewBox="0 0 26 16" aria-hidden="true">${inner}</svg>`;
  const band = (fill: string) => swatch(`<rect x="1" y="4" width="24" height="8" fill="${fill}"/>`);
  const bar = (fill: string, extra = '') =>
    swatch(`<rect x="1" y="1" width="24" height="14" rx="2.5" fill="${fill}"${extra}/>`);
  const diamond = (fill: string, dash = '') =>
    swatch(
      `<path d="M13 1 L20 8 L13 15 L6 8 Z" fill="${fill}" stroke="${COLOUR.page}" stroke-width="2"${dash}/>`,
    );
  const person = (fill: string) =>
    swatch(
      `<circle cx="13" cy="4.5" r="3.4" fill="${fill}" stroke="${COLOUR.person}" stroke-width="1.6"/><path d="M6.5 15 Q13 4 19.5 15 Z" fill="${fill}" stroke="${COLOUR.person}" stroke-width="1.6" stroke-linejoin="round"/>`,
    );
  const item = (sw: string, text: string) => `<li>${sw}<span>${text}</span></li>`;
  const groups: [string, string[]][] = [
    [
      'Alarm',
      [
        item(band(COLOUR.alarm.ALARM), 'ALARM'),
        item(band(COLOUR.alarm.OK), 'OK'),
        item(band(COLOUR.alarm.INSUFFICIENT_DATA), 'INSUFFICIENT_DATA'),
        item(band(COLOUR.breaker), 'breaker open'),
      ],
    ],
    [
      'Attempt',
      [
        item(bar(COLOUR.outcome.verified), 'fixed (verified)'),
        item(bar(COLOUR.outcome.unverified), 'ran, alarm stayed'),
        item(bar(COLOUR.outcome.pending), 'ran, verifying'),
        item(bar(COLOUR.outcome.failed), 'failed'),
        item(bar(COLOUR.outcome.lost), 'lost'),
        item(bar(COLOUR.outcome.running), 'running'),
        item(bar('url(#hatch)', ` stroke="${COLOUR.muted}"`), 'not run (dry-run)'),
        item(bar(COLOUR.outcome.withdrawn), 'not sent (cleared first)'),
        item(
          swatch(
            `<line x1="1" y1="8" x2="25" y2="8" stroke="${COLOUR.outcome.unverified}" stroke-width="2.5" stroke-dasharray="2 3"/>`,
          ),
          'verify window',
        ),
        item(
          swatch(
            `<rect x="1" y="1" width="24" height="14" rx="4" fill="${COLOUR.span}" stroke="${COLOUR.spanStroke}"/>`,
          ),
          'incident open',
        ),
      ],
    ],
    [
      'Marks',
      [
        item(
          swatch(
            `<line x1="13" y1="5" x2="13" y2="16" stroke="${COLOUR.fault}" stroke-width="1.5" stroke-dasharray="4 3"/><path d="M8 0 L18 0 L13 8 Z" fill="${COLOUR.fault}"/>`,
          ),
          'fault injected',
        ),
        item(
          swatch(
            `<circle cx="13" cy="8" r="7" fill="${COLOUR.outcome.verified}"/><path d="M9.8 8.2 L12.2 10.6 L16.4 5.4" fill="none" stroke="#fff" stroke-width="1.8" stroke-linecap="round" stroke-linejoin="round"/>`,
          ),
          'fix verified',
        ),
        item(
          swatch(
            `<path d="${octagon(13, 8, 7)}" fill="#fff" stroke="${COLOUR.refusal}" stroke-width="2"/><line x1="9.5" y1="8" x2="16.5" y2="8" stroke="${COLOUR.refusal}" stroke-width="2"/>`,
          ),
          'gate refused',
        ),
        item(diamond(COLOUR.page), 'page: proposal, escalation, breaker opened'),
        item(diamond('#ffffff'), 'page: resolution, breaker closed'),
      ],
    ],
    [
      'People',
      [
        item(person(COLOUR.person), "a person's request (approve, take, ...)"),
        item(person('#ffffff'), 'request refused'),
        item(
          bar(COLOUR.outcome.verified, ` stroke="${COLOUR.person}" stroke-width="2.5"`),
          'attempt a person started',
        ),
        item(
          swatch(
            `<line x1="13" y1="8" x2="13" y2="16" stroke="${COLOUR.person}" stroke-width="1.5"/><rect x="8.5" y="0.5" width="9" height="9" rx="1.5" fill="${COLOUR.person}"/>`,
          ),
          'fixed by hand on the instance',
        ),
      ],
    ],
  ];
  return `<div class="legend">${groups
    .map(([title, items]) => `<div class="legend-group"><h3>${title}</h3><ul>${items.join('')}</ul></div>`)
    .join('')}</div>`;
}
