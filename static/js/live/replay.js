// The replay of a live lesson: the stored log, projected for this viewer by the server
// (GET /api/v1/live/{code}/timeline), applied in order to the same room model the live pages
// keep (model.js) and drawn by the same room view (room.js: slide, quiz and poll results,
// whiteboard, hands, chat). Play and pause, 1×/2×/4×, a seek bar with the observers' notes as
// markers, and the recorded video kept in step. A seek rebuilds the room from the start: a
// lesson's log folds in a few milliseconds.
import { renderResults, renderThumbs } from '/static/js/live/console.js';
import { RoomModel } from '/static/js/live/model.js';
import { LiveRoom } from '/static/js/live/room.js';
import { el, fill } from '/static/js/dom.js';

const TICK_MS = 100;
const VIDEO_DRIFT = 0.6; // seconds the video may drift before it is put back in step

/** The live room's view, driven by the timeline instead of a socket (it never connects). */
class ReplayRoom extends LiveRoom {
  /** A fresh model of the room before any event. */
  reset(timeline) {
    this.model = new RoomModel({ you: timeline.you, state: structuredClone(timeline.initial), seq: 0 });
    this.renderedKey = null;
    document.body.dataset.role = this.model.role;
  }
}

function clockText(seconds) {
  const total = Math.max(0, Math.floor(seconds));
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const secs = String(total % 60).padStart(2, '0');
  return hours ? `${hours}:${String(minutes).padStart(2, '0')}:${secs}` : `${minutes}:${secs}`;
}

const room = new ReplayRoom();
const { config, strings } = room;
const replay = config.replay;
const words = replay.strings;
const auth = config.token ? { Authorization: `Bearer ${config.token}` } : {};

const playButton = document.querySelector('[data-replay-play]');
const seek = document.querySelector('[data-replay-seek]');
const timeText = document.querySelector('[data-replay-time]');
const statusLine = document.querySelector('[data-replay-status]');
const markers = document.querySelector('[data-replay-markers]');
const speedButtons = [...document.querySelectorAll('[data-speed]')];
const video = document.querySelector('[data-replay-video]');
const videoPanel = document.querySelector('[data-replay-video-panel]');
const noVideo = document.querySelector('[data-replay-novideo]');
const notesPanel = document.querySelector('[data-replay-notes-panel]');
const notesList = document.querySelector('[data-replay-notes]');

const player = {
  timeline: null,
  frames: [],
  next: 0, // the index of the first frame not applied yet
  position: 0, // seconds since the lesson started
  playing: false,
  speed: 1,
  lastTick: 0,
};

async function getJson(url) {
  const response = await fetch(url, { headers: { Accept: 'application/json', ...auth }, credentials: 'same-origin' });
  if (!response.ok) {
    const body = await response.json().catch(() => null);
    const error = new Error(body?.error?.message ?? response.statusText);
    error.status = response.status;
    throw error;
  }
  return response.json();
}

function duration() {
  return player.timeline?.duration ?? 0;
}

// --- folding the log ----------------------------------------------------------------------

/** Apply the frames up to `position`; returns the types applied. */
function advance(position) {
  const types = [];
  const frames = player.frames;
  while (player.next < frames.length && frames[player.next].at <= position) {
    const type = room.model.apply(frames[player.next]);
    player.next += 1;
    if (type) types.push(type);
  }
  return types;
}

/** Show the room as it was at `position` (from scratch: a seek may go back). */
function rebuild(position) {
  room.reset(player.timeline);
  clockAt();
  player.next = 0;
  advance(position);
  draw(null);
}

/** Quiz countdowns count on the lesson's clock, not today's. */
function clockAt() {
  room.model.serverNow = () => (player.timeline.started ?? 0) + player.position;
}

function draw(type) {
  room.render(type);
  const block = room.model.state.slides[room.currentIndex()];
  renderThumbs(document.querySelector('[data-thumbs]'), room.model, strings, (index) => seekToSlide(index));
  renderResults(document.querySelector('[data-console-results]'), room.model, strings, block);
}

// --- the controls ---------------------------------------------------------------------------

