// The diary: under each lesson whose slot has an assignment, the assignment with the pupil's
// state, score and mark (one GET /api/v1/assignments?pupil=… per page).

import { api } from '/static/js/api.js';
import { el, fill, readJson } from '/static/js/dom.js';
import { points } from '/static/js/classwork/dom.js';

const STATE_BADGES = { not_started: 'badge-muted', in_progress: 'badge-info', submitted: 'badge-success', marked: 'badge-success' };

function dayText(iso) {
  return new Date(iso).toLocaleDateString(document.documentElement.lang || 'en', { day: 'numeric', month: 'short' });
}

function assignmentLine(item, t) {
  const progress = item.progress ?? {};
  const closedUndone = item.status === 'closed' && ['not_started', 'in_progress'].includes(progress.state);
  return el(
    'div',
    { class: 'diary-assignment', dataset: { assignment: item.id } },
    el('span', { class: 'homework-label', text: `${t.assignment}:` }),
    ' ',
    el('a', { href: `/assignments/${item.id}`, text: item.lesson.title }),
    ' ',
    el('span', { class: 'muted text-small', text: fill(t.due, { due: dayText(item.due) }) }),
    ' ',
    el('span', {
      class: `badge ${closedUndone ? 'badge-danger' : STATE_BADGES[progress.state] ?? 'badge-muted'}`,
      text: closedUndone ? t.closed : t[progress.state] ?? progress.state,
    }),
    progress.score !== null && progress.score !== undefined
      ? el('span', { class: 'text-small', text: ` ${points(progress.score)} / ${points(progress.max)}` })
      : null,
    progress.mark
      ? el('span', { class: `mk cw-mark mk-${progress.mark}`, title: t.mark, text: progress.mark })
      : null,
  );
}

/** Show the pupil's assignments under their lessons in the diary's week. */
export async function showDiaryAssignments(week) {
  const pupilId = week?.dataset.pupilId;
  if (!pupilId) return;
  const t = readJson('diary-assignment-strings');
  let items;
  try {
    ({ items } = await api('GET', `/assignments?pupil=${encodeURIComponent(pupilId)}`));
  } catch {
    return; // the diary itself is complete without them
  }
  for (const item of items) {
    if (!item.slot_id || (item.pupil_id !== undefined && String(item.pupil_id) !== pupilId)) continue;
    const lesson = week.querySelector(`li.diary-lesson[data-slot="${item.slot_id}"] .lesson-main`);
    lesson?.append(assignmentLine(item, t));
  }
}
