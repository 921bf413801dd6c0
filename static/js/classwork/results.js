// The results of an assignment for its teachers: pupils × questions, the answers to read
// (typed ones in the table itself), regrading a pupil's points, choosing the marks and
// writing them into the journal, and changing the due time or closing the assignment.

import { api } from '/static/js/api.js';
import { toast } from '/static/js/app.js';
import { el, fill, readJson } from '/static/js/dom.js';
import { percent, points } from '/static/js/classwork/dom.js';
import { answerText, isAnswered, keyText } from '/static/js/classwork/questions.js';
import { localInputValue, showMoments } from '/static/js/classwork/time.js';

const t = readJson('results-strings');
const detail = readJson('assignment-data');
const results = readJson('results-data');
const root = document.querySelector('.cw-results');
const canEdit = root.dataset.canEdit === 'yes';
const table = document.getElementById('cw-table');
const questions = results.questions;
const HANDED = new Set(['submitted', 'marked']);

// The questions with their options and keys, from the lesson's blocks, in results order.
const blocks = new Map(detail.blocks.filter((b) => b.kind === 'quiz').map((b) => [String(b.id), b.questions ?? []]));
const full = questions.map((ref) => blocks.get(String(ref.block_id))?.[ref.index] ?? { kind: ref.kind, prompt: ref.prompt });
const chosen = new Map(); // pupil id → the mark chosen to write ('' for none)

// --- the table -----------------------------------------------------------------------------

function stateBadge(state) {
  const kind = { not_started: 'badge-muted', in_progress: 'badge-info' }[state] ?? 'badge-success';
  return el('span', { class: `badge ${kind}`, text: t[state] ?? state });
}

function pointsClass(score, max) {
  if (score === null || score === undefined) return '';
  return score >= max ? 'is-full' : score > 0 ? 'is-part' : 'is-zero';
}

function questionCell(pupil, q) {
  const ref = questions[q];
  const score = pupil.question_scores?.[q] ?? null;
  const handed = HANDED.has(pupil.state);
  const answer = pupil.answers?.[q] ?? null;
  const cell = el('td', { class: `cw-q-cell ${pointsClass(score, ref.max)}`, dataset: { q } });
  const label = handed ? points(score) : '';
  if (handed && canEdit) {
    cell.append(
      el('button', {
        type: 'button',
        class: 'cw-q-points',
        text: label,
        dataset: { regrade: pupil.pupil_id, q },
        title: `${fill(t.check, { name: pupil.name })}: ${ref.prompt ?? ''}`,
      }),
    );
  } else {
    cell.append(el('span', { class: 'cw-q-points', text: label }));
  }
  if (handed && ref.kind === 'text' && isAnswered(answer)) {
    cell.append(el('span', { class: 'cw-q-text', text: String(answer), title: String(answer) }));
  }
  return cell;
}

function markSelect(pupil) {
  if (!HANDED.has(pupil.state)) return el('span', { class: 'muted', text: t.none });
  const value = chosen.has(pupil.pupil_id) ? chosen.get(pupil.pupil_id) : pupil.mark ?? pupil.proposed_mark ?? '';
  chosen.set(pupil.pupil_id, value);
  if (!canEdit) return el('span', { text: value || t.none });
  const select = el(
    'select',
    {
      class: 'cw-mark-select',
      'aria-label': `${t.to_write}: ${pupil.name}`,
      dataset: { pupil: pupil.pupil_id },
      onchange: (event) => chosen.set(pupil.pupil_id, event.target.value),
    },
    el('option', { value: '', text: t.dont_write }),
    results.scale.values.map((mark) =>
      el('option', {
        value: mark,
        text: mark === pupil.proposed_mark ? fill(t.proposed, { mark }) : mark,
        selected: mark === value,
      }),
    ),
  );
  return select;
}

function row(pupil, number) {
  const share = pupil.share;
  return el(
    'tr',
    { dataset: { pupil: pupil.pupil_id, state: pupil.state } },
    el('td', { class: 'num muted', text: number }),
    el(
      'th',
      { scope: 'row', class: 'cw-pupil' },
      pupil.name,
      pupil.regraded ? el('span', { class: 'cw-regraded', title: t.regraded, 'aria-label': t.regraded, text: ' ✎' }) : null,
    ),
    el('td', {}, stateBadge(pupil.state)),
    questions.map((_, q) => questionCell(pupil, q)),
    el('td', { class: 'num cw-score-cell' }, HANDED.has(pupil.state) ? `${points(pupil.score)} / ${points(pupil.max)}` : ''),
    el('td', { class: 'num' }, HANDED.has(pupil.state) ? percent(share) : ''),
    el('td', { class: 'cw-mark-cell' }, markSelect(pupil)),
    el(
      'td',
      { class: 'center cw-written' },
      pupil.mark ? el('span', { class: `mk cw-mark mk-${pupil.mark}`, text: pupil.mark }) : el('span', { class: 'muted', text: t.none }),
    ),
  );
}