function showPosition() {
  seek.value = String(player.position);
  timeText.textContent = `${clockText(player.position)} / ${clockText(duration())}`;
}

function setPlaying(on) {
  player.playing = on && duration() > 0;
  if (player.playing && player.position >= duration()) {
    player.position = 0;
    rebuild(0);
  }
  player.lastTick = performance.now();
  playButton.setAttribute('aria-pressed', String(player.playing));
  playButton.textContent = player.playing ? words.pause : words.play;
  syncVideo(true);
}

function setSpeed(speed) {
  player.speed = speed;
  for (const button of speedButtons) {
    const on = Number(button.dataset.speed) === speed;
    button.setAttribute('aria-pressed', String(on));
    button.classList.toggle('btn-primary', on);
    button.classList.toggle('btn-secondary', !on);
  }
  syncVideo(true);
}

function seekTo(position) {
  player.position = Math.min(Math.max(position, 0), duration());
  rebuild(player.position);
  showPosition();
  syncVideo(true);
}

/** The thumbnails: go to the first time that slide was shown after here (else the first). */
function seekToSlide(index) {
  const shows = player.frames.filter((frame) => frame.type === 'slide.goto' && frame.data?.index === index);
  const later = shows.find((frame) => frame.at > player.position) ?? shows[0];
  if (later) seekTo(later.at);
  else if (index === 0) seekTo(0);
}

function tick() {
  if (!player.playing) return;
  const now = performance.now();
  const elapsed = ((now - player.lastTick) / 1000) * player.speed;
  player.lastTick = now;
  player.position = Math.min(player.position + elapsed, duration());
  const types = advance(player.position);
  if (types.length) draw(types.includes('chat.post') ? 'chat.post' : types[types.length - 1]);
  showPosition();
  syncVideo(false);
  if (player.position >= duration()) setPlaying(false);
}

// --- the recorded video ---------------------------------------------------------------------

function recordingAt(position) {
  const recordings = player.timeline?.recordings ?? [];
  let found = null;
  for (const recording of recordings) if (recording.offset <= position) found = recording;
  return found;
}

function syncVideo(force) {
  if (!video) return;
  const recording = recordingAt(player.position);
  const wanted = recording ? player.position - recording.offset : null;
  const ended = recording && Number.isFinite(video.duration) && video.dataset.name === recording.name && wanted > video.duration;
  const showing = recording && !ended;
  video.hidden = !showing;
  if (noVideo) noVideo.hidden = Boolean(showing);
  if (!showing) {
    if (!video.paused) video.pause();
    return;
  }
  if (video.dataset.name !== recording.name) {
    video.dataset.name = recording.name;
    video.src = recording.url;
    force = true;
  }
  video.playbackRate = player.speed;
  if (force || Math.abs(video.currentTime - wanted) > VIDEO_DRIFT) {
    try {
      video.currentTime = wanted;
    } catch {
      // not seekable before its metadata: loadedmetadata puts it in step
    }
  }
  if (player.playing && video.paused) video.play().catch(() => {});
  if (!player.playing && !video.paused) video.pause();
}

// --- the observers' notes -------------------------------------------------------------------

/**
 * Seconds after the start a note was written. Its `offset` (else `at`) says when, to the second;
 * its `seq` says exactly between which events: the moment is kept after the event of its seq
 * and before the next one, so a marker shows the room as the observer saw it.
 */
function noteTime(note) {
  const started = player.timeline.started;
  let approx = null;
  if (typeof note.offset === 'number' && Number.isFinite(note.offset)) approx = note.offset;
  else if (typeof note.at === 'string') approx = Date.parse(note.at) / 1000 - started;
  else if (typeof note.at === 'number') approx = note.at > 1e9 ? note.at - started : note.at;
  if (!Number.isFinite(approx)) approx = null;
  let position = approx ?? 0;
  if (Number.isInteger(note.seq)) {
    let atSeq = 0;
    let next = null;
    for (const frame of player.frames) {
      if (frame.seq > note.seq) {
        next = frame.at;
        break;
      }
      atSeq = frame.at;
    }
    position = approx === null ? atSeq : Math.max(approx, atSeq);
    if (next !== null && position >= next) position = Math.max(atSeq, next - 0.001);
  }
  return Math.min(Math.max(position, 0), duration());
}

