// The journal page's data and the state its modules share: the JSON embedded in the page
// (pupils, lesson slots, marks, attendance, results), the marks and statuses indexed by
// "pupil:slot", who may write, where the teacher is in the grid, and small text helpers.

import { noteIndex } from '/static/js/gradebook/absence_marks.js';

export const data = JSON.parse(document.getElementById('journal-data').textContent);
export const t = JSON.parse(document.getElementById('journal-i18n').textContent);
export const table = document.getElementById('journal-grid');
export const scroller = document.getElementById('journal-scroll');
export const lang = document.documentElement.lang || 'en';

const role = scroller.dataset.role;
export const pupils = data.pupils;
export const slots = data.slots;
export const N = slots.length; // column N is the term-mark column
export const term = data.term;
export const canWrite = data.access === 'write' && (!term.closed || role === 'admin');
export const needsReason = term.closed && role === 'admin';
export const workTypes = Object.fromEntries(data.work_types.map((w) => [w.code, w]));

// --- state ---------------------------------------------------------------------------

export const marksAt = new Map(); // "pupil:slot" → [mark, …] in the order given
export const statusAt = new Map(); // "pupil:slot" → status
export const averages = data.averages;
export const termMarks = data.term_marks;
export const suggested = data.suggested;
export const key = (pupilId, slotId) => `${pupilId}:${slotId}`;

for (const mark of data.marks) {
  const k = key(mark.pupil_id, mark.slot_id);
  if (!marksAt.has(k)) marksAt.set(k, []);
  marksAt.get(k).push(mark);
}
for (const record of data.attendance) statusAt.set(key(record.pupil_id, record.slot_id), record.status);
export const noteAt = noteIndex(data.absence_notes); // "pupil:slot" → the absence note covering it

// Where the teacher is (the modules change these fields, so they live in one object).
export const ui = {
  active: { row: 0, col: 0 },
  editing: null, // { row, col }
  panelFor: null, // { kind: 'slot', col } | { kind: 'cell', row, col } | { kind: 'term', row, col: N }
};

// --- text helpers ----------------------------------------------------------------------

export const asDate = (iso) => new Date(`${iso}T12:00:00`);
export const fill = (text, values) => text.replace(/\{(\w+)\}/g, (_m, name) => values[name] ?? '');

export function escapeHtml(text) {
  return String(text ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
