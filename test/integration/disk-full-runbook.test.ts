import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSandbox, type Sandbox } from '../../local/sandbox.ts';

const script = readFileSync(new URL('../../runbooks/disk-full/remediate.sh', import.meta.url), 'utf8');

/** Live and rotated logs, old and fresh temp files, and a package in the cache. */
const plant = `
set -eu
mkdir -p /var/log/app /var/log/journal /var/cache/apt/archives
for f in /var/log/syslog /var/log/app/app.log /var/log/app/current.json /var/log/app/2026.log; do echo live > "$f"; done
for f in /var/log/syslog.1 /var/log/syslog.2.gz /var/log/messages-20261101 /var/log/app/app.log.3 /var/log/app/app.log.old /var/log/app/app.log.120; do
  echo rotated > "$f"
done
echo old > /tmp/old-upload.bin && touch -d '10 days ago' /tmp/old-upload.bin
echo fresh > /tmp/fresh-upload.bin
echo recent > /var/tmp/recent.bin && touch -d '2 days ago' /var/tmp/recent.bin
head -c 2097152 /dev/zero > /var/cache/apt/archives/curl_8.5.0_amd64.deb
`;

describe('runbooks/disk-full/remediate.sh in a sandboxed instance', () => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    sandbox = await createSandbox({ name: 'disk-full' });
  });
  afterAll(() => sandbox.destroy());

  it('removes rotated logs, stale temp files and cached packages, keeps every live file, and says so', async () => {
    expect((await sandbox.run(plant)).exitCode).toBe(0);

    const result = await sandbox.run(script, { timeoutSeconds: 60 });
    const left = await sandbox.run('find /var/log /tmp /var/tmp /var/cache/apt/archives -type f | sort');

    expect(result.exitCode).toBe(0);
    expect(result.stdout).toMatch(/disk-full: \/ is \d+% used before cleanup/);
    expect(result.stdout).toMatch(/rotated logs: removed 6 file\(s\)/);
    expect(result.stdout).toMatch(/stale files in \/tmp: removed 1 file\(s\)/);
    expect(result.stdout).toMatch(/apt package cache: removed 1 file\(s\), 2048 KiB/);
    expect(result.stdout).toMatch(/disk-full: freed 20\d\d KiB; \/ is \d+% used after cleanup/);
    expect(left.stdout.trim().split('\n')).toEqual([
      '/tmp/fresh-upload.bin',
      '/var/log/app/2026.log',
      '/var/log/app/app.log',
      '/var/log/app/current.json',
      '/var/log/syslog',
      '/var/tmp/recent.bin',
    ]);
  });
});
