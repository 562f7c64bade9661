import { escapeHtml } from '../../html-page.ts';
import type { Outcome } from './outcomes.ts';

/** Small formatting helpers of the report. */

export function outcomeText(outcome: Outcome): string {
  return outcome.gate ? `${outcome.label} (gate ${outcome.gate})` : outcome.label;
}

export function breakerRunbook(about: string): string {
  const parts = about.split('/');
  return parts[0] === 'breaker' && parts[1] ? parts[1] : about;
}

export function stateToken(state: string): string {
  return token(state.replace(/_/g, '-'));
}

/** A string safe as one class name token. */
export function token(text: string): string {
  return text.toLowerCase().replace(/[^a-z0-9-]+/g, '-') || 'unknown';
}

export function octagon(cx: number, cy: number, r: number): string {
  const points: string[] = [];
  for (let i = 0; i < 8; i++) {
    const a = Math.PI / 8 + (i * Math.PI) / 4;
    points.push(`${round1(cx + r * Math.cos(a))} ${round1(cy + r * Math.sin(a))}`);
  }
  return `M${points.join(' L')} Z`;
}

/** Escaped, with break opportunities after the dots of an id. */
export function breakable(text: string): string {
  return escapeHtml(text).replace(/\./g, '.<wbr>');
}

export function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

export function clamp(v: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, v));
}

export function round1(v: number): number {
  return Math.round(v * 10) / 10;
}

export function plural(n: number): string {
  return n === 1 ? '' : 's';
}

export function iso(ms: number): string {
  return Number.isFinite(ms)
    ? new Date(ms)
        .toISOString()
        .replace('T', ' ')
        .replace(/\.000Z$/, 'Z')
    : String(ms);
}

export function humanDuration(ms: number): string {
  const total = Math.round(Math.max(0, ms) / 1000);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  return h > 0 ? `${h} h ${String(m).padStart(2, '0')} min` : `${m} min ${String(s).padStart(2, '0')} s`;
}

export function wallTime(ms: number): string {
  return ms < 1000
    ? `${Math.round(ms)} ms`
    : ms < 120_000
      ? `${(ms / 1000).toFixed(1)} s`
      : humanDuration(ms);
}

export function formatNumber(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(2);
}
