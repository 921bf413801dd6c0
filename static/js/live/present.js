// The teacher's console (a tablet or a laptop): the room plus the teacher's controls, each
// pupil's answers, the hands queue with names, chat moderation, what the board shows, the
// classroom widgets and the board itself (a second window, or a board computer paired with a
// code). The class sees the board (board-page.js), never this page.
import { toast } from '/static/js/app.js';
import { csrfToken } from '/static/js/api.js';
import { ERASER, ERASER_WIDTH } from '/static/js/live/board.js';
import {
  pairBoard,
  renderBoardPanel,
  renderResults,
  renderThumbs,
  renderWidgetControls,
} from '/static/js/live/console.js';
import { LiveMedia } from '/static/js/live/media.js';
import { LiveRoom, wirePenTools } from '/static/js/live/room.js';
import { el } from '/static/js/dom.js';
import { pollPhase, quizPhase } from '/static/js/live/slides.js';

const room = new LiveRoom();
const media = new LiveMedia(room);
const { strings } = room;
const bar = document.querySelector('[data-controls]');
const button = (action) => document.querySelector(`[data-action="${action}"]`);
let autoClosing = null;

function current() {
  const state = room.model.state;
  return { state, block: state.slides[state.slide] };
}

async function run(type, data) {
  try {
    await room.send(type, data);
  } catch {
    /* shown by the room */
  }
}

function goto(index) {
  const { state } = current();
  if (index < 0 || index >= state.slides.length || index === state.slide) return;
  run('slide.goto', { index });
}

const actions = {
  prev: () => goto(current().state.slide - 1),
  next: () => goto(current().state.slide + 1),
  'quiz-open': () => run('quiz.open', { block_id: String(current().block.id) }),
  'quiz-close': () => run('quiz.close'),
  'quiz-reveal': () => run('quiz.reveal'),
  'poll-open': () => run('poll.open', { block_id: String(current().block.id) }),
  'poll-close': () => run('poll.close'),
  lock: () => run('room.lock', { on: !current().state.locked }),
  'nav-free': () => run('nav.free', { on: !current().state.nav_free }),
  pace: () => run('pace.set', { mode: room.model.pupilPaced ? 'teacher' : 'pupil' }),
  chat: () => run('chat.mode', { on: !current().state.chat.on }),
  'hands-clear': () => run('hand.lower', { user_id: null }),
  draw: () => {
    const drawing = !room.board.enabled;
    room.board.setEnabled(drawing);
    button('draw').setAttribute('aria-pressed', String(drawing));
    document.querySelector('[data-pen-tools]').hidden = !drawing;
  },
  'board-clear': () => run('board.clear'),
  'join-show': () => {
    document.querySelector('[data-join-overlay]').hidden = false;
  },
  'join-hide': () => {
    document.querySelector('[data-join-overlay]').hidden = true;
  },
  'board-open': openBoard,
  'board-pair': () => pairBoard(document.querySelector('[data-pair-dialog]'), room.config.code, strings),
  'timer-start': () => run('timer.start', { seconds: Number(document.querySelector('[data-timer-minutes]').value) }),
  'timer-toggle': () => run(current().state.timer?.running ? 'timer.pause' : 'timer.start'),
  'timer-reset': () => run('timer.reset'),
  'timer-clear': () => run('timer.clear'),
  'picker-pick': () => run('picker.pick'),
  'picker-show': () => run('picker.show', { on: !current().state.picker?.shown }),
  'picker-clear': () => run('picker.clear'),
  end: endLesson,
};

/** The board on this computer: a second window to move to the projector. */
function openBoard() {
  const code = encodeURIComponent(room.config.code);
  const opened = window.open(`/live/${code}/board`, `eschool-board-${code}`, 'popup,width=1280,height=720');
  if (!opened) toast(strings.popupBlocked, 'warning');
}

for (const input of document.querySelectorAll('[data-board-show]')) {
  input.addEventListener('change', () => run('board.show', { [input.dataset.boardShow]: input.checked }));
}

for (const [name, action] of Object.entries(actions)) {
  for (const node of document.querySelectorAll(`[data-action="${name}"]`)) {
    node.addEventListener('click', action);
  }
}

const timerSelect = document.querySelector('[data-timer-select]');
timerSelect?.addEventListener('change', () => {
  const seconds = Number(timerSelect.value) || null;
  run('quiz.timer', { seconds });
});

wirePenTools(document.querySelector('[data-pen-tools]'), room.board, (picked) => {
  if (picked.dataset.color === ERASER) room.board.setPen(ERASER, ERASER_WIDTH);
});

document.addEventListener('keydown', (event) => {
  if (event.altKey || event.ctrlKey || event.metaKey || !room.model) return;
  if (event.target.closest('input, textarea, select')) return;
  if (['ArrowRight', 'PageDown'].includes(event.key)) {
    event.preventDefault();
    actions.next();
  } else if (['ArrowLeft', 'PageUp'].includes(event.key)) {
    event.preventDefault();
    actions.prev();
  } else if (event.key === 'Escape') {
    actions['join-hide']();
    const devices = document.querySelector('[data-media-devices]');
    if (devices) devices.hidden = true;
  }
});

