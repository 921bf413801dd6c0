// The presenter's view for the smart board: the room plus the teacher's controls.
import { toast } from '/static/js/app.js';
import { csrfToken } from '/static/js/api.js';
import { ERASER, ERASER_WIDTH } from '/static/js/live/board.js';
import { LiveMedia } from '/static/js/live/media.js';
import { LiveRoom, wirePenTools } from '/static/js/live/room.js';
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
  end: endLesson,
};

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
    const response = await fetch(`/live/${code}/end`, {
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
  if (type === 'tick') {
    autoClose(state);
    return;
  }
  media.decoratePeople(document.querySelector('[data-people]'));
  button('prev').disabled = state.slide === 0;
  button('next').disabled = state.slide >= state.slides.length - 1;
  const quiz = block?.kind === 'quiz' ? quizPhase(room.model, block.id) : null;
  const anotherQuizOpen = state.quiz && !state.quiz.closed && state.quiz.block_id !== String(block?.id);
  show('quiz-open', quiz === 'idle');
  button('quiz-open').disabled = Boolean(anotherQuizOpen);
  show('quiz-close', quiz === 'open');
  show('quiz-reveal', quiz === 'closed' && state.quiz?.block_id === String(block.id));
  if (timerSelect) {
    timerSelect.hidden = quiz !== 'open';
    const seconds = state.quiz?.timer?.seconds ?? '';
    if (document.activeElement !== timerSelect) timerSelect.value = String(seconds);
  }
  const poll = block?.kind === 'poll' ? pollPhase(room.model, block.id) : null;
  show('poll-open', poll === 'idle');
  button('poll-open').disabled = Boolean(state.poll && !state.poll.closed);
  show('poll-close', poll === 'open');
  setPressed('lock', state.locked, [strings.unlock, strings.lock]);
  setPressed('nav-free', state.nav_free, [strings.navFollow, strings.navFree]);
  setPressed('chat', state.chat.on, [strings.chatOff, strings.chatOn]);
  const lockBadge = document.querySelector('[data-locked-badge]');
  if (lockBadge) lockBadge.hidden = !state.locked;
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
