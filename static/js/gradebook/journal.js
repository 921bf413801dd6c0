// The teacher's journal: a spreadsheet-like grid of pupils × lesson slots.
//
// The grid is rendered once from the JSON embedded in the page; after that only the
// touched cells are rewritten. One keydown, one click and one dblclick listener on the
// table handle every cell (event delegation), so 35 pupils × 80 lessons stay fluid.
//
// Keys: arrows/Home/End move · typing starts a mark, Enter saves and moves down,
// Escape cancels · н or n toggles an absence · Delete/Backspace removes the cell's last
// mark (asking for a reason) or its absence · Enter on an idle cell opens the editor
// (prefilled with the suggestion in the term column) · Alt+Enter opens the cell panel.

import { api, upload } from '/static/js/api.js';
import { toast } from '/static/js/app.js';
import { setUpSlotAssign } from '/static/js/classwork/slot_assign.js';
import { noteIndex, noteMarker } from '/static/js/gradebook/absence_marks.js';
import { setUpSidePanel } from '/static/js/gradebook/panel.js';

// н/n always type an absence; the cell shows the code of the interface's language.
const ABSENCE_KEYS = new Set(['н', 'n']);

const data = JSON.parse(document.getElementById('journal-data').textContent);
const t = JSON.parse(document.getElementById('journal-i18n').textContent);
const ATTENDANCE_CODES = t.codes;
const table = document.getElementById('journal-grid');
const scroller = document.getElementById('journal-scroll');
const panel = document.getElementById('journal-panel');
const workTypeSelect = document.getElementById('work-type');
const lang = document.documentElement.lang || 'en';

const role = scroller.dataset.role;
const pupils = data.pupils;
const slots = data.slots;
const N = slots.length; // column N is the term-mark column
const term = data.term;
const canWrite = data.access === 'write' && (!term.closed || role === 'admin');
const needsReason = term.closed && role === 'admin';
const workTypes = Object.fromEntries(data.work_types.map((w) => [w.code, w]));

// --- state ---------------------------------------------------------------------------

const marksAt = new Map(); // "pupil:slot" → [mark, …] in the order given
const statusAt = new Map(); // "pupil:slot" → status
const averages = data.averages;
const termMarks = data.term_marks;
const suggested = data.suggested;
const key = (pupilId, slotId) => `${pupilId}:${slotId}`;

for (const mark of data.marks) {
  const k = key(mark.pupil_id, mark.slot_id);
  if (!marksAt.has(k)) marksAt.set(k, []);
  marksAt.get(k).push(mark);
}
for (const record of data.attendance) statusAt.set(key(record.pupil_id, record.slot_id), record.status);
const noteAt = noteIndex(data.absence_notes); // "pupil:slot" → the absence note covering it

let active = { row: 0, col: 0 };
let editing = null; // { row, col, input }
let panelFor = null; // { kind: 'slot', col } | { kind: 'cell', row, col }

// --- formatting ----------------------------------------------------------------------

const dayFormat = new Intl.DateTimeFormat(lang, { day: '2-digit', month: '2-digit' });
const weekdayFormat = new Intl.DateTimeFormat(lang, { weekday: 'short' });
const longFormat = new Intl.DateTimeFormat(lang, { weekday: 'long', day: 'numeric', month: 'long' });
const stampFormat = new Intl.DateTimeFormat(lang, { dateStyle: 'medium', timeStyle: 'short' });
const asDate = (iso) => new Date(`${iso}T12:00:00`);
const fill = (text, values) => text.replace(/\{(\w+)\}/g, (_m, name) => values[name] ?? '');

