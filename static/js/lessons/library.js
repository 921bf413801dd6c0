// The library page: importing an exchange zip (the filters are a plain GET form).
import { upload } from '/static/js/api.js';
import { toast } from '/static/js/app.js';
import { readJson } from '/static/js/dom.js';

const strings = readJson('library-strings');

for (const input of document.querySelectorAll('[data-import]')) {
  input.addEventListener('change', async () => {
    const file = input.files?.[0];
    if (!file) return;
    const form = new FormData();
    form.append('file', file);
    toast(strings.importing, 'info');
    try {
      const lesson = await upload('/lessons/import', form);
      toast(strings.imported, 'success');
      window.location.assign(`/lessons/${lesson.id}/edit`);
    } catch (error) {
      toast(`${strings.failed} ${error.message}`, 'error');
    } finally {
      input.value = '';
    }
  });
}

// Changing a filter menu searches at once.
const filters = document.querySelector('.library-filters');
filters?.addEventListener('change', (event) => {
  if (event.target.matches('select')) filters.requestSubmit();
});
