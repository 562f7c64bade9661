import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const script = fileURLToPath(new URL('../../runbooks/disk-full/remediate.sh', import.meta.url));

/**
 * Runs the runbook's real script with bash, as SSM would, inside its own mount and pid namespace
 * where every directory the script may touch is a fresh tmpfs: nothing on this machine is at risk.
 * The setup plants live and rotated logs, old and fresh temp files, and a package in the cache.
 */
const sandboxed = `
set -eu
# Read the script before the mounts hide where it lives, and run it from the sandbox, as SSM runs a
# document's script from a file it writes on the instance.
script_text=$(cat "$1")
for dir in /run /var/log /tmp /var/tmp /var/cache/apt/archives; do mount -t tmpfs sandbox "$dir"; done
printf '%s\n' "$script_text" > /run/remediate.sh
mkdir -p /var/log/app /var/log/journal
echo live > /var/log/syslog
echo rotated > /var/log/syslog.1
echo rotated > /var/log/syslog.2.gz
echo rotated > /var/log/messages-20261101
echo rotated > /var/log/app/app.log.3
echo old > /var/log/app/app.log.old
echo live > /var/log/app/app.log
echo live > /var/log/app/current.json
echo live > /var/log/app/2026.log
echo old > /tmp/old-upload.bin && touch -d '10 days ago' /tmp/old-upload.bin
echo fresh > /tmp/fresh-upload.bin
echo recent > /var/tmp/recent.bin && touch -d '2 days ago' /var/tmp/recent.bin
echo package > /var/cache/apt/archives/curl_8.5.0_amd64.deb
bash /run/remediate.sh > /tmp/.out 2>&1 || { code=$?; cat /tmp/.out; echo "exit $code"; exit 0; }
cat /tmp/.out
echo "--- left:"
find /var/log /tmp /var/tmp /var/cache/apt/archives -type f ! -name .out | sort
`;

describe('runbooks/disk-full/remediate.sh in a sandbox', () => {
  it('removes rotated logs, stale temp files and cached packages, and keeps every live file', async () => {
    const { stdout } = await run(
      'unshare',
      [
        '--user',
        '--map-root-user',
        '--mount',
        '--pid',
        '--fork',
        '--mount-proc',
        'bash',
        '-c',
        sandboxed,
        'sandbox',
        script,
      ],
      { timeout: 30_000 },
    );

    const [output = '', left = ''] = stdout.split('--- left:\n');
    expect(output).not.toMatch(/^exit \d+/m);
    expect(output).toMatch(/disk-full: \/ is \d+% used before cleanup/);
    expect(output).toMatch(/rotated logs: removed 5 file\(s\)/);
    expect(output).toMatch(/stale files in \/tmp: removed 1 file\(s\)/);
    expect(output).toMatch(/apt package cache: removed 1 file\(s\)/);
    expect(output).toMatch(/disk-full: freed \d+ KiB; \/ is \d+% used after cleanup/);
    expect(left.trim().split('\n')).toEqual([
      '/tmp/fresh-upload.bin',
      '/var/log/app/2026.log',
      '/var/log/app/app.log',
      '/var/log/app/current.json',
      '/var/log/syslog',
      '/var/tmp/recent.bin',
    ]);
  });
});
