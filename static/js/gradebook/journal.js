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
//
// This module moves around the grid, runs the in-cell editor and the keys, and wires the cell
// panel's forms; the parts are in journal_state.js (the data), journal_grid.js (drawing),
// journal_writes.js (saving) and journal_panel.js (the side panel).

import {
  cellAt,
  ensureVisible,
  refreshCell,
  refreshSummary,
  render,
  startColumn,
} from '/static/js/gradebook/journal_grid.js';
import { openCellPanel, openSlotPanel, showHistory } from '/static/js/gradebook/journal_panel.js';
import {
  key,
  marksAt,
  N,
  needsReason,
  pupils,
  scroller,
  slots,
  suggested,
  t,
  table,
  termMarks,
  ui,
} from '/static/js/gradebook/journal_state.js';
import {
  addMarks,
  changeMark,
  clearCell,
  deleteMark,
  refuseIfReadOnly,
  setStatus,
  setTermMark,
  toggleAbsence,
} from '/static/js/gradebook/journal_writes.js';

// н/n always type an absence; the cell shows the code of the interface's language.
const ABSENCE_KEYS = new Set(['н', 'n']);

// --- moving around -------------------------------------------------------------------------

function setActive(row, col, { focus = true } = {}) {
  row = Math.max(0, Math.min(pupils.length - 1, row));
  col = Math.max(0, Math.min(N, col));
  const previous = cellAt(ui.active.row, ui.active.col);
  if (previous) {
    previous.tabIndex = -1;
    previous.classList.remove('is-active');
  }
  ui.active = { row, col };
  const cell = cellAt(row, col);
  if (!cell) return;
  cell.tabIndex = 0;
  cell.classList.add('is-active');
  if (focus) cell.focus({ preventScroll: true });
  ensureVisible(cell);
  if (ui.panelFor && ui.panelFor.kind !== 'slot') openCellPanel(row, col);
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
  ui.editing = { row, col };
  cell.classList.add('is-editing');
  editor.value = initial;
  cell.append(editor);
  editor.focus({ preventScroll: true });
  if (select) editor.select();
}

function stopEditing() {
  if (!ui.editing) return null;
  const { row, col } = ui.editing;
  ui.editing = null;
  const cell = cellAt(row, col);
  cell.classList.remove('is-editing');
  editor.remove();
  refreshCell(row, col);
  return { row, col };
}

async function commitEditing(move, { refocus = true } = {}) {
  if (!ui.editing) return;
  const { row, col } = ui.editing;
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
  if (ui.editing) commitEditing({ row: 0, col: 0 }, { refocus: false });
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
  if (!cell || ui.editing) return;
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
  const again = ui.active.row === row && ui.active.col === col && document.activeElement === cell;
  setActive(row, col);
  if (again && event.pointerType === 'touch') openCellPanel(row, col, { focus: true });
});

table.addEventListener('dblclick', (event) => {
  const cell = event.target.closest('td.cell');
  if (cell) openCellPanel(Number(cell.dataset.row), Number(cell.dataset.col), { focus: true });
});

// --- the cell panel's forms -------------------------------------------------------------------

document.getElementById('cell-details').addEventListener('click', async (event) => {
  const button = event.target.closest('[data-mark-action]');
  if (!button || ui.panelFor?.kind !== 'cell') return;
  const { row, col } = ui.panelFor;
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
  if (ui.panelFor?.kind !== 'cell') return;
  const input = document.getElementById('cell-add-value');
  const text = input.value.trim();
  if (!text) return;
  if (await addMarks(ui.panelFor.row, ui.panelFor.col, text, document.getElementById('cell-add-type').value)) {
    input.value = '';
  }
});

document.getElementById('cell-status').addEventListener('change', async (event) => {
  if (ui.panelFor?.kind !== 'cell') return;
  await setStatus(ui.panelFor.row, ui.panelFor.col, event.target.value);
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
