import { beforeAll } from 'vitest';
import { interceptReceivers } from './helpers/receiver';

beforeAll(() => {
  interceptReceivers();
});