function escapeHtml(text) {
  return String(text ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function markClass(value) {
  return /^[2-5]$/.test(value) ? ` mk-${value}` : '';
}

function cellHtml(pupilId, slotId) {
  const k = key(pupilId, slotId);
  const parts = (marksAt.get(k) ?? []).map((mark) => {
    const heavy = mark.weight > 1 ? ' mk-heavy' : '';
    const kind = workTypes[mark.work_type]?.name ?? mark.work_type;
    const title = mark.weight !== 1 ? `${kind} · ${t.weight} ${mark.weight}` : kind;
    return `<span class="mk${markClass(mark.value)}${heavy}" title="${escapeHtml(title)}">${escapeHtml(mark.value)}</span>`;
  });
  const status = statusAt.get(k);
  if (status && ATTENDANCE_CODES[status]) {
    parts.push(`<span class="att att-${status}" title="${escapeHtml(t[status])}">${ATTENDANCE_CODES[status]}</span>`);
  }
  parts.push(noteMarker(noteAt.get(k), status, t));
  return parts.join('');
}

function averageHtml(pupilId) {
  const value = averages[pupilId];
  if (value === null || value === undefined) return '';
  const band = value >= 4.5 ? 'high' : value >= 3.5 ? 'good' : value >= 2.5 ? 'fair' : 'low';
  return `<span class="avg avg-${band}">${value.toFixed(2)}</span>`;
}

function termHtml(pupilId) {
  const given = termMarks[pupilId];
  if (given) return `<span class="mk mk-term${markClass(given)}">${escapeHtml(given)}</span>`;
  const hint = suggested[pupilId];
  return hint ? `<span class="suggestion" title="${escapeHtml(t.suggested)}">${escapeHtml(hint)}</span>` : '';
}

// --- rendering -------------------------------------------------------------------------

function headerHtml(slot, col) {
  const when = asDate(slot.date);
  const today = slot.date === data.today ? ' is-today' : '';
  const flags = `${slot.topic ? '<span class="flag flag-topic" aria-hidden="true"></span>' : ''}${
    slot.homework || slot.attachments.length ? '<span class="flag flag-homework" aria-hidden="true"></span>' : ''
  }`;
  const title = [slot.topic || t.no_topic, slot.homework ? `${t.homework}: ${slot.homework}` : '']
    .filter(Boolean)
    .join('\n');
  return `<th scope="col" class="col-slot${today}" data-col="${col}"><button type="button" class="slot-head" data-col="${col}" title="${escapeHtml(title)}"><span class="slot-date">${dayFormat.format(when)}</span><span class="slot-meta">${weekdayFormat.format(when)} · ${slot.period}</span><span class="slot-flags">${flags}</span></button></th>`;
}

function render() {
  const head = slots.map(headerHtml).join('');
  const todayCols = new Set(slots.flatMap((slot, col) => (slot.date === data.today ? [col] : [])));
  const rows = pupils
    .map((pupil, row) => {
      const cells = slots
        .map(
          (slot, col) =>
            `<td class="cell${todayCols.has(col) ? ' is-today' : ''}" data-row="${row}" data-col="${col}" tabindex="-1">${cellHtml(pupil.id, slot.id)}</td>`,
        )
        .join('');
      return `<tr><th scope="row" class="col-pupil"><span class="pupil-num">${row + 1}</span><span class="pupil-name">${escapeHtml(pupil.name)}</span></th>${cells}<td class="col-avg" data-avg="${row}">${averageHtml(pupil.id)}</td><td class="cell col-term" data-row="${row}" data-col="${N}" tabindex="-1">${termHtml(pupil.id)}</td></tr>`;
    })
    .join('');
  table.innerHTML = `<thead><tr><th scope="col" class="col-pupil">${escapeHtml(t.pupil)}</th>${head}<th scope="col" class="col-avg">${escapeHtml(t.average)}</th><th scope="col" class="col-term">${escapeHtml(t.term_mark)}</th></tr></thead><tbody>${rows}</tbody>`;
  if (!slots.length) {
    scroller.insertAdjacentHTML('beforebegin', `<p class="alert alert-info">${escapeHtml(t.empty_term)}</p>`);
  }
}

function cellAt(row, col) {
  const tr = table.tBodies[0]?.rows[row];
  if (!tr) return null;
  return col < N ? tr.cells[col + 1] : tr.cells[N + 2];
}

function refreshCell(row, col) {
  const cell = cellAt(row, col);
  const pupil = pupils[row];
  if (!cell || !pupil) return;
  if (editing && editing.row === row && editing.col === col) return;
  cell.innerHTML = col < N ? cellHtml(pupil.id, slots[col].id) : termHtml(pupil.id);
}

function refreshResult(row) {
  const pupil = pupils[row];
  table.querySelector(`[data-avg="${row}"]`).innerHTML = averageHtml(pupil.id);
  refreshCell(row, N);
}

function refreshHeader(col) {
  const th = table.tHead.rows[0].cells[col + 1];
  th.outerHTML = headerHtml(slots[col], col);
}

function refreshSummary() {
  const summary = document.getElementById('journal-summary');
  const percent = data.class_attendance.present_percent;
  summary.textContent = fill(t.summary, {
    pupils: pupils.length,
    slots: N,
    percent: percent === null ? '—' : `${percent}%`,
  });
}

// --- moving around -------------------------------------------------------------------------

function ensureVisible(cell) {
  const box = scroller.getBoundingClientRect();
  const rect = cell.getBoundingClientRect();
  const stickyLeft = table.tHead.rows[0].cells[0].getBoundingClientRect().right;
  const stickyTop = table.tHead.getBoundingClientRect().bottom;
  if (rect.left < stickyLeft) scroller.scrollLeft -= stickyLeft - rect.left + 4;
  else if (rect.right > box.right) scroller.scrollLeft += rect.right - box.right + 4;
  if (rect.top < stickyTop) scroller.scrollTop -= stickyTop - rect.top + 4;
  else if (rect.bottom > box.bottom) scroller.scrollTop += rect.bottom - box.bottom + 4;
}

function setActive(row, col, { focus = true } = {}) {
  row = Math.max(0, Math.min(pupils.length - 1, row));
  col = Math.max(0, Math.min(N, col));
  const previous = cellAt(active.row, active.col);
  if (previous) {
    previous.tabIndex = -1;
    previous.classList.remove('is-active');
  }
  active = { row, col };
  const cell = cellAt(row, col);
  if (!cell) return;
  cell.tabIndex = 0;
  cell.classList.add('is-active');
  if (focus) cell.focus({ preventScroll: true });
  ensureVisible(cell);
  if (panelFor && panelFor.kind !== 'slot') openCellPanel(row, col);
}

function startColumn() {
  const upcoming = slots.findIndex((slot) => slot.date >= data.today);
  return upcoming === -1 ? Math.max(0, N - 1) : upcoming;
}

// --- writing ---------------------------------------------------------------------------------

// The reason dialog: resolves to the reason typed, '' when an optional one is left out, or
// null when cancelled (a required reason cannot be left out: the input is `required`).
async function askReason(why, { required = true } = {}) {
  const dialog = document.getElementById('reason-dialog');
  const input = document.getElementById('reason-input');
  document.getElementById('reason-why').textContent = why;
  input.value = '';
  input.required = required;
  input.placeholder = required ? '' : t.reason_optional;
  dialog.returnValue = '';
  const back = document.activeElement;
  dialog.showModal();
  input.focus();
  return new Promise((resolve) => {
    dialog.addEventListener(
      'close',
      () => {
        const text = input.value.trim();
        if (back?.isConnected) back.focus({ preventScroll: true });
        if (dialog.returnValue !== 'ok') resolve(null);
        else resolve(text || (required ? null : ''));
      },
      { once: true },
    );
  });
}

async function closedTermReason() {
  if (!needsReason) return undefined;
  return askReason(t.reason_closed);
}

function refuseIfReadOnly() {
  if (canWrite) return false;
  toast(term.closed ? t.closed : t.read_only, 'warning');
  return true;
}

// Writes run one after another, in the order they were asked for: typing ahead never
// waits for the server, and an older answer never overwrites a newer average.
let writes = Promise.resolve();

function withCell(row, col, action) {
  const cell = cellAt(row, col);
  cell?.classList.add('is-saving');
  const run = async () => {
    try {
      await action();
      cell?.classList.remove('is-error');
      return true;
    } catch (error) {
      cell?.classList.add('is-error');
      toast(error.message, 'error');
      return false;
    } finally {
      cell?.classList.remove('is-saving');
      refreshCell(row, col);
      if (panelFor && panelFor.kind !== 'slot' && panelFor.row === row && panelFor.col === col) {
        openCellPanel(row, col);
      }
    }
  };
  const result = writes.then(run);
  writes = result;
  return result;
}

function applyResult(row, result) {
  const pupilId = pupils[row].id;
  averages[pupilId] = result.average;
  suggested[pupilId] = result.suggested;
  termMarks[pupilId] = result.term_mark;
  refreshResult(row);
}

async function addMarks(row, col, text, workType = workTypeSelect?.value ?? 'classwork') {
  const reason = await closedTermReason();
  if (reason === null) return false;
  const values = text.split(/[\s,;]+/).filter(Boolean);
  return withCell(row, col, async () => {
    for (const value of values) {
      const mark = await api('POST', '/marks', {
        pupil_id: pupils[row].id,
        slot_id: slots[col].id,
        value,
        work_type: workType,
        reason,
      });
      const k = key(mark.pupil_id, mark.slot_id);
      if (!marksAt.has(k)) marksAt.set(k, []);
      marksAt.get(k).push(mark);
      applyResult(row, mark);
    }
  });
}

async function setStatus(row, col, status) {
  const reason = await closedTermReason();
  if (reason === null) return false;
  return withCell(row, col, async () => {
    const record = await api('PUT', '/attendance', {
      pupil_id: pupils[row].id,
      slot_id: slots[col].id,
      status,
      reason,
    });
    statusAt.set(key(record.pupil_id, record.slot_id), record.status);
  });
}

async function toggleAbsence(row, col) {
  const current = statusAt.get(key(pupils[row].id, slots[col].id)) ?? 'present';
  return setStatus(row, col, current === 'absent' ? 'present' : 'absent');
}

async function deleteMark(row, col, mark) {
  const reason = await askReason(`${fill(t.delete_mark, { value: mark.value })} ${t.reason_delete}`);
  if (reason === null) return false;
  return withCell(row, col, async () => {
    const result = await api('DELETE', `/marks/${mark.id}?reason=${encodeURIComponent(reason)}`);
    const k = key(pupils[row].id, slots[col].id);
    marksAt.set(
      k,
      (marksAt.get(k) ?? []).filter((m) => m.id !== mark.id),
    );
    applyResult(row, result);
  });
}

// Changing a mark given earlier asks why: a reason is required once the lesson's day is
// over (and in a closed term), optional on the day itself. The history shows it.
async function changeMark(row, col, mark, changes) {
  const required = needsReason || slots[col].date < data.today;
  const reason = await askReason(required ? t.reason_change_required : t.reason_change, { required });
  if (reason === null) return false;
  return withCell(row, col, async () => {
    const result = await api('PATCH', `/marks/${mark.id}`, { ...changes, reason: reason || undefined });
    Object.assign(mark, result);
    applyResult(row, result);
  });
}

async function setTermMark(row, text) {
  const reason = await closedTermReason();
  if (reason === null) return false;
  return withCell(row, N, async () => {
    const result = await api('PUT', '/term-marks', {
      pupil_id: pupils[row].id,
      course_id: data.course.id,
      term_id: term.id,
      value: text.trim() || null,
      reason,
    });
    applyResult(row, result);
  });
}

async function clearCell(row, col) {
  if (col === N) {
    if (termMarks[pupils[row].id]) await setTermMark(row, '');
    return;
  }
  const list = marksAt.get(key(pupils[row].id, slots[col].id)) ?? [];
  if (list.length) {
    await deleteMark(row, col, list[list.length - 1]);
  } else if ((statusAt.get(key(pupils[row].id, slots[col].id)) ?? 'present') !== 'present') {
    await setStatus(row, col, 'present');
  }
}

// --- the in-cell editor -----------------------------------------------------------------------

const editor = document.createElement('input');
editor.className = 'cell-editor';
editor.autocomplete = 'off';
editor.maxLength = 12;
editor.setAttribute('aria-label', t.pupil);

function startEditing(row, col, initial, { select = false } = {}) {
  if (refuseIfReadOnly()) return;
  const cell = cellAt(row, col);
  editing = { row, col };
  cell.classList.add('is-editing');
  editor.value = initial;
  cell.append(editor);
  editor.focus({ preventScroll: true });
  if (select) editor.select();
}

function stopEditing() {
  if (!editing) return null;
  const { row, col } = editing;
  editing = null;
  const cell = cellAt(row, col);
  cell.classList.remove('is-editing');
  editor.remove();
  refreshCell(row, col);
  return { row, col };
}

async function commitEditing(move, { refocus = true } = {}) {
  if (!editing) return;
  const { row, col } = editing;
  const text = editor.value.trim();
  stopEditing();
  // Move on at once so that typing can go on while the mark is saved.
  if (refocus && !needsReason) setActive(row + move.row, col + move.col);
  let saved = true;
  if (text && col === N) {
    saved = await setTermMark(row, text);
  } else if (text && ABSENCE_KEYS.has(text.toLowerCase())) {
    saved = await toggleAbsence(row, col);
  } else if (text) {
    saved = await addMarks(row, col, text);
  }
  if (refocus && needsReason) setActive(row + (saved ? move.row : 0), col + (saved ? move.col : 0));
}

editor.addEventListener('keydown', (event) => {
  event.stopPropagation();
  const moves = {
    Enter: { row: 1, col: 0 },
    Tab: { row: 0, col: event.shiftKey ? -1 : 1 },
    ArrowDown: { row: 1, col: 0 },
    ArrowUp: { row: -1, col: 0 },
  };
  if (event.key === 'Escape') {
    event.preventDefault();
    const at = stopEditing();
    if (at) setActive(at.row, at.col);
  } else if (moves[event.key]) {
    event.preventDefault();
    commitEditing(moves[event.key]);
  }
});
editor.addEventListener('blur', () => {
  // Clicking elsewhere keeps what was typed, like a spreadsheet.
  if (editing) commitEditing({ row: 0, col: 0 }, { refocus: false });
});

// --- grid events (delegated) ------------------------------------------------------------------

const MOVES = {
  ArrowUp: [-1, 0],
  ArrowDown: [1, 0],
  ArrowLeft: [0, -1],
  ArrowRight: [0, 1],
};

table.addEventListener('keydown', (event) => {
  const cell = event.target.closest('td.cell');
  if (!cell || editing) return;
  const row = Number(cell.dataset.row);
  const col = Number(cell.dataset.col);
  if (MOVES[event.key]) {
    event.preventDefault();
    const [dr, dc] = MOVES[event.key];
    setActive(row + dr, col + dc);
  } else if (event.key === 'Home' || event.key === 'End') {
    event.preventDefault();
    setActive(event.ctrlKey ? (event.key === 'Home' ? 0 : pupils.length - 1) : row, event.key === 'Home' ? 0 : N);
  } else if (event.key === 'PageDown' || event.key === 'PageUp') {
    event.preventDefault();
    setActive(row + (event.key === 'PageDown' ? 10 : -10), col);
  } else if (event.key === 'Enter' && event.altKey) {
    event.preventDefault();
    openCellPanel(row, col, { focus: true });
  } else if (event.key === 'Enter' || event.key === 'F2') {
    event.preventDefault();
    const prefill = col === N ? (termMarks[pupils[row].id] ?? suggested[pupils[row].id] ?? '') : '';
    startEditing(row, col, prefill, { select: true });
  } else if (event.key === 'Delete' || event.key === 'Backspace') {
    event.preventDefault();
    if (!refuseIfReadOnly()) clearCell(row, col);
  } else if (event.key.length === 1 && !event.ctrlKey && !event.metaKey && !event.altKey) {
    if (event.key === ' ') return;
    event.preventDefault();
    if (col < N && ABSENCE_KEYS.has(event.key.toLowerCase())) {
      if (!refuseIfReadOnly()) toggleAbsence(row, col);
    } else {
      startEditing(row, col, event.key);
    }
  }
});

table.addEventListener('click', (event) => {
  const head = event.target.closest('button.slot-head');
  if (head) {
    openSlotPanel(Number(head.dataset.col));
    return;
  }
  const cell = event.target.closest('td.cell');
  if (!cell || cell.classList.contains('is-editing')) return;
  const row = Number(cell.dataset.row);
  const col = Number(cell.dataset.col);
  // A second tap on the active cell opens its panel (tablets have no keyboard).
  const again = active.row === row && active.col === col && document.activeElement === cell;
  setActive(row, col);
  if (again && event.pointerType === 'touch') openCellPanel(row, col, { focus: true });
});

table.addEventListener('dblclick', (event) => {
  const cell = event.target.closest('td.cell');
  if (cell) openCellPanel(Number(cell.dataset.row), Number(cell.dataset.col), { focus: true });
});

// --- the side panel: a slot's topic and homework, or a cell's marks and history ---------------

const slotForm = document.getElementById('slot-form');
const cellDetails = document.getElementById('cell-details');
const attachmentsList = document.getElementById('slot-attachments');
let draftAttachments = [];

const sidePanel = setUpSidePanel(panel, { onEscape: () => closePanel(), isOpen: () => !panel.hidden });

function showPanel(title) {
  document.getElementById('panel-title').textContent = title;
  if (panel.hidden) sidePanel.remember();
  sidePanel.place();
  panel.hidden = false;
  document.body.classList.add('has-journal-panel');
}

function closePanel() {
  panel.hidden = true;
  panelFor = null;
  document.body.classList.remove('has-journal-panel');
  sidePanel.restore(cellAt(active.row, active.col));
}

// The names the homework files were uploaded with, by id (from the journal and new uploads).
const fileNames = new Map(slots.flatMap((slot) => (slot.files ?? []).map((file) => [file.id, file.name])));

function renderAttachments() {
  attachmentsList.innerHTML = draftAttachments
    .map((id, index) => {
      const name = fileNames.get(id) || `${t.attachment} ${index + 1}`;
      return `<li><a href="/assets/${encodeURIComponent(id)}" target="_blank" rel="noopener">${escapeHtml(name)}</a> <button type="button" class="btn btn-ghost btn-sm" data-remove-attachment="${escapeHtml(id)}" aria-label="${escapeHtml(`${t.delete}: ${name}`)}">✕</button></li>`;
    })
    .join('');
}

function openSlotPanel(col) {
  const slot = slots[col];
  panelFor = { kind: 'slot', col };
  cellDetails.hidden = true;
  slotForm.hidden = false;
  const when = asDate(slot.date);
  showPanel(`${longFormat.format(when)}, ${slot.period}`);
  document.getElementById('slot-when').textContent = `${slot.starts}–${slot.ends}${slot.room ? ` · ${slot.room}` : ''}`;
  slotForm.topic.value = slot.topic;
  slotForm.homework.value = slot.homework;
  slotForm.lesson_id.value = slot.lesson?.lesson_id ?? '';
  document.getElementById('slot-lesson-title').textContent = slot.lesson
    ? fill(t.lesson_linked, { title: slot.lesson.title ?? '', version: slot.lesson.version ?? '' })
    : '';
  draftAttachments = [...slot.attachments];
  renderAttachments();
  for (const field of slotForm.elements) field.disabled = data.access !== 'write';
  slotAssign.show(slot);
  slotForm.topic.focus();
}

// "Assign a library lesson" as homework for the slot (classwork's assignments).
const slotAssign = setUpSlotAssign({ course: data.course, slots, today: data.today, canWrite: data.access === 'write', t });

slotForm.addEventListener('submit', async (event) => {
  event.preventDefault();
  const col = panelFor?.col;
  if (col === undefined) return;
  const slot = slots[col];
  const lesson = slotForm.lesson_id.value.trim();
  const body = {
    topic: slotForm.topic.value,
    homework: slotForm.homework.value,
    attachments: draftAttachments,
  };
  if ((slot.lesson?.lesson_id ?? '') !== (lesson ? Number(lesson) : '')) body.lesson_id = lesson ? Number(lesson) : null;
  try {
    const updated = await api('PATCH', `/slots/${slot.id}`, body);
    slots[col] = {
      ...slot,
      ...updated,
      files: (updated.attachments ?? []).map((id) => ({ id, name: fileNames.get(id) ?? '' })),
    };
    refreshHeader(col);
    toast(t.saved, 'success');
    closePanel();
  } catch (error) {
    toast(error.message, 'error');
  }
});

attachmentsList.addEventListener('click', (event) => {
  const button = event.target.closest('[data-remove-attachment]');
  if (!button) return;
  draftAttachments = draftAttachments.filter((id) => id !== button.dataset.removeAttachment);
  renderAttachments();
});

document.getElementById('slot-file').addEventListener('change', async (event) => {
  const file = event.target.files?.[0];
  if (!file) return;
  const form = new FormData();
  form.append('file', file);
  try {
    const asset = await upload('/assets', form);
    fileNames.set(asset.id, asset.filename || file.name);
    draftAttachments.push(asset.id);
    renderAttachments();
  } catch (error) {
    toast(error.message, 'error');
  } finally {
    event.target.value = '';
  }
});

// `focus`: opened on purpose (double click, Alt+Enter), so the panel takes the keyboard;
// otherwise it only follows the active cell.
function openCellPanel(row, col, { focus = false } = {}) {
  if (col === N) {
    openTermPanel(row);
    if (focus) panel.querySelector('[data-action="close-panel"]').focus();
    return;
  }
  const pupil = pupils[row];
  const slot = slots[col];
  panelFor = { kind: 'cell', row, col };
  slotForm.hidden = true;
  cellDetails.hidden = false;
  showPanel(pupil.name);
  document.getElementById('cell-when').textContent =
    `${longFormat.format(asDate(slot.date))}, ${slot.period} · ${slot.topic || t.no_topic}`;
  document.getElementById('cell-add').hidden = !canWrite;
  const status = document.getElementById('cell-status');
  status.closest('.field').hidden = false;
  status.value = statusAt.get(key(pupil.id, slot.id)) ?? 'present';
  status.disabled = !canWrite;
  const list = marksAt.get(key(pupil.id, slot.id)) ?? [];
  const options = data.work_types
    .map((w) => `<option value="${escapeHtml(w.code)}">${escapeHtml(w.name)}</option>`)
    .join('');
  document.getElementById('cell-marks').innerHTML = list.length
    ? list
        .map(
          (mark) => `<li class="cell-mark" data-mark="${mark.id}">
        <input class="mark-input" value="${escapeHtml(mark.value)}" aria-label="${escapeHtml(t.average)}" ${canWrite ? '' : 'disabled'}>
        <select class="mark-type" ${canWrite ? '' : 'disabled'}>${options.replace(`value="${escapeHtml(mark.work_type)}"`, `value="${escapeHtml(mark.work_type)}" selected`)}</select>
        <span class="row">
          ${canWrite ? `<button type="button" class="btn btn-primary btn-sm" data-mark-action="save">${escapeHtml(t.save)}</button>` : ''}
          <button type="button" class="btn btn-secondary btn-sm" data-mark-action="history">${escapeHtml(t.history)}</button>
          ${canWrite ? `<button type="button" class="btn btn-danger btn-sm" data-mark-action="delete">${escapeHtml(t.delete)}</button>` : ''}
        </span>
      </li>`,
        )
        .join('')
    : `<li class="muted">${escapeHtml(t.no_marks)}</li>`;
  document.getElementById('cell-history').hidden = true;
  if (focus) (canWrite ? document.getElementById('cell-add-value') : panel.querySelector('[data-action="close-panel"]')).focus();
}

function openTermPanel(row) {
  const pupil = pupils[row];
  panelFor = { kind: 'term', row, col: N };
  slotForm.hidden = true;
  cellDetails.hidden = false;
  showPanel(pupil.name);
  document.getElementById('cell-when').textContent = `${t.term_mark}: ${termMarks[pupil.id] ?? '—'} · ${t.suggested}: ${suggested[pupil.id] ?? '—'}`;
  document.getElementById('cell-add').hidden = true;
  document.getElementById('cell-status').closest('.field').hidden = true;
  document.getElementById('cell-marks').innerHTML = '';
  showHistory(`/term-marks/history?pupil_id=${pupil.id}&course_id=${data.course.id}&term_id=${term.id}`);
}

async function showHistory(path) {
  const box = document.getElementById('cell-history');
  box.hidden = false;
  box.innerHTML = '';
  try {
    const entries = await api('GET', path);
    box.innerHTML = entries.length
      ? `<h3 class="panel-subtitle">${escapeHtml(t.history)}</h3><ol class="history-list">${entries
          .map((entry) => {
            const change = entry.field === 'value' ? '' : ` (${escapeHtml(entry.field)})`;
            const verb = { create: t.created, change: t.changed, delete: t.deleted }[entry.action] ?? entry.action;
            return `<li><span class="history-when">${escapeHtml(stampFormat.format(new Date(entry.at)))}</span> · ${escapeHtml(entry.by?.name ?? '')}<br><strong>${escapeHtml(verb)}${change}</strong>: ${escapeHtml(entry.old ?? '—')} → ${escapeHtml(entry.new ?? '—')}${entry.reason ? ` <em>«${escapeHtml(entry.reason)}»</em>` : ''}</li>`;
          })
          .join('')}</ol>`
      : `<p class="muted">${escapeHtml(t.no_history)}</p>`;
  } catch (error) {
    toast(error.message, 'error');
  }
}

cellDetails.addEventListener('click', async (event) => {
  const button = event.target.closest('[data-mark-action]');
  if (!button || panelFor?.kind !== 'cell') return;
  const { row, col } = panelFor;
  const item = button.closest('[data-mark]');
  const list = marksAt.get(key(pupils[row].id, slots[col].id)) ?? [];
  const mark = list.find((m) => m.id === Number(item.dataset.mark));
  if (!mark) return;
  if (button.dataset.markAction === 'history') {
    showHistory(`/marks/${mark.id}/history`);
  } else if (button.dataset.markAction === 'delete') {
    await deleteMark(row, col, mark);
  } else {
    const value = item.querySelector('.mark-input').value.trim();
    const workType = item.querySelector('.mark-type').value;
    const changes = {};
    if (value && value !== mark.value) changes.value = value;
    if (workType !== mark.work_type) changes.work_type = workType;
    if (Object.keys(changes).length) await changeMark(row, col, mark, changes);
  }
});

document.getElementById('cell-add').addEventListener('submit', async (event) => {
  event.preventDefault();
  if (panelFor?.kind !== 'cell') return;
  const input = document.getElementById('cell-add-value');
  const text = input.value.trim();
  if (!text) return;
  if (await addMarks(panelFor.row, panelFor.col, text, document.getElementById('cell-add-type').value)) {
    input.value = '';
  }
});

document.getElementById('cell-status').addEventListener('change', async (event) => {
  if (panelFor?.kind !== 'cell') return;
  await setStatus(panelFor.row, panelFor.col, event.target.value);
});

panel.addEventListener('click', (event) => {
  if (event.target.closest('[data-action="close-panel"]')) closePanel();
});

// --- start -------------------------------------------------------------------------------------

render();
refreshSummary();
if (pupils.length) {
  setActive(0, startColumn(), { focus: false });
  // Show the upcoming lessons: scroll so the active column is near the left edge.
  const cell = cellAt(0, startColumn());
  const sticky = table.tHead.rows[0].cells[0].offsetWidth;
  scroller.scrollLeft = Math.max(0, cell.offsetLeft - sticky - cell.offsetWidth * 3);
  cell.focus({ preventScroll: true });
}
