// Types for `cloudflare:workers`'s `env` and `exports` inside the tests: the coordinator's own.
import type { Env as CoordinatorEnv } from '../src/env';

declare global {
  namespace Cloudflare {
    interface Env extends CoordinatorEnv {}
    interface GlobalProps {
      mainModule: typeof import('../src/index');
      durableNamespaces: 'FlagObject' | 'CatalogObject' | 'RelayObject';
    }
  }
}
