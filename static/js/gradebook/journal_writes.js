// The journal's writes: marks added, changed and deleted, attendance and term marks set, each
// run in order after the ones asked for before; the reason dialog they may need, and the refusal
// when the journal is read-only.

import { api } from '/static/js/api.js';
import { toast } from '/static/js/app.js';
import { cellAt, refreshCell, refreshResult } from '/static/js/gradebook/journal_grid.js';
import { openCellPanel } from '/static/js/gradebook/journal_panel.js';
import {
  averages,
  canWrite,
  data,
  fill,
  key,
  marksAt,
  N,
  needsReason,
  pupils,
  slots,
  statusAt,
  suggested,
  t,
  term,
  termMarks,
  ui,
} from '/static/js/gradebook/journal_state.js';

const workTypeSelect = document.getElementById('work-type');

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

export function refuseIfReadOnly() {
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
      if (ui.panelFor && ui.panelFor.kind !== 'slot' && ui.panelFor.row === row && ui.panelFor.col === col) {
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

export async function addMarks(row, col, text, workType = workTypeSelect?.value ?? 'classwork') {
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

export async function setStatus(row, col, status) {
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

export async function toggleAbsence(row, col) {
  const current = statusAt.get(key(pupils[row].id, slots[col].id)) ?? 'present';
  return setStatus(row, col, current === 'absent' ? 'present' : 'absent');
}

export async function deleteMark(row, col, mark) {
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
export async function changeMark(row, col, mark, changes) {
  const required = needsReason || slots[col].date < data.today;
  const reason = await askReason(required ? t.reason_change_required : t.reason_change, { required });
  if (reason === null) return false;
  return withCell(row, col, async () => {
    const result = await api('PATCH', `/marks/${mark.id}`, { ...changes, reason: reason || undefined });
    Object.assign(mark, result);
    applyResult(row, result);
  });
}

export async function setTermMark(row, text) {
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

export async function clearCell(row, col) {
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
