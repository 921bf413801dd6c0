// The library page: importing a lesson (the filters are a plain GET form).
// A chosen file is read on the server first (a dry run that stores nothing); the dialog shows
// what it would become — format, title, blocks, questions, files and what is left out — and
// "Import" sends it again for real, then opens the new draft.
import { upload } from '/static/js/api.js';
import { toast } from '/static/js/app.js';
import { el, fill, readJson } from '/static/js/dom.js';

const strings = readJson('library-strings');
const dialog = document.getElementById('import-dialog');
const form = document.getElementById('import-form');
let chosen = null; // the file the dialog is about

function formData(file) {
  const data = new FormData();
  data.append('file', file);
  return data;
}

function showReport(file, report) {
  document.getElementById('import-file-name').textContent = file.name;
  const values = { ...report, format: strings.formats?.[report.format] ?? report.format };
  for (const field of dialog.querySelectorAll('[data-import-field]')) {
    field.textContent = String(values[field.dataset.importField] ?? '');
  }
  const skipped = document.getElementById('import-skipped');
  skipped.hidden = report.skipped.length === 0;
  document.getElementById('import-skipped-title').textContent = fill(strings.skipped, { n: report.skipped.length });
  document
    .getElementById('import-skipped-list')
    .replaceChildren(...report.skipped.map((item) => el('li', {}, el('strong', { text: item.item }), ` — ${item.reason}`)));
  document.getElementById('import-error').hidden = true;
  document.getElementById('import-confirm').disabled = false;
  dialog.showModal();
}

for (const input of document.querySelectorAll('[data-import]')) {
  input.addEventListener('change', async () => {
    const file = input.files?.[0];
    input.value = ''; // choosing the same file again reads it again
    if (!file) return;
    const reading = toast(strings.reading, 'info');
    try {
      const report = await upload('/lessons/import?dry_run=1', formData(file));
      chosen = file;
      showReport(file, report);
    } catch (error) {
      toast(`${strings.failed} ${error.message}`, 'error');
    } finally {
      reading.remove();
    }
  });
}

form?.addEventListener('submit', async (event) => {
  if (event.submitter?.value !== 'import' || !chosen) return; // "Cancel" just closes
  event.preventDefault();
  const button = document.getElementById('import-confirm');
  const problem = document.getElementById('import-error');
  button.disabled = true;
  problem.hidden = true;
  try {
    const lesson = await upload('/lessons/import', formData(chosen));
    toast(strings.imported, 'success');
    window.location.assign(`/lessons/${lesson.id}/edit`);
  } catch (error) {
    problem.textContent = `${strings.failed} ${error.message}`;
    problem.hidden = false;
    button.disabled = false;
  }
});

dialog?.addEventListener('close', () => {
  chosen = null; // "Cancel" or Escape: nothing was stored
});

// Changing a filter menu searches at once.
const filters = document.querySelector('.library-filters');
filters?.addEventListener('change', (event) => {
  if (event.target.matches('select')) filters.requestSubmit();
});
