/** The Worker the workerd tests run (vitest.config.ts `main`): the coordinator's, with the objects of ./objects.ts. */
export { default, FlagCoordinator, RelayObject } from '../../src/index';
export { CatalogObject, FlagObject } from './objects';
