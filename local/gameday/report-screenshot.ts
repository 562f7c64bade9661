import { execFile } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';

/**
 * Headless Chromium (Debian's `chromium` package, never a downloaded browser) against a report file,
 * with no network: a screenshot for the docs, or the DOM as the browser built it, for tests.
 *
 *   npx tsx local/gameday/report-screenshot.ts <report.html> <out.png> [WIDTHxHEIGHT]
 */

const run = promisify(execFile);

export const CHROMIUM_INSTALL_HINT =
  'Chromium is not installed (no `chromium` on PATH). Install it with: apt-get install -y chromium';

export const DEFAULT_WINDOW = { width: 1400, height: 1000 } as const;

/** How long one Chromium run may take before it is killed. */
export const CHROMIUM_TIMEOUT_MS = 60_000;

/** The `chromium` executable on PATH, or undefined. */
export function findChromium(path = process.env.PATH ?? ''): string | undefined {
  for (const dir of path.split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, 'chromium');
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** The flags every run uses: headless, no sandbox (root in a container), a throwaway profile, no network. */
export function chromiumFlags(userDataDir: string): string[] {
  return [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-dev-shm-usage',
    `--user-data-dir=${userDataDir}`,
    '--no-first-run',
    '--no-default-browser-check',
    '--disable-extensions',
    '--disable-sync',
    '--disable-background-networking',
    '--disable-component-update',
    '--mute-audio',
    '--hide-scrollbars',
    // No name resolves: the report must render from the file alone.
    '--host-resolver-rules=MAP * ~NOTFOUND',
  ];
}

/** Runs Chromium with the common flags plus `args`, in a fresh profile removed afterwards. */
export async function runChromium(args: readonly string[]): Promise<{ stdout: string; stderr: string }> {
  const binary = findChromium();
  if (!binary) throw new Error(CHROMIUM_INSTALL_HINT);
  const profile = mkdtempSync(join(tmpdir(), 'report-chromium-'));
  try {
    return await run(binary, [...chromiumFlags(profile), ...args], {
      timeout: CHROMIUM_TIMEOUT_MS,
      killSignal: 'SIGKILL',
      maxBuffer: 64 * 1024 * 1024,
    });
  } finally {
    rmSync(profile, { recursive: true, force: true });
  }
}

/** `chromium --version`, e.g. "Chromium 156.0.8078.79 built on Debian GNU/Linux 12 (bookworm)". */
export async function chromiumVersion(): Promise<string> {
  const binary = findChromium();
  if (!binary) throw new Error(CHROMIUM_INSTALL_HINT);
  const { stdout } = await run(binary, ['--version'], { timeout: CHROMIUM_TIMEOUT_MS });
  return stdout.trim();
}

/** The DOM Chromium built from the file, serialized. */
export async function dumpDom(htmlPath: string): Promise<string> {
  const { stdout } = await runChromium(['--dump-dom', pathToFileURL(resolve(htmlPath)).href]);
  return stdout;
}

/** A PNG of the report's first `window.height` pixels at `window.width`. */
export async function screenshot(
  htmlPath: string,
  pngPath: string,
  window: { readonly width: number; readonly height: number } = DEFAULT_WINDOW,
): Promise<void> {
  await runChromium([
    `--screenshot=${resolve(pngPath)}`,
    `--window-size=${window.width},${window.height}`,
    pathToFileURL(resolve(htmlPath)).href,
  ]);
}

function parseWindow(text: string | undefined): { width: number; height: number } {
  if (text === undefined) return DEFAULT_WINDOW;
  const match = /^(\d+)x(\d+)$/.exec(text);
  if (!match) throw new Error(`window size must be WIDTHxHEIGHT, e.g. 1400x1000; got ${text}`);
  return { width: Number(match[1]), height: Number(match[2]) };
}

async function main(argv: readonly string[]): Promise<void> {
  const [html, png, size] = argv;
  if (!html || !png) {
    console.error('usage: npx tsx local/gameday/report-screenshot.ts <report.html> <out.png> [WIDTHxHEIGHT]');
    process.exitCode = 2;
    return;
  }
  const window = parseWindow(size);
  await screenshot(html, png, window);
  console.log(`${png}: ${window.width}x${window.height} screenshot of ${html} (${await chromiumVersion()})`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main(process.argv.slice(2)).catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 1;
  });
}
