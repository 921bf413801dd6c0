// The report page: confirm the proposed marks (and attendance) into the journal. Attendance
// is off until the teacher ticks it; then the pupils who did not join, who would be marked
// absent, are listed for a confirmation first.
import { toast } from '/static/js/app.js';
import { csrfToken } from '/static/js/api.js';

document.querySelector('[data-print]')?.addEventListener('click', () => window.print());

const form = document.querySelector('[data-journal-form]');
const absentDialog = document.getElementById('absent-dialog');

function confirmAbsences() {
  if (!absentDialog) return Promise.resolve(true);
  absentDialog.returnValue = '';
  absentDialog.showModal();
  absentDialog.querySelector('button[value="cancel"]').focus();
  return new Promise((resolve) => {
    absentDialog.addEventListener('close', () => resolve(absentDialog.returnValue === 'ok'), { once: true });
  });
}

form?.addEventListener('submit', async (event) => {
  event.preventDefault();
  const submit = form.querySelector('button[type="submit"]');
  const marks = [...form.querySelectorAll('select[data-pupil-id]')]
    .filter((select) => select.value !== '')
    .map((select) => ({ pupil_id: Number(select.dataset.pupilId), value: select.value }));
  const attendance = form.querySelector('input[name="attendance"]')?.checked ?? false;
  if (attendance && !(await confirmAbsences())) return;
  submit.disabled = true;
  try {
    const response = await fetch(`/api/v1/live/${encodeURIComponent(form.dataset.code)}/journal`, {
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
