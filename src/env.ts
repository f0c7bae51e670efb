/** Bindings and variables of the coordinator Worker (see wrangler.toml). */
export interface Env {
  /** One FlagObject per flag; address them through `src/do/stubs.ts`. */
  FLAGS: DurableObjectNamespace;
  /** The CatalogObject; address it through `src/do/stubs.ts`. */
  CATALOG: DurableObjectNamespace;
  /** The relays of the change feed (RelayObject); address them through `src/do/stubs.ts`. */
  RELAYS: DurableObjectNamespace;
  FLAGS_KV: KVNamespace;
  /** How many relay objects serve `changes` (default 4): more relays, more reads per second. */
  RELAY_COUNT?: string;
  /** Seconds the change feed keeps an entry at least (default 600); an older cursor gets `reset`. */
  FEED_RETENTION_SECONDS?: string;
  /** Milliseconds a `changes` answer is kept in the per-data-centre Cache API (default 500; 0 turns it off). */
  CHANNEL_CACHE_MS?: string;
  /** This deployment's environment, matched against a flag's `environments`. */
  ENVIRONMENT: string;
  /** Seconds an isolate caches the KV shards for OFREP evaluation (default 30; the change channel keeps it fresh). */
  FLAG_CACHE_TTL_SECONDS?: string;
  /** Secret: JSON array of `{ name, token, scopes }`. Unset → every protected route refuses. */
  ADMIN_TOKENS?: string;
  /** Cloudflare Access team domain, e.g. `https://acme.cloudflareaccess.com`; with ACCESS_AUD turns on sign-in for people. */
  ACCESS_TEAM_DOMAIN?: string;
  /** The Access application's audience (AUD) tag. */
  ACCESS_AUD?: string;
  /** JSON `{ admin?, editor?, viewer? }`, each a list of emails or `*@domain`. */
  ACCESS_ROLES?: string;
  /** JSON array of `{ name, key, origins, rate_limit_per_minute? }`: public keys for browsers and apps (src/http/client-keys.ts). */
  CLIENT_KEYS?: string;
  /** Optional Slack incoming-webhook URL for kills and rollout changes. */
  SLACK_WEBHOOK_URL?: string;
  /** Optional generic webhook URL; bodies are signed with WEBHOOK_SECRET (HMAC-SHA-256). */
  WEBHOOK_URL?: string;
  WEBHOOK_SECRET?: string;
  /** "true" seeds the article's demo flags on first request (local development only). */
  SEED_DEMO_FLAGS?: string;
  /** Static admin UI files. */
  ASSETS?: Fetcher;
}
