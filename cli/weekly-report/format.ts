/** Small formatting helpers shared by the weekly review's text and HTML. */

/** A day in milliseconds. */
export const DAY_MS = 86_400_000;

/** A duration, rounded to the second: `45s`, `4m 05s`, `1h 02m`, `2d 03h`. */
export function formatDuration(ms: number): string {
  const total = Math.round(Math.max(0, ms) / 1000);
  if (total < 60) return `${total}s`;
  const pad = (n: number) => String(n).padStart(2, '0');
  if (total < 3600) return `${Math.floor(total / 60)}m ${pad(total % 60)}s`;
  const minutes = Math.round(total / 60);
  if (minutes < 1440) return `${Math.floor(minutes / 60)}h ${pad(minutes % 60)}m`;
  const hours = Math.round(minutes / 60);
  return `${Math.floor(hours / 24)}d ${pad(hours % 24)}h`;
}

export function formatHours(hours: number): string {
  return `${hours.toFixed(1)} hour${hours.toFixed(1) === '1.0' ? '' : 's'}`;
}

export function formatNumber(n: number): string {
  return Number.isInteger(n) ? String(n) : String(Math.round(n * 100) / 100);
}

export function percent(rate: number): string {
  return `${Math.round(rate * 100)}%`;
}

/** The length of the period in words: `7 days`, `36 hours`, `90 minutes`. */
export function span(ms: number): string {
  if (ms >= DAY_MS && ms % DAY_MS === 0) return `${ms / DAY_MS} day${plural(ms / DAY_MS)}`;
  if (ms >= 3_600_000 && ms % 3_600_000 === 0) return `${ms / 3_600_000} hours`;
  if (ms >= 2 * DAY_MS) return `${(ms / DAY_MS).toFixed(1)} days`;
  const minutes = Math.round(ms / 60_000);
  return minutes >= 120 ? `${(ms / 3_600_000).toFixed(1)} hours` : `${minutes} minute${plural(minutes)}`;
}

export function times(n: number): string {
  return n === 1 ? 'once' : `${n} times`;
}

export function plural(n: number): string {
  return n === 1 ? '' : 's';
}

export function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

export function round1(v: number): number {
  return Math.round(v * 10) / 10;
}

export function isoSeconds(ms: number): string {
  return new Date(ms)
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d{3}Z$/, 'Z');
}

export function utcDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

export function startOfUtcDay(ms: number): number {
  return Math.floor(ms / DAY_MS) * DAY_MS;
}
