// After `cdk synth`: every function bundle the stack deploys stays within 285 KiB (minified, the
// runtime's SDK), the cold-start budget in BENCHMARKS.md, and loads in a fresh Node process with the
// SDK resolved from outside the bundle, as the Lambda runtime provides it. Exits 1 naming any that fails.
// Usage: node .ci/check-bundles.mjs [cdk.out directory] [limit in KiB]
import { execFileSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const out = process.argv[2] ?? 'cdk.out';
const LIMIT_KIB = Number(process.argv[3] ?? 285);
const bundles = readdirSync(out)
  .filter((name) => name.startsWith('asset.'))
  .map((asset) => join(out, asset, 'index.mjs'))
  .filter((file) => {
    try {
      return statSync(file).isFile();
    } catch {
      return false;
    }
  });
if (bundles.length === 0) {
  console.error('no function bundles found in cdk.out');
  process.exit(1);
}
let failed = 0;
for (const file of bundles) {
  const kib = statSync(file).size / 1024;
  const ok = kib <= LIMIT_KIB;
  if (!ok) failed++;
  console.log(`${ok ? 'ok  ' : 'OVER'} ${kib.toFixed(1)} KiB ${file}`);
  try {
    execFileSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `const m = await import(${JSON.stringify(`./${file}`)}); if (typeof m.handler !== 'function') throw new Error('no handler export');`,
      ],
      {
        stdio: ['ignore', 'ignore', 'inherit'],
        env: {
          ...process.env,
          AWS_REGION: 'us-east-1',
          AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
          TABLE_NAME: 'incidents',
          TIMER_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/timers',
          PAGER_TOPIC_ARN: 'arn:aws:sns:us-east-1:123456789012:pager',
          EVENT_BUS_NAME: 'default',
          RUNBOOK_DOCUMENTS: '{}',
          OPT_IN_TAG_KEY: 'AutoRemediation',
          OPT_IN_TAG_VALUE: 'enabled',
          EVENT_ACCOUNTS: '123456789012',
          EVENT_REGIONS: 'us-east-1',
        },
      },
    );
    console.log(`     loads, exports handler`);
  } catch {
    failed++;
    console.log(`FAIL ${file} does not load`);
  }
}
process.exit(failed === 0 ? 0 : 1);
