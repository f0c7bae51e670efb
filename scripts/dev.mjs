#!/usr/bin/env node
// `npm run dev`: the coordinator and the chatbot example on http://localhost:8787 (one wrangler dev
// session, see examples/chatbot/README.md) and the web example on http://localhost:8788, its own
// origin (examples/web/serve.mjs). Ctrl-C stops both.
import { spawn } from 'node:child_process';
import { startExampleServer } from '../examples/web/serve.mjs';

const web = await startExampleServer();
console.log(`web example (experimental-ui in the browser): ${web.url}`);

const wrangler = spawn(
  'npx',
  ['wrangler', 'dev', '-c', 'examples/chatbot/wrangler.toml', '-c', 'wrangler.toml', '--persist-to', '.wrangler/state', ...process.argv.slice(2)],
  { stdio: 'inherit', env: { ...process.env, WRANGLER_SEND_METRICS: 'false' } },
);
// The terminal sends Ctrl-C to wrangler too; wait for it to finish rather than exit first.
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => wrangler.kill(signal));
wrangler.on('exit', async (code) => {
  await web.close();
  process.exit(code ?? 0);
});
