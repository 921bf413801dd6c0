// The journal's grid: the table of pupils × lesson slots drawn once from the page's data, the
// HTML of a cell, an average and a term mark, and the single cells, results and headers drawn
// again after a change; also keeping a cell in view and the column to start at.

import { noteMarker } from '/static/js/gradebook/absence_marks.js';
import {
  asDate,
  averages,
  data,
  escapeHtml,
  fill,
  key,
  lang,
  marksAt,
  N,
  noteAt,
  pupils,
  scroller,
  slots,
  statusAt,
  suggested,
  t,
  table,
  termMarks,
  ui,
  workTypes,
} from '/static/js/gradebook/journal_state.js';

const ATTENDANCE_CODES = t.codes;

// --- formatting ----------------------------------------------------------------------

const dayFormat = new Intl.DateTimeFormat(lang, { day: '2-digit', month: '2-digit' });
const weekdayFormat = new Intl.DateTimeFormat(lang, { weekday: 'short' });

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

export function render() {
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

export function cellAt(row, col) {
  const tr = table.tBodies[0]?.rows[row];
  if (!tr) return null;
  return col < N ? tr.cells[col + 1] : tr.cells[N + 2];
}

export function refreshCell(row, col) {
  const cell = cellAt(row, col);
  const pupil = pupils[row];
  if (!cell || !pupil) return;
  if (ui.editing && ui.editing.row === row && ui.editing.col === col) return;
  cell.innerHTML = col < N ? cellHtml(pupil.id, slots[col].id) : termHtml(pupil.id);
}

export function refreshResult(row) {
  const pupil = pupils[row];
  table.querySelector(`[data-avg="${row}"]`).innerHTML = averageHtml(pupil.id);
  refreshCell(row, N);
}

export function refreshHeader(col) {
  const th = table.tHead.rows[0].cells[col + 1];
  th.outerHTML = headerHtml(slots[col], col);
}

export function refreshSummary() {
  const summary = document.getElementById('journal-summary');
  const percent = data.class_attendance.present_percent;
  summary.textContent = fill(t.summary, {
    pupils: pupils.length,
    slots: N,
    percent: percent === null ? '—' : `${percent}%`,
  });
}

// --- scrolling -----------------------------------------------------------------------------

export function ensureVisible(cell) {
  const box = scroller.getBoundingClientRect();
  const rect = cell.getBoundingClientRect();
  const stickyLeft = table.tHead.rows[0].cells[0].getBoundingClientRect().right;
  const stickyTop = table.tHead.getBoundingClientRect().bottom;
  if (rect.left < stickyLeft) scroller.scrollLeft -= stickyLeft - rect.left + 4;
  else if (rect.right > box.right) scroller.scrollLeft += rect.right - box.right + 4;
  if (rect.top < stickyTop) scroller.scrollTop -= stickyTop - rect.top + 4;
  else if (rect.bottom > box.bottom) scroller.scrollTop += rect.bottom - box.bottom + 4;
}

export function startColumn() {
  const upcoming = slots.findIndex((slot) => slot.date >= data.today);
  return upcoming === -1 ? Math.max(0, N - 1) : upcoming;
}
