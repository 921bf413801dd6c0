// The absence notes page: the document is uploaded as soon as it is chosen (the form itself
// posts plain fields); ticking a lesson number chooses "only some lessons"; the last day
// never comes before the first. Without JavaScript the form still works (without a file).

import { upload } from '/static/js/api.js';

const form = document.getElementById('absence-form');

function setUpDocument() {
  const input = document.getElementById('note-file');
  const hidden = document.getElementById('note-upload-id');
  const status = document.getElementById('note-file-status');
  const submit = form.querySelector('button[type="submit"]');
  input?.addEventListener('change', async () => {
    const file = input.files?.[0];
    hidden.value = '';
    if (!file) {
      status.textContent = '';
      return;
    }
    const data = new FormData();
    data.append('file', file);
    status.textContent = status.dataset.uploading;
    submit.disabled = true;
    try {
      const stored = await upload('/assets', data);
      hidden.value = stored.id;
      status.textContent = stored.filename || file.name;
    } catch (error) {
      status.textContent = `${status.dataset.failed} ${error.message}`;
      input.value = '';
    } finally {
      submit.disabled = false;
    }
  });
}

function setUpLessons() {
  // The numbers show only for "only some lessons" (the stylesheet follows the radio);
  // ticking one keeps that choice.
  const periods = document.getElementById('note-periods');
  periods.addEventListener('change', () => {
    if (periods.querySelector('input:checked')) form.querySelector('input[name="whole_days"][value="0"]').checked = true;
  });
}

function setUpDates() {
  const from = document.getElementById('note-from');
  const to = document.getElementById('note-to');
  const sync = () => {
    to.min = from.value || to.min;
    if (from.value && to.value && to.value < from.value) to.value = from.value;
  };
  from.addEventListener('change', sync);
  sync();
}

if (form) {
  setUpDocument();
  setUpLessons();
  setUpDates();
}
