// Attachments on the message forms (staff any allowed type; parents and pupils PDF and photos):
// a chosen file goes to the upload store at once (POST /api/v1/assets) and the form carries its
// id in a hidden `attachments` field. A refused file (415, 413, 429) shows its error as a toast.

import { upload } from '/static/js/api.js';
import { toast } from '/static/js/app.js';
import { el } from '/static/js/dom.js';

for (const box of document.querySelectorAll('[data-attach]')) {
  const input = box.querySelector('input[type="file"]');
  const list = box.querySelector('[data-attach-list]');
  if (!input || !list) continue;
  input.addEventListener('change', async () => {
    const files = [...input.files];
    input.value = '';
    box.setAttribute('aria-busy', 'true');
    for (const file of files) {
      const data = new FormData();
      data.append('file', file);
      try {
        const stored = await upload('/assets', data);
        const item = el(
          'li',
          { class: 'msg-attached' },
          el('span', { class: 'msg-attached-name', text: stored.filename || file.name }),
          el('input', { type: 'hidden', name: 'attachments', value: stored.id }),
        );
        item.append(
          el('button', {
            type: 'button',
            class: 'btn btn-sm btn-ghost',
            'aria-label': `${box.dataset.removeLabel || 'Remove'}: ${file.name}`,
            text: '×',
            onclick: () => item.remove(),
          }),
        );
        list.append(item);
      } catch (error) {
        toast(`${file.name}: ${error.message}`, 'error');
      }
    }
    box.removeAttribute('aria-busy');
  });
}
