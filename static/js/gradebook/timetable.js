// The admin's weekly timetable grid (/admin/timetable?class=): periods × Monday–Saturday,
// each cell a <select> of the class's courses. Saves through PUT /classes/{id}/timetable,
// the bell times through PUT /bell-times, generates a term's slots through
// POST /slots/generate. The API's errors are shown next to what they are about.
//
// Keys in the grid: arrows move between cells (the native list opens with Space or
// Alt+↓; a typed letter picks a course), Home/End go to the row's ends, Delete or
// Backspace empties a cell.

import { api, ApiError } from '/static/js/api.js';
import { toast } from '/static/js/app.js';
import { el, fill, readJson } from '/static/js/dom.js';

const data = readJson('tt-data');
const t = readJson('tt-i18n');
const grid = document.getElementById('tt-grid');
const NOTICE_KEY = 'eschool.timetable.notice';

// --- the grid ------------------------------------------------------------------------

const selects = grid ? [...grid.querySelectorAll('select.tt-select')] : [];
const rows = grid ? [...grid.tBodies[0].rows].map((row) => [...row.querySelectorAll('select.tt-select')]) : [];
const stateLine = document.getElementById('tt-state');
const errorsBox = document.getElementById('tt-errors');

/** The entries loaded for the cell at `weekday:period` (the first is the select's). */
const loaded = new Map(Object.entries(data.cells ?? {}));
let saved = new Map(selects.map((select) => [select, select.value]));

function cellOf(select) {
  const cell = select.closest('td');
  return { weekday: Number(cell.dataset.weekday), period: Number(cell.dataset.period), cell };
}

function isDirty() {
  return selects.some((select) => select.value !== saved.get(select));
}

function showState() {
  if (!stateLine) return;
  stateLine.textContent = isDirty() ? t.unsaved : '';
  for (const select of selects) {
    select.closest('td').classList.toggle('tt-changed', select.value !== saved.get(select));
  }
}

/** A room for a course: the one it has elsewhere in this timetable, else none. */
function roomFor(courseId) {
  for (const entries of loaded.values()) {
    const found = entries.find((entry) => entry.course_id === courseId && entry.room);
    if (found) return found.room;
  }
  return '';
}

/** The entries to send, with `cells[i]` the grid cell of entry i (null for kept ones). */
function collect() {
  const entries = [];
  const cells = [];
  for (const select of selects) {
    const { weekday, period, cell } = cellOf(select);
    const before = loaded.get(`${weekday}:${period}`) ?? [];
    if (select.value) {
      const courseId = Number(select.value);
      const same = before[0] && before[0].course_id === courseId ? before[0] : null;
      // An unchanged lesson keeps its room and times; a new one takes the bell times.
      const entry = { weekday, period, course_id: courseId, room: same ? same.room : roomFor(courseId) };
      if (same) Object.assign(entry, { starts: same.starts, ends: same.ends });
      entries.push(entry);
      cells.push(cell);
    }
    for (const extra of before.slice(1)) {
      entries.push(keep(extra));
      cells.push(cell);
    }
  }
  for (const hidden of data.hidden ?? []) {
    entries.push(keep(hidden));
    cells.push(null);
  }
  return { entries, cells };
}

function keep(entry) {
  const { weekday, period, course_id: courseId, room, starts, ends } = entry;
  return { weekday, period, course_id: courseId, room, starts, ends };
}

function clearErrors() {
  errorsBox.hidden = true;
  errorsBox.replaceChildren();
  for (const cell of grid.querySelectorAll('.tt-clash')) cell.classList.remove('tt-clash');
  for (const select of selects) select.removeAttribute('aria-invalid');
}

function markCell(weekday, period) {
  const cell = grid.querySelector(`td[data-weekday="${weekday}"][data-period="${period}"]`);
  if (!cell) return;
  cell.classList.add('tt-clash');
  cell.querySelector('select')?.setAttribute('aria-invalid', 'true');
}

