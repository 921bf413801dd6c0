// The journal's side panel: a slot's date, topic, homework (with files) and linked lesson, or
// a cell's marks (each with its history) and attendance, or a pupil's term mark and its history.
// The cell panel's forms are wired to the writes in journal.js.

import { api, upload } from '/static/js/api.js';
import { toast } from '/static/js/app.js';
import { setUpSlotAssign } from '/static/js/classwork/slot_assign.js';
import { cellAt, refreshHeader } from '/static/js/gradebook/journal_grid.js';
import {
  asDate,
  canWrite,
  data,
  escapeHtml,
  fill,
  key,
  lang,
  marksAt,
  N,
  pupils,
  slots,
  statusAt,
  suggested,
  t,
  term,
  termMarks,
  ui,
} from '/static/js/gradebook/journal_state.js';
import { setUpSidePanel } from '/static/js/gradebook/panel.js';

const panel = document.getElementById('journal-panel');
const longFormat = new Intl.DateTimeFormat(lang, { weekday: 'long', day: 'numeric', month: 'long' });
const stampFormat = new Intl.DateTimeFormat(lang, { dateStyle: 'medium', timeStyle: 'short' });

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
  ui.panelFor = null;
  document.body.classList.remove('has-journal-panel');
  sidePanel.restore(cellAt(ui.active.row, ui.active.col));
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

export function openSlotPanel(col) {
  const slot = slots[col];
  ui.panelFor = { kind: 'slot', col };
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
  const col = ui.panelFor?.col;
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
export function openCellPanel(row, col, { focus = false } = {}) {
  if (col === N) {
    openTermPanel(row);
    if (focus) panel.querySelector('[data-action="close-panel"]').focus();
    return;
  }
  const pupil = pupils[row];
  const slot = slots[col];
  ui.panelFor = { kind: 'cell', row, col };
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
  ui.panelFor = { kind: 'term', row, col: N };
  slotForm.hidden = true;
  cellDetails.hidden = false;
  showPanel(pupil.name);
  document.getElementById('cell-when').textContent = `${t.term_mark}: ${termMarks[pupil.id] ?? '—'} · ${t.suggested}: ${suggested[pupil.id] ?? '—'}`;
  document.getElementById('cell-add').hidden = true;
  document.getElementById('cell-status').closest('.field').hidden = true;
  document.getElementById('cell-marks').innerHTML = '';
  showHistory(`/term-marks/history?pupil_id=${pupil.id}&course_id=${data.course.id}&term_id=${term.id}`);
}

export async function showHistory(path) {
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

panel.addEventListener('click', (event) => {
  if (event.target.closest('[data-action="close-panel"]')) closePanel();
});
