#!/usr/bin/env node
/**
 * Serves the web example (examples/web/public) from its own origin, http://localhost:8788, so the
 * page calls the coordinator cross-origin as a real front end would. Nothing to build by hand: at
 * start it bundles the OpenFeature web SDK and the OFREP web provider from node_modules into one
 * ES module with esbuild (installed with wrangler; no network), served at /openfeature.js, and
 * answers /config.js with the coordinator's URL and the public client key.
 *
 *   node examples/web/serve.mjs     (npm run dev starts it beside the coordinator)
 *
 * Environment: PORT (8788), HOST (localhost), COORDINATOR_URL (http://localhost:8787),
 * CLIENT_KEY (dev-client-key), POLL_INTERVAL_MS (2000).
 */
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const HERE = fileURLToPath(new URL('.', import.meta.url));
const PUBLIC = join(HERE, 'public');
const TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8', '.svg': 'image/svg+xml' };

/** The SDK and provider as one browser ES module (about 100 KB minified). */
async function bundleSdk() {
  const result = await build({
    entryPoints: [join(HERE, 'sdk.js')],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2020',
    minify: true,
    write: false,
    logLevel: 'warning',
  });
  return result.outputFiles[0].text;
}

/**
 * Starts the example server; resolves once it listens.
 * @param {{ port?: number, host?: string, coordinatorUrl?: string, clientKey?: string, pollIntervalMs?: number }} [options]
 * @returns {Promise<{ url: string, close: () => Promise<void> }>}
 */
export async function startExampleServer({ port = 8788, host = 'localhost', coordinatorUrl = 'http://localhost:8787', clientKey = 'dev-client-key', pollIntervalMs = 2000 } = {}) {
  const sdk = await bundleSdk();
  const config = `export default ${JSON.stringify({ coordinatorUrl, clientKey, pollIntervalMs })};\n`;
  const server = createServer(async (request, response) => {
    const path = new URL(request.url ?? '/', 'http://x').pathname;
    const send = (status, type, body) => {
      response.writeHead(status, { 'Content-Type': type, 'Cache-Control': 'no-store' });
      response.end(body);
    };
    if (request.method !== 'GET' && request.method !== 'HEAD') return send(405, 'text/plain', 'GET only');
    if (path === '/openfeature.js') return send(200, TYPES['.js'], sdk);
    if (path === '/config.js') return send(200, TYPES['.js'], config);
    const file = normalize(join(PUBLIC, path === '/' ? 'index.html' : path));
    if (!file.startsWith(PUBLIC)) return send(404, 'text/plain', 'not found');
    try {
      send(200, TYPES[extname(file)] ?? 'application/octet-stream', await readFile(file));
    } catch {
      send(404, 'text/plain', 'not found');
    }
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  const address = server.address();
  const url = `http://${host}:${typeof address === 'object' && address ? address.port : port}`;
  return {
    url,
    close: () => new Promise((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections(); // a browser's keep-alive must not hold the close
    }),
  };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === normalize(process.argv[1])) {
  const { url } = await startExampleServer({
    port: Number(process.env.PORT ?? 8788),
    host: process.env.HOST ?? 'localhost',
    coordinatorUrl: process.env.COORDINATOR_URL ?? 'http://localhost:8787',
    clientKey: process.env.CLIENT_KEY ?? 'dev-client-key',
    pollIntervalMs: Number(process.env.POLL_INTERVAL_MS ?? 2000),
  });
  console.log(`web example (experimental-ui in the browser): ${url}`);
}
