// Absence notes in the journal grid: a cell covered by a note the family has reported shows
// a marker (✉, dashed); one covered by an accepted note whose attendance was not written
// (a lesson added to the timetable later) shows it solid. The JSON's `absence_notes` are
// `[{id, pupil_id, slot_ids, status}]` (gradebook/absence_cover.py).

function escapeHtml(text) {
  return String(text ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** "pupil:slot" → the note covering that cell (a reported note wins over an accepted one). */
export function noteIndex(notes) {
  const at = new Map();
  for (const note of notes ?? []) {
    for (const slotId of note.slot_ids) {
      const k = `${note.pupil_id}:${slotId}`;
      if (!at.has(k) || note.status === 'reported') at.set(k, note);
    }
  }
  return at;
}

/** The marker of a cell, or '' (an accepted note where the attendance says so already). */
export function noteMarker(note, status, t) {
  if (!note || (note.status === 'accepted' && status)) return '';
  const title = (note.status === 'reported' ? t.note_reported : t.note_accepted).replace('{id}', note.id);
  return `<span class="att-note att-note-${note.status}" title="${escapeHtml(title)}" aria-label="${escapeHtml(title)}">✉</span>`;
}
