// The observer's notes panel: notes and rubric scores sent as `note.add` over the room's
// socket, the observer's own notes listed as the server confirms them. The server sends
// `note.list {rubric, notes}` after every (re)connect and `note.added {note}` before the ack of
// each note; both are direct frames (no seq), taken here before the room's connection sees them.
import { toast } from '/static/js/app.js';
import { el, readJson } from '/static/js/dom.js';

function clockOf(offset) {
  if (typeof offset !== 'number') return '';
  const minutes = Math.floor(offset / 60);
  const seconds = String(offset % 60).padStart(2, '0');
  return `${minutes}:${seconds}`;
}

export class NotesPanel {
  constructor(room) {
    this.room = room;
    this.panel = document.querySelector('[data-notes-panel]');
    if (!this.panel) return;
    this.strings = readJson('notes-strings');
    this.text = this.panel.querySelector('#note-text');
    this.sendButton = this.panel.querySelector('#note-send');
    this.criterionSelect = this.panel.querySelector('#note-criterion');
    this.list = this.panel.querySelector('#my-notes');
    this.rubric = null;
    this.notes = new Map(); // id -> note
    this.scores = new Map(); // criterion id -> level
    this.hook(room.connection);
    this.sendButton.addEventListener('click', () => this.sendNote());
    this.text.addEventListener('keydown', (event) => {
      if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
        event.preventDefault();
        this.sendNote();
      }
    });
    this.panel.querySelector('[data-notes-criteria]').addEventListener('click', (event) => {
      const button = event.target.closest('button[data-criterion][data-level]');
      if (button) this.score(button.dataset.criterion, Number(button.dataset.level));
    });
    this.setDownloads(room.config);
    this.renderList();
  }

  /** Take this panel's direct frames before the room's connection sees them. */
  hook(connection) {
    const receive = connection.receive.bind(connection);
    connection.receive = (raw) => {
      if (!this.take(raw)) receive(raw);
    };
  }

  take(raw) {
    if (typeof raw !== 'string' || !raw.includes('"note.')) return false;
    let frame;
    try {
      frame = JSON.parse(raw);
    } catch {
      return false;
    }
    if (frame.type === 'note.list') {
      this.rubric = frame.data?.rubric ?? null;
      this.notes.clear();
      this.scores.clear();
      for (const note of frame.data?.notes ?? []) this.remember(note);
      this.renderRubric();
      this.renderList();
      return true;
    }
    if (frame.type === 'note.added') {
      this.remember(frame.data.note);
      this.renderScores();
      this.renderList();
      return true;
    }
    return false;
  }

  remember(note) {
    this.notes.set(note.id, note);
    if (note.criterion && typeof note.level === 'number') this.scores.set(note.criterion, note.level);
  }

  setDownloads(config) {
    const code = encodeURIComponent(config.code);
    for (const link of this.panel.querySelectorAll('[data-notes-download]')) {
      const params = new URLSearchParams({ format: link.dataset.notesDownload });
      if (config.token) params.set('token', config.token);
      link.href = `/api/v1/live/${code}/notes?${params}`;
    }
  }

  criteria() {
    return this.rubric?.criteria ?? [];
  }

  renderRubric() {
    const box = this.panel.querySelector('[data-notes-rubric]');
    const host = this.panel.querySelector('[data-notes-criteria]');
    const criteria = this.criteria();
    box.hidden = criteria.length === 0;
    this.criterionSelect.hidden = criteria.length === 0;
    this.panel.querySelector('[data-notes-rubric-title]').textContent = this.rubric?.title ?? '';
    host.replaceChildren(
      ...criteria.map((criterion) =>
        el(
          'div',
          { class: 'live-notes-criterion', dataset: { criterionBox: criterion.id } },
          el('div', { class: 'live-notes-criterion-title' }, criterion.title),
          el(
            'div',
            { class: 'live-notes-levels', role: 'group', 'aria-label': criterion.title },
            criterion.levels.map((descriptor, index) =>
              el(
                'button',
                {
                  type: 'button',
                  class: 'btn btn-sm live-notes-level',
                  title: descriptor,
                  'aria-pressed': 'false',
                  dataset: { criterion: criterion.id, level: String(index) },
                },
                String(index + 1),
              ),
            ),
          ),
          el('p', { class: 'live-notes-descriptor muted text-small', dataset: { descriptor: '' } }),
        ),
      ),
    );
    const keep = this.criterionSelect.value;
    this.criterionSelect.replaceChildren(
      this.criterionSelect.options[0] ?? el('option', { value: '' }),
      ...criteria.map((criterion) => el('option', { value: criterion.id }, criterion.title)),
    );
    this.criterionSelect.value = criteria.some((c) => c.id === keep) ? keep : '';
    this.renderScores();
  }

  renderScores() {
    for (const criterion of this.criteria()) {
      const box = this.panel.querySelector(`[data-criterion-box="${CSS.escape(criterion.id)}"]`);
      if (!box) continue;
      const level = this.scores.get(criterion.id);
      for (const button of box.querySelectorAll('button[data-level]')) {
        const on = Number(button.dataset.level) === level;
        button.setAttribute('aria-pressed', on ? 'true' : 'false');
        button.classList.toggle('btn-primary', on);
      }
      box.querySelector('[data-descriptor]').textContent =
        typeof level === 'number' ? criterion.levels[level] ?? '' : '';
    }
  }

  titleOf(criterionId) {
    return this.criteria().find((c) => c.id === criterionId);
  }

  renderList() {
    const notes = [...this.notes.values()].sort((a, b) => b.id - a.id);
    if (notes.length === 0) {
      this.list.replaceChildren(el('li', { class: 'muted live-notes-empty' }, this.strings.noNotes));
      return;
    }
    this.list.replaceChildren(
      ...notes.map((note) => {
        const criterion = this.titleOf(note.criterion);
        let tag = null;
        if (criterion) {
          const level = typeof note.level === 'number' ? `: ${note.level + 1}/${criterion.levels.length}` : '';
          tag = el('span', { class: 'badge badge-info' }, `${criterion.title}${level}`);
        }
        return el(
          'li',
          { class: 'note', dataset: { seq: String(note.seq), slide: String(note.slide) } },
          el('span', { class: 'muted text-small' }, `${clockOf(note.offset)} · ${this.strings.slide} ${note.slide + 1}`),
          ' ',
          tag,
          note.text ? el('p', { class: 'live-notes-text' }, note.text) : null,
        );
      }),
    );
  }

  async sendNote() {
    const text = this.text.value.trim();
    if (!text) {
      toast(this.strings.empty, 'warning');
      this.text.focus();
      return;
    }
    const data = { text };
    if (this.criterionSelect.value) data.criterion = this.criterionSelect.value;
    this.sendButton.disabled = true;
    try {
      await this.room.send('note.add', data);
      this.text.value = '';
    } catch {
      // room.send has shown why
    } finally {
      this.sendButton.disabled = false;
    }
  }

  async score(criterion, level) {
    try {
      await this.room.send('note.add', { text: '', criterion, level });
    } catch {
      // room.send has shown why
    }
  }
}