function noteLabel(note) {
  const parts = [];
  if (note.by?.name) parts.push(`${note.by.name}:`);
  if (note.criterion) {
    const level = Number.isInteger(note.level) ? ` (${fill(words.level, { n: note.level + 1 })})` : '';
    parts.push(`${note.criterion_title ?? note.criterion}${level}`);
  }
  if (note.text) parts.push(note.text);
  return parts.join(' ') || words.note;
}

function showNotes(notes) {
  // A note is a marker; a score given without words is in the report's rubric summary.
  const placed = notes
    .filter((note) => note && typeof note === 'object' && String(note.text ?? '').trim())
    .map((note) => ({ note, at: noteTime(note) }))
    .sort((a, b) => a.at - b.at);
  const length = duration() || 1;
  markers.replaceChildren(
    ...placed.map(({ note, at }) => {
      const marker = el('button', {
        type: 'button',
        class: 'replay-marker',
        title: `${clockText(at)} · ${noteLabel(note)}`,
        'aria-label': `${clockText(at)} · ${noteLabel(note)}`,
        onclick: () => seekTo(at),
      });
      marker.style.left = `${(at / length) * 100}%`;
      return marker;
    }),
  );
  if (!notesList || !notesPanel) return;
  notesPanel.hidden = placed.length === 0;
  notesList.replaceChildren(
    ...placed.map(({ note, at }) =>
      el(
        'li',
        { class: 'replay-note' },
        el('button', { type: 'button', class: 'btn btn-sm btn-ghost replay-note-time', text: clockText(at), onclick: () => seekTo(at) }),
        el('span', { class: 'replay-note-text', text: noteLabel(note) }),
      ),
    ),
  );
}

/** Criterion ids as their titles, when the feedback names the rubric. */
function withCriterionTitles(feedback) {
  const titles = new Map((feedback.rubric?.criteria ?? []).map((c) => [String(c.id), c.title]));
  return (feedback.notes ?? []).map((note) =>
    note.criterion && titles.has(String(note.criterion)) ? { ...note, criterion_title: titles.get(String(note.criterion)) } : note,
  );
}

/** The teacher reads every observer's notes (/feedback), an observer their own (/notes). */
async function loadNotes() {
  try {
    const feedback = await getJson(replay.teacher ? replay.feedback : replay.notes);
    const notes = feedback?.notes ?? feedback?.items;
    showNotes(Array.isArray(notes) ? withCriterionTitles({ ...feedback, notes }) : []);
  } catch {
    showNotes([]); // no feedback (yet, or not for this viewer): no markers
  }
}

// --- start ----------------------------------------------------------------------------------

async function start() {
  let timeline;
  try {
    timeline = await getJson(replay.timeline);
  } catch (error) {
    statusLine.textContent = `${words.failed} ${error.message ?? ''}`.trim();
    return;
  }
  player.timeline = timeline;
  player.frames = timeline.events ?? [];
  seek.max = String(timeline.duration);
  seek.disabled = false;
  playButton.disabled = timeline.duration <= 0;
  statusLine.textContent = player.frames.length ? '' : words.empty;
  statusLine.hidden = player.frames.length > 0;
  if (videoPanel) videoPanel.hidden = !(timeline.recordings ?? []).length;
  document.body.dataset.replay = 'ready';
  seekTo(0);
  await loadNotes();
  document.body.dataset.notes = 'ready';
}

playButton.addEventListener('click', () => setPlaying(!player.playing));
seek.addEventListener('input', () => seekTo(Number(seek.value)));
for (const button of speedButtons) button.addEventListener('click', () => setSpeed(Number(button.dataset.speed)));
video?.addEventListener('loadedmetadata', () => syncVideo(true));
document.addEventListener('keydown', (event) => {
  if (event.key !== ' ' || event.target.closest('input, textarea, select, button, a')) return;
  event.preventDefault();
  setPlaying(!player.playing);
});
setInterval(tick, TICK_MS);
start();