function showErrors(error, cells) {
  errorsBox.replaceChildren(el('p', { text: error.message }));
  const clashes = error.details?.clashes;
  if (Array.isArray(clashes)) {
    const list = el('ul');
    for (const clash of clashes) {
      markCell(clash.weekday, clash.period);
      list.append(
        el('li', {
          text: fill(t.clash, {
            weekday: t.weekdays[clash.weekday] ?? clash.weekday,
            n: clash.period,
            teacher: clash.teacher.name,
            class_name: clash.class.name,
          }),
        }),
      );
    }
    errorsBox.append(list);
  } else if (Array.isArray(error.details)) {
    // Field errors: loc ["entries", i, field] points at the i-th entry sent.
    for (const item of error.details) {
      const index = Number(item.loc?.[1]);
      const cell = cells[index];
      if (cell) markCell(cell.dataset.weekday, cell.dataset.period);
    }
  }
  errorsBox.hidden = false;
  errorsBox.scrollIntoView({ block: 'nearest' });
}

async function saveTimetable() {
  clearErrors();
  const { entries, cells } = collect();
  stateLine.textContent = t.saving;
  try {
    const answer = await api('PUT', `/classes/${data.class_id}/timetable`, { entries });
    loaded.clear();
    for (const entry of answer.items) {
      const key = `${entry.weekday}:${entry.period}`;
      if (!loaded.has(key)) loaded.set(key, []);
      loaded.get(key).push(entry);
    }
    // The select's entry first, as the page renders it.
    for (const select of selects) {
      const { weekday, period } = cellOf(select);
      const list = loaded.get(`${weekday}:${period}`);
      if (list && select.value) list.sort((a, b) => (b.course_id === Number(select.value)) - (a.course_id === Number(select.value)));
    }
    saved = new Map(selects.map((select) => [select, select.value]));
    showState();
    stateLine.textContent = t.saved;
    return true;
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    showState();
    showErrors(error, cells);
    return false;
  }
}

function move(select, dRow, dCol) {
  const r = rows.findIndex((row) => row.includes(select));
  const c = rows[r].indexOf(select);
  const row = rows[Math.min(rows.length - 1, Math.max(0, r + dRow))];
  const target = row[Math.min(row.length - 1, Math.max(0, c + dCol))];
  target?.focus();
}

function onGridKey(event) {
  const select = event.target.closest('select.tt-select');
  if (!select || event.altKey || event.ctrlKey || event.metaKey) return;
  const moves = { ArrowUp: [-1, 0], ArrowDown: [1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1] };
  if (event.key in moves) {
    event.preventDefault();
    move(select, ...moves[event.key]);
  } else if (event.key === 'Home' || event.key === 'End') {
    event.preventDefault();
    move(select, 0, event.key === 'Home' ? -99 : 99);
  } else if (event.key === 'Delete' || event.key === 'Backspace') {
    event.preventDefault();
    select.value = '';
    showState();
  } else if (event.key === 'Enter') {
    event.preventDefault();
    try {
      select.showPicker();
    } catch {
      // showPicker needs a user gesture and a recent browser; Space still opens the list.
    }
  }
}

// --- slots ---------------------------------------------------------------------------

async function generate() {
  const button = document.getElementById('tt-generate');
  const out = document.getElementById('tt-generated');
  button.disabled = true;
  out.textContent = '';
  try {
    if (isDirty() && !(await saveTimetable())) return;
    const termId = Number(document.getElementById('tt-term').value);
    const result = await api('POST', '/slots/generate', { term_id: termId, class_id: data.class_id });
    out.textContent = fill(t.generated, result);
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    out.textContent = '';
    toast(error.message, 'error');
  } finally {
    button.disabled = false;
  }
}

// --- bell times ----------------------------------------------------------------------

const bellTable = document.getElementById('tt-bells');
const bellError = document.getElementById('tt-bells-error');

