// Archive: the flag stops being served and leaves the list; its history stays.
import { api } from '../api.js';
import { h, section } from '../lib/dom.js';
import { confirmDialog } from '../lib/dialog.js';
import { toast } from '../lib/toast.js';

export function archiveSection(page) {
  if (!page.canWrite) return null;
  const open = async () => {
    let response;
    const result = await confirmDialog({
      title: `Archive ${page.flag.id}?`,
      body: h('p', {}, 'Application Workers stop finding this flag and fall back to their defaults. The history is kept. Do this once no code reads the flag any more.'),
      confirmLabel: 'Archive flag',
      danger: true,
      reason: false,
      onConfirm: async () => {
        response = await api.archive(page.flag.id, page.flag.version);
      },
    });
    if (!result) return;
    if (result.error) return page.fail(result.error, 'Archive');
    if (response?.change_request) return page.apply(response, 'Archive');
    toast(`Archived ${page.flag.id}.`);
    location.hash = '#/flags';
  };
  return section(
    'Archive',
    { id: 'sec-archive', className: 'card card-danger' },
    h('p', {}, 'Clean up a flag that is fully rolled out or no longer used.'),
    h('button', { type: 'button', class: 'btn btn-danger', onclick: open }, 'Archive flag…'),
  );
}
