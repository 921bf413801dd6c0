// The roster import page: preview (a dry run), then apply the same file; the answer's
// changes fill the table, its problems the problem list (file, line, column, message).

import { ApiError, upload } from '../api.js';

const form = document.querySelector('[data-roster-form]');
const applyButton = document.querySelector('[data-apply]');
const previewButton = document.querySelector('[data-preview]');
const status = document.querySelector('[data-status]');
const changesBox = document.querySelector('[data-changes]');
const errorsBox = document.querySelector('[data-errors]');
const errorRows = document.querySelector('[data-error-rows]');
const errorCount = document.querySelector('[data-error-count]');

let previewed = null; // the file and kind of the last preview without problems

function kind() {
  return form.querySelector('input[name="kind"]:checked')?.value === 'people' ? 'people' : 'oneroster';
}

function say(key, extra = '') {
  status.textContent = `${status.dataset[key] ?? ''} ${extra}`.trim();
}

function showChanges(changes) {
  let total = 0;
  for (const row of changesBox.querySelectorAll('[data-kind]')) {
    const counts = changes?.[row.dataset.kind] ?? {};
    for (const cell of row.querySelectorAll('[data-n]')) {
      const value = counts[cell.dataset.n] ?? 0;
      total += value;
      cell.textContent = String(value);
    }
  }
  changesBox.hidden = false;
  return total;
}

// The column headings label each cell too (a phone shows a problem as a block, not a row).
const headings = [...errorsBox.querySelectorAll('thead th')].map((th) => th.textContent.trim());

function showErrors(errors) {
  errorRows.replaceChildren();
  for (const problem of errors) {
    const tr = document.createElement('tr');
    const values = [problem.file, problem.line ?? '—', problem.column ?? '—', problem.message];
    values.forEach((value, index) => {
      const td = document.createElement('td');
      if (index > 0 && index < 3) td.dataset.label = headings[index];
      td.textContent = String(value);
      tr.append(td);
    });
    errorRows.append(tr);
  }
  errorCount.textContent = String(errors.length);
  errorsBox.hidden = errors.length === 0;
}

async function send(dryRun) {
  const file = form.querySelector('input[type="file"]').files[0];
  if (!file) {
    form.reportValidity();
    return;
  }
  const chosen = kind();
  const data = new FormData();
  data.append('file', file);
  previewButton.disabled = true;
  applyButton.disabled = true;
  say('working');
  try {
    const answer = await upload(`/rosters/${chosen}${dryRun ? '?dry_run=1' : ''}`, data);
    const total = showChanges(answer.changes);
    showErrors([]);
    if (dryRun) {
      previewed = { file, chosen };
      applyButton.disabled = total === 0;
      say(total === 0 ? 'nothing' : 'previewed');
    } else {
      previewed = null;
      say('applied');
    }
  } catch (error) {
    previewed = null;
    changesBox.hidden = true;
    if (error instanceof ApiError && Array.isArray(error.details)) {
      showErrors(error.details);
      say('invalid');
    } else {
      showErrors([]);
      say('failed', error.message);
    }
  } finally {
    previewButton.disabled = false;
  }
}

form.addEventListener('submit', (event) => {
  event.preventDefault();
  send(true);
});
form.addEventListener('change', () => {
  // Another file or kind needs its own preview before it can be applied.
  const file = form.querySelector('input[type="file"]').files[0];
  if (!previewed || previewed.file !== file || previewed.chosen !== kind()) applyButton.disabled = true;
});
applyButton.addEventListener('click', () => {
  if (previewed) send(false);
});