function bellRows() {
  return [...bellTable.tBodies[0].rows];
}

function addBell() {
  const last = bellRows().at(-1);
  const next = last ? Number(last.querySelector('.tt-bell-period').value) + 1 : 1;
  const row = el(
    'tr',
    { class: 'tt-bell' },
    el('td', {}, el('input', { class: 'tt-bell-period', type: 'number', min: 0, max: 12, step: 1, value: String(next), 'aria-label': t.period, required: true })),
    el('td', {}, el('input', { class: 'tt-bell-starts', type: 'time', 'aria-label': t.starts, required: true })),
    el('td', {}, el('input', { class: 'tt-bell-ends', type: 'time', 'aria-label': t.ends, required: true })),
    el('td', {}, el('button', { type: 'button', class: 'btn btn-ghost btn-sm tt-bell-remove', 'aria-label': t.remove, title: t.remove, text: '✕' })),
  );
  bellTable.tBodies[0].append(row);
  row.querySelector('.tt-bell-starts').focus();
}

function clearBellErrors() {
  bellError.hidden = true;
  bellError.textContent = '';
  for (const input of bellTable.querySelectorAll('[aria-invalid]')) input.removeAttribute('aria-invalid');
  for (const row of bellRows()) row.classList.remove('tt-bell-wrong');
}

function markBell(rowNumber, field) {
  const row = bellRows()[rowNumber - 1];
  if (!row) return;
  row.classList.add('tt-bell-wrong');
  const input = row.querySelector(`.tt-bell-${field}`) ?? row.querySelector('input');
  input.setAttribute('aria-invalid', 'true');
  input.focus();
}

async function saveBells() {
  clearBellErrors();
  const periods = bellRows().map((row) => ({
    period: Number(row.querySelector('.tt-bell-period').value),
    starts: row.querySelector('.tt-bell-starts').value,
    ends: row.querySelector('.tt-bell-ends').value,
  }));
  try {
    const answer = await api('PUT', '/bell-times', { periods });
    sessionStorage.setItem(NOTICE_KEY, fill(t.bells_saved, { n: answer.timetable_updated ?? 0 }));
    window.removeEventListener('beforeunload', onLeave);
    window.location.reload();
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    bellError.textContent = error.message;
    bellError.hidden = false;
    if (error.details?.row) {
      markBell(error.details.row, error.details.field);
    } else if (Array.isArray(error.details)) {
      // Field errors: loc ["periods", i, field].
      const item = error.details[0];
      const index = Number(item?.loc?.[1]);
      if (Number.isInteger(index)) markBell(index + 1, item.loc[2]);
    }
  }
}

// --- wiring --------------------------------------------------------------------------

function onLeave(event) {
  if (isDirty()) {
    event.preventDefault();
    event.returnValue = t.leave;
  }
}

if (grid) {
  grid.addEventListener('keydown', onGridKey);
  grid.addEventListener('change', showState);
  document.getElementById('tt-save').addEventListener('click', saveTimetable);
  window.addEventListener('beforeunload', onLeave);
}
document.getElementById('tt-generate')?.addEventListener('click', generate);
document.getElementById('tt-class')?.addEventListener('change', (event) => {
  if (isDirty() && !window.confirm(t.leave)) {
    event.target.value = String(data.class_id);
    return;
  }
  window.removeEventListener('beforeunload', onLeave);
  event.target.form.submit();
});
document.getElementById('tt-bell-add').addEventListener('click', addBell);
document.getElementById('tt-bells-save').addEventListener('click', saveBells);
bellTable.addEventListener('click', (event) => {
  const button = event.target.closest('.tt-bell-remove');
  if (button) button.closest('tr').remove();
});

const notice = sessionStorage.getItem(NOTICE_KEY);
if (notice) {
  sessionStorage.removeItem(NOTICE_KEY);
  toast(notice, 'success');
}