async function endLesson() {
  if (!window.confirm(strings.confirmEnd)) return;
  const code = encodeURIComponent(room.config.code);
  try {
    const response = await fetch(`/api/v1/live/${code}/end`, {
      method: 'POST',
      headers: { Accept: 'application/json', 'X-CSRF-Token': csrfToken() },
      credentials: 'same-origin',
    });
    if (!response.ok) throw new Error((await response.json()).error?.message ?? response.statusText);
    window.location.assign(`/live/${code}/report`);
  } catch (error) {
    toast(error.message || strings.failed, 'error');
  }
}

function setPressed(name, on, labels) {
  const node = button(name);
  if (!node) return;
  node.setAttribute('aria-pressed', String(on));
  node.classList.toggle('is-on', on);
  if (labels) node.textContent = on ? labels[0] : labels[1];
}

function show(name, visible) {
  const node = button(name);
  if (node) node.hidden = !visible;
}

function update(type) {
  if (!room.model) return;
  const { state, block } = current();
  const widgets = document.querySelector('[data-widgets-panel]');
  if (type === 'tick') {
    autoClose(state);
    renderWidgetControls(widgets, room.model, strings);
    return;
  }
  renderThumbs(document.querySelector('[data-thumbs]'), room.model, strings, goto);
  renderResults(document.querySelector('[data-console-results]'), room.model, strings, block);
  renderBoardPanel(document.querySelector('[data-board-panel]'), room.model, strings);
  renderWidgetControls(widgets, room.model, strings);
  media.decoratePeople(document.querySelector('[data-people]'));
  button('prev').disabled = state.slide === 0;
  button('next').disabled = state.slide >= state.slides.length - 1;
  // Pupil-paced: every quiz is open to the pupils on their own; the teacher opens none.
  const paced = room.model.pupilPaced;
  const quiz = block?.kind === 'quiz' ? quizPhase(room.model, block.id) : null;
  const quizOpen = Boolean(state.quiz && !state.quiz.closed);
  const anotherQuizOpen = quizOpen && state.quiz.block_id !== String(block?.id);
  show('quiz-open', quiz === 'idle' && !paced);
  button('quiz-open').disabled = Boolean(anotherQuizOpen);
  show('quiz-close', quiz === 'open' && !paced);
  show('quiz-reveal', quiz === 'closed' && state.quiz?.block_id === String(block.id));
  if (timerSelect) {
    timerSelect.hidden = quiz !== 'open' || paced;
    const seconds = state.quiz?.timer?.seconds ?? '';
    if (document.activeElement !== timerSelect) timerSelect.value = String(seconds);
  }
  const poll = block?.kind === 'poll' ? pollPhase(room.model, block.id) : null;
  show('poll-open', poll === 'idle');
  button('poll-open').disabled = Boolean(state.poll && !state.poll.closed);
  show('poll-close', poll === 'open');
  setPressed('lock', state.locked, [strings.unlock, strings.lock]);
  setPressed('nav-free', state.nav_free, [strings.navFollow, strings.navFree]);
  show('nav-free', !paced);
  setPressed('pace', paced, [strings.paceTeacher, strings.pacePupil]);
  button('pace').disabled = !paced && quizOpen;
  button('pace').title = !paced && quizOpen ? strings.paceQuizOpen : '';
  renderPace(state);
  setPressed('chat', state.chat.on, [strings.chatOff, strings.chatOn]);
  const lockBadge = document.querySelector('[data-locked-badge]');
  if (lockBadge) lockBadge.hidden = !state.locked;
}

function points(value) {
  return Number.isInteger(value) ? String(value) : value.toFixed(1);
}

/** The table of pupils working at their own pace: where each is and how far they got. */
function renderPace(state) {
  const panel = document.querySelector('[data-pace-panel]');
  if (!panel) return;
  panel.hidden = !room.model.pupilPaced;
  if (panel.hidden) return;
  const runByTeacher = new Set(state.quizzes.filter((q) => !q.paced).map((q) => q.block_id));
  const quizzes = state.slides.filter((b) => b.kind === 'quiz' && !runByTeacher.has(String(b.id))).length;
  const here = new Set(state.people.present.map((person) => person.id));
  const rows = state.pace.pupils.map((row) =>
    el(
      'tr',
      { class: here.has(row.person.id) ? 'is-here' : 'muted', dataset: { pupilId: String(row.person.id) } },
      el('th', { scope: 'row', text: row.person.name }),
      el('td', { class: 'num', dataset: { paceSlide: '' }, text: `${row.slide + 1} / ${state.slides.length}` }),
      el('td', { class: 'num', text: `${row.answered_blocks.length} / ${quizzes}` }),
      el('td', { class: 'num', text: row.max ? `${points(row.score)} / ${points(row.max)}` : '—' }),
    ),
  );
  panel.querySelector('[data-pace-rows]').replaceChildren(...rows);
  panel.querySelector('[data-pace-empty]').hidden = rows.length > 0;
}

function autoClose(state) {
  // The countdown ends the quiz: the presenter closes it once, at zero.
  const quiz = state.quiz;
  if (!quiz || quiz.closed || !quiz.timer) return;
  if (room.model.timerLeft() === 0 && autoClosing !== quiz.block_id) {
    autoClosing = quiz.block_id;
    run('quiz.close');
  }
}

room.onRender(update);
room.start();
bar?.removeAttribute('hidden');
