import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inflateSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderReport } from '../../local/gameday/report-html.ts';
import {
  CHROMIUM_INSTALL_HINT,
  chromiumVersion,
  dumpDom,
  findChromium,
  screenshot,
} from '../../local/gameday/report-screenshot.ts';
import {
  elements,
  elementsWithin,
  gameDayRecord,
  hasClass,
  WEB_1,
  WEB_2,
  WEB_3,
  WEB_4,
} from '../support/gameday-record.ts';

/**
 * The report as a browser sees it: Debian's Chromium, headless, with no network (no name resolves),
 * opens the fixture's report from a file. Chromium is required, never skipped: CI installs it with
 * `apt-get install -y chromium`.
 */
describe('the game day report in headless Chromium', () => {
  let dir: string;
  let htmlPath: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'report-chromium-test-'));
    htmlPath = join(dir, 'report.html');
    writeFileSync(htmlPath, renderReport(gameDayRecord));
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('finds chromium on PATH', async () => {
    expect(findChromium(), CHROMIUM_INSTALL_HINT).toBeDefined();
    expect(await chromiumVersion()).toMatch(/^Chromium \d+\./);
  });

  it('builds the timeline, its rows and its attempt bars from the file (--dump-dom)', async () => {
    expect(findChromium(), CHROMIUM_INSTALL_HINT).toBeDefined();

    const dom = await dumpDom(htmlPath);

    const svgs = elements(dom, (e) => e.tag === 'svg' && hasClass(e, 'timeline'));
    expect(svgs).toHaveLength(1);
    const timeline = svgs[0];
    if (!timeline) throw new Error('no timeline');
    const rows = elementsWithin(timeline, (e) => e.tag === 'g' && hasClass(e, 'instance-row'));
    expect(rows.map((r) => r.attrs['data-instance'])).toEqual([WEB_1, WEB_2, WEB_3, WEB_4]);
    expect(elementsWithin(timeline, (e) => e.tag === 'g' && hasClass(e, 'fleet-row'))).toHaveLength(1);

    const attempts = elementsWithin(timeline, (e) => e.tag === 'rect' && hasClass(e, 'attempt'));
    expect(attempts).toHaveLength(7);
    expect(attempts.filter((a) => hasClass(a, 'outcome-verified'))).toHaveLength(3);
    expect(attempts.filter((a) => hasClass(a, 'attempt-failed'))).toHaveLength(3);
    expect(attempts.filter((a) => hasClass(a, 'outcome-unverified'))).toHaveLength(1);
    expect(attempts.every((a) => Number(a.attrs.width) > 0)).toBe(true);
    expect(elementsWithin(timeline, (e) => hasClass(e, 'alarm-band')).length).toBeGreaterThanOrEqual(15);
    expect(elementsWithin(timeline, (e) => hasClass(e, 'page'))).toHaveLength(5);
    // The browser's DOM has no script element: nothing in the record became markup.
    expect(dom).not.toMatch(/<script/i);
    expect(elements(dom, (e) => e.tag === 'tr' && hasClass(e, 'incident'))).toHaveLength(6);
  });

  it('draws it (--screenshot): a 1400x1000 PNG showing the alarm and attempt colours', async () => {
    expect(findChromium(), CHROMIUM_INSTALL_HINT).toBeDefined();
    const pngPath = join(dir, 'report.png');

    await screenshot(htmlPath, pngPath, { width: 1400, height: 1000 });

    expect(statSync(pngPath).size).toBeGreaterThan(30_000);
    const image = decodePng(readFileSync(pngPath));
    expect([image.width, image.height]).toEqual([1400, 1000]);
    // Colours that only the timeline uses: the browser painted the SVG, not just parsed it.
    const seen = (hex: string) => image.count(hex, 12);
    expect(seen('#d64541'), 'ALARM bands').toBeGreaterThan(500);
    expect(seen('#54a66f'), 'OK bands').toBeGreaterThan(2_000);
    expect(seen('#1d7a4c'), 'verified attempts and checks').toBeGreaterThan(50);
    expect(seen('#b3261e'), 'failed attempts').toBeGreaterThan(20);
    expect(seen('#fcebea'), 'the red verdict banner').toBeGreaterThan(20_000);
  });
});

/** A minimal PNG reader for Chromium's screenshots: 8-bit RGB or RGBA, not interlaced. */
function decodePng(png: Buffer): {
  width: number;
  height: number;
  count(hex: string, tolerance: number): number;
} {
  expect(png.subarray(0, 8).toString('hex')).toBe('89504e470d0a1a0a');
  let offset = 8;
  let width = 0;
  let height = 0;
  let channels = 0;
  const idat: Buffer[] = [];
  while (offset < png.length) {
    const length = png.readUInt32BE(offset);
    const type = png.toString('latin1', offset + 4, offset + 8);
    const data = png.subarray(offset + 8, offset + 8 + length);
    if (type === 'IHDR') {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      const [bitDepth, colourType, , , interlace] = [data[8], data[9], data[10], data[11], data[12]];
      expect({ bitDepth, interlace }).toEqual({ bitDepth: 8, interlace: 0 });
      channels = colourType === 6 ? 4 : colourType === 2 ? 3 : 0;
      expect(channels, `PNG colour type ${colourType}`).toBeGreaterThan(0);
    } else if (type === 'IDAT') {
      idat.push(data);
    }
    offset += 12 + length;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  const pixels = Buffer.alloc(stride * height);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    for (let x = 0; x < stride; x++) {
      const a = x >= channels ? (pixels[y * stride + x - channels] ?? 0) : 0;
      const b = y > 0 ? (pixels[(y - 1) * stride + x] ?? 0) : 0;
      const c = x >= channels && y > 0 ? (pixels[(y - 1) * stride + x - channels] ?? 0) : 0;
      const value = line[x] ?? 0;
      let predicted = 0;
      if (filter === 1) predicted = a;
      else if (filter === 2) predicted = b;
      else if (filter === 3) predicted = (a + b) >> 1;
      else if (filter === 4) {
        const p = a + b - c;
        const pa = Math.abs(p - a);
        const pb = Math.abs(p - b);
        const pc = Math.abs(p - c);
        predicted = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      }
      pixels[y * stride + x] = (value + predicted) & 0xff;
    }
  }
  return {
    width,
    height,
    count(hex, tolerance) {
      const [r, g, b] = [1, 3, 5].map((i) => Number.parseInt(hex.slice(i, i + 2), 16)) as [
        number,
        number,
        number,
      ];
      let n = 0;
      for (let i = 0; i < pixels.length; i += channels) {
        if (
          Math.abs((pixels[i] ?? 0) - r) <= tolerance &&
          Math.abs((pixels[i + 1] ?? 0) - g) <= tolerance &&
          Math.abs((pixels[i + 2] ?? 0) - b) <= tolerance
        ) {
          n++;
        }
      }
      return n;
    },
  };
}
