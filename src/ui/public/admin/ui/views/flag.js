// The flag page: its sections around the shared versioned-page state (lib/versioned-page.js), so
// every edit is sent with If-Match: <the version shown> and a 412 shows the current flag instead.
import { api } from '../api.js';
import { h } from '../lib/dom.js';
import { percent, statusBadge } from '../lib/format.js';
import { loadOrNotFound, versionedPage } from '../lib/versioned-page.js';
import { servingSection } from '../sections/serving.js';
import { planSection } from '../sections/plan.js';
import { targetingSection } from '../sections/targeting.js';
import { autoKillSection } from '../sections/autokill.js';
import { detailsSection } from '../sections/details.js';
import { clientSideSection } from '../sections/client-side.js';
import { variantsSection } from '../sections/variants.js';
import { archiveSection } from '../sections/archive.js';
import { healthSection } from '../sections/health.js';
import { propagationSection } from '../sections/propagation.js';
import { experimentSection } from '../sections/experiment.js';
import { historySection } from '../sections/history.js';
import { requestsSection } from '../sections/requests.js';

export async function renderFlagPage(main, { id }, _query, ctx) {
  const load = async (flagId) => (await api.getFlag(flagId)).flag;
  const flag = await loadOrNotFound(main, 'flag', id, load);
  if (!flag || !ctx.isCurrent()) return;

  const page = versionedPage(main, ctx, id, flag, {
    kind: 'flag',
    load,
    // The API gives every flag it returns (GET, write answers, a 412's current) its status.
    badge: (f) => statusBadge(f.status),
    meta: (f) => [`rollout ${percent(f.rollout_percentage)}`],
    archivedNotice: 'This flag is archived: it is no longer served and cannot be edited. Its history is kept.',
    body: (p) => {
      const historyCard = historySection(p);
      const healthCard = healthSection(p);
      return h(
        'div',
        { class: 'flag-grid' },
        h('div', { class: 'col' }, servingSection(p), targetingSection(p), autoKillSection(p), variantsSection(p), clientSideSection(p), detailsSection(p), archiveSection(p)),
        h('div', { class: 'col' }, propagationSection(p), healthCard, requestsSection(p), experimentSection(p), planSection(p), historyCard),
      );
    },
  });
  page.render();
}
