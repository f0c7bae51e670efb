#!/usr/bin/env node
// Bundles the chatbot example (an application Worker using the SDK) the way `wrangler deploy`
// would, minified, and fails when it is larger than the SDK's budget or pulls in zod: the SDK must
// stay lean (issue 12). Run from the repository root: `node scripts/check-bundle-size.mjs`.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

// Issue 12's budget. Bucketing's own SHA-256 (src/flags/sha256.ts, ~1 KiB in place of @noble/hashes'
// ~5.4 KiB) is what keeps the change channel and experiment exposures inside it.
const LIMIT_KIB = 40;
const CONFIG = 'examples/chatbot/wrangler.toml';

const outdir = mkdtempSync(join(os.tmpdir(), 'chatbot-bundle-'));
try {
  execFileSync('npx', ['wrangler', 'deploy', '--dry-run', '--minify', '-c', CONFIG, '--outdir', outdir], {
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, WRANGLER_SEND_METRICS: 'false' },
  });
  const file = join(outdir, 'index.js');
  const code = readFileSync(file);
  const kib = statSync(file).size / 1024;
  const gzipKib = gzipSync(code).length / 1024;
  const sources = JSON.parse(readFileSync(`${file}.map`, 'utf8')).sources;
  const zod = sources.filter((s) => /node_modules\/zod\//.test(s) || /src\/flags\/schema\.ts$/.test(s));
  console.log(`chatbot example bundle: ${kib.toFixed(2)} KiB minified, ${gzipKib.toFixed(2)} KiB gzip (limit ${LIMIT_KIB} KiB minified)`);
  if (zod.length > 0) {
    console.error(`the SDK bundle includes schema code: ${zod.join(', ')}`);
    process.exit(1);
  }
  if (kib > LIMIT_KIB) {
    console.error(`the chatbot example bundle is ${kib.toFixed(2)} KiB, above the ${LIMIT_KIB} KiB budget`);
    process.exit(1);
  }
} finally {
  rmSync(outdir, { recursive: true, force: true });
}