function render() {
  const head = el(
    'tr',
    {},
    el('th', { scope: 'col', class: 'num', text: t.number }),
    el('th', { scope: 'col', text: t.pupil }),
    el('th', { scope: 'col', text: t.state }),
    questions.map((ref, q) =>
      el(
        'th',
        { scope: 'col', class: 'center cw-q-head', title: `${ref.prompt ?? ''} (${fill(t.max_points, { max: points(ref.max) })})` },
        el('a', { href: `#key-${q + 1}`, text: fill(t.question_short, { n: q + 1 }) }),
      ),
    ),
    el('th', { scope: 'col', class: 'num', text: t.score }),
    el('th', { scope: 'col', class: 'num', text: t.share }),
    el('th', { scope: 'col', text: t.to_write }),
    el('th', { scope: 'col', class: 'center', text: t.written }),
  );
  const body = el('tbody', {}, results.pupils.map((pupil, i) => row(pupil, i + 1)));
  table.replaceChildren(table.querySelector('caption') ?? '', el('thead', {}, head), body);
  refreshStats();
}

function refreshStats() {
  const handed = results.pupils.filter((p) => HANDED.has(p.state));
  const shares = handed.map((p) => p.share).filter((s) => s !== null && s !== undefined);
  document.getElementById('cw-stat-handed').textContent = `${handed.length} / ${results.pupils.length}`;
  document.getElementById('cw-stat-average').textContent = shares.length
    ? percent(shares.reduce((a, b) => a + b, 0) / shares.length)
    : '—';
  document.getElementById('cw-stat-marked').textContent = `${results.pupils.filter((p) => p.mark).length} / ${results.pupils.length}`;
}

function replacePupil(updated) {
  const index = results.pupils.findIndex((p) => p.pupil_id === updated.pupil_id);
  if (index < 0) return;
  results.pupils[index] = updated;
  const old = table.querySelector(`tr[data-pupil="${updated.pupil_id}"]`);
  old?.replaceWith(row(updated, index + 1));
  refreshStats();
}

function renderKeys() {
  document.getElementById('cw-key-list').replaceChildren(
    ...full.map((question, q) =>
      el(
        'li',
        { id: `key-${q + 1}`, class: 'cw-key-item' },
        el('strong', { text: `${fill(t.question_short, { n: q + 1 })}. ` }),
        question.prompt ?? '',
        el('span', { class: 'muted text-small', text: ` (${fill(t.max_points, { max: points(questions[q].max) })})` }),
        keyText(question) ? el('div', { class: 'cw-key' }, el('span', { class: 'muted', text: `${t.key} ` }), keyText(question)) : null,
      ),
    ),
  );
}

// --- regrading ------------------------------------------------------------------------------

const regrade = document.getElementById('cw-regrade');
let regrading = null;

function openRegrade(pupilId, focusQuestion) {
  const pupil = results.pupils.find((p) => p.pupil_id === pupilId);
  if (!pupil) return;
  regrading = pupil;
  document.getElementById('cw-regrade-title').textContent = fill(t.regrade_title, { name: pupil.name });
  document.getElementById('cw-regrade-list').replaceChildren(
    ...full.map((question, q) => {
      const answer = answerText(question, pupil.answers?.[q] ?? null);
      const key = keyText(question);
      return el(
        'li',
        { class: 'cw-regrade-item' },
        el('p', { class: 'cw-regrade-prompt' }, el('strong', { text: `${q + 1}. ` }), question.prompt ?? ''),
        el('p', {}, el('span', { class: 'muted', text: `${t.answer} ` }), answer || el('em', { text: t.no_answer })),
        key ? el('p', { class: 'text-small' }, el('span', { class: 'muted', text: `${t.key} ` }), key) : null,
        el(
          'label',
          { class: 'field cw-regrade-points' },
          el('span', { class: 'field-label', text: fill(t.points, { max: points(questions[q].max) }) }),
          el('input', {
            type: 'number',
            inputmode: 'decimal',
            min: 0,
            max: questions[q].max,
            step: 'any',
            required: true,
            value: pupil.question_scores?.[q] ?? 0,
            dataset: { q, was: pupil.question_scores?.[q] ?? '' },
          }),
        ),
      );
    }),
  );
  regrade.returnValue = '';
  regrade.showModal();
  regrade.querySelectorAll('input')[focusQuestion]?.focus();
}

