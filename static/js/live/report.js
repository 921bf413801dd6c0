// The report page: confirm the proposed marks (and attendance) into the journal.
import { toast } from '/static/js/app.js';
import { csrfToken } from '/static/js/api.js';

const form = document.querySelector('[data-journal-form]');

form?.addEventListener('submit', async (event) => {
  event.preventDefault();
  const submit = form.querySelector('button[type="submit"]');
  const marks = [...form.querySelectorAll('select[data-pupil-id]')]
    .filter((select) => select.value !== '')
    .map((select) => ({ pupil_id: Number(select.dataset.pupilId), value: select.value }));
  const attendance = form.querySelector('input[name="attendance"]')?.checked ?? false;
  submit.disabled = true;
  try {
    const response = await fetch(`/live/${encodeURIComponent(form.dataset.code)}/journal`, {
      method: 'POST',
      headers: {
        Accept: 'application/json',
        'Content-Type': 'application/json',
        'X-CSRF-Token': csrfToken(),
      },
      credentials: 'same-origin',
      body: JSON.stringify({ marks, attendance }),
    });
    const body = await response.json().catch(() => null);
    if (!response.ok) throw new Error(body?.error?.message ?? response.statusText);
    toast(form.dataset.done, 'success');
    setTimeout(() => window.location.reload(), 800);
  } catch (error) {
    toast(error.message, 'error');
    submit.disabled = false;
  }
});