regrade.addEventListener('close', async () => {
  if (regrade.returnValue !== 'save' || !regrading) return;
  const pupil = regrading;
  const scores = [...regrade.querySelectorAll('input[data-q]')].map((input) => {
    const value = Number(input.value);
    return input.value !== '' && String(value) !== input.dataset.was ? value : null;
  });
  if (scores.every((s) => s === null)) return;
  try {
    const updated = await api('PATCH', `/assignments/${detail.id}/results/${pupil.pupil_id}`, { question_scores: scores });
    chosen.delete(updated.pupil_id); // follow the new proposed mark
    replacePupil(updated);
    toast(fill(t.regraded_ok, { name: pupil.name }), 'success');
  } catch (error) {
    toast(`${t.failed} ${error.message}`, 'error');
  }
});

table.addEventListener('click', (event) => {
  const button = event.target.closest('[data-regrade]');
  if (button) openRegrade(Number(button.dataset.regrade), Number(button.dataset.q));
});

// --- marks into the journal ------------------------------------------------------------------

async function writeMarks(button) {
  const marks = results.pupils
    .filter((p) => HANDED.has(p.state))
    .map((p) => ({ pupil_id: p.pupil_id, value: chosen.get(p.pupil_id) ?? '' }))
    .filter((m) => m.value && m.value !== results.pupils.find((p) => p.pupil_id === m.pupil_id)?.mark);
  const box = document.getElementById('cw-write-result');
  if (!marks.length) {
    box.className = 'alert alert-info cw-write-result';
    box.textContent = t.nothing_to_write;
    box.hidden = false;
    return;
  }
  button.disabled = true;
  try {
    const written = await api('POST', `/assignments/${detail.id}/marks`, { marks });
    for (const { pupil_id: pupilId, value } of written.marks) {
      const pupil = results.pupils.find((p) => p.pupil_id === pupilId);
      if (pupil) replacePupil({ ...pupil, mark: value, state: 'marked' });
    }
    box.className = 'alert alert-success cw-write-result';
    box.textContent = `${fill(t.written_ok, { n: written.marks.length })} ${written.marks
      .map((m) => `${results.pupils.find((p) => p.pupil_id === m.pupil_id)?.name ?? m.pupil_id} — ${m.value}`)
      .join(', ')}`;
    box.hidden = false;
    toast(fill(t.written_ok, { n: written.marks.length }), 'success');
  } catch (error) {
    box.className = 'alert alert-error cw-write-result';
    box.textContent = error.code === 'no_slot' ? t.no_slot : `${t.failed} ${error.message}`;
    box.hidden = false;
  } finally {
    button.disabled = false;
  }
}

document.getElementById('cw-write')?.addEventListener('click', (event) => writeMarks(event.currentTarget));

// --- due time, attempts, closing -----------------------------------------------------------

const settings = document.getElementById('cw-settings');

function showAssignment(updated) {
  Object.assign(detail, updated);
  document.getElementById('cw-due-line').replaceChildren(
    `${t.due} `,
    el('time', { datetime: updated.due, 'data-moment': true, 'data-relative': updated.status === 'open' }),
  );
  document
    .getElementById('cw-status')
    .replaceChildren(
      el('span', { class: `badge ${updated.status === 'open' ? 'badge-info' : 'badge-muted'}`, text: updated.status === 'open' ? t.open_badge : t.closed_badge }),
    );
  document.getElementById('cw-attempts').textContent = fill(t.attempts, { n: updated.attempts });
  if (settings) {
    settings.due.value = localInputValue(updated.due);
    document.getElementById('cw-close').hidden = updated.status !== 'open';
    document.getElementById('cw-reopen').hidden = updated.status === 'open';
  }
  showMoments(root);
}

async function patch(body, message) {
  try {
    const updated = await api('PATCH', `/assignments/${detail.id}`, body);
    showAssignment(updated);
    toast(body.closed === false && updated.status === 'closed' ? t.still_closed : message, body.closed === false && updated.status === 'closed' ? 'warning' : 'success');
  } catch (error) {
    toast(`${t.failed} ${error.message}`, 'error');
  }
}

if (settings) {
  settings.due.value = localInputValue(detail.due);
  settings.addEventListener('submit', (event) => {
    event.preventDefault();
    patch(
      {
        due: settings.due.value,
        attempts: Number(settings.attempts.value),
        late: settings.late.checked,
        auto_mark: settings.auto_mark.checked,
      },
      t.saved,
    );
  });
  document.getElementById('cw-close').addEventListener('click', () => patch({ closed: true }, t.closed));
  document.getElementById('cw-reopen').addEventListener('click', () => patch({ closed: false }, t.reopened));
}

render();
renderKeys();
showMoments(root);
