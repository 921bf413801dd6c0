// Presentation mode for the classroom board: one block per slide, keyboard, swipe,
// the Fullscreen API, revealing quiz answers and a whiteboard to draw on.
import { readJson } from '/static/js/dom.js';
import { typesetMath } from '/static/js/lessons/math.js';

const strings = readJson('present-strings');
const slides = [...document.querySelectorAll('.slide')];
const counter = document.querySelector('[data-current]');
const revealButton = document.querySelector('[data-reveal]');
const fullscreenButton = document.querySelector('[data-fullscreen]');
const stage = document.querySelector('[data-slides]');
let current = 0;

function slideFromHash() {
  const match = /^#slide-(\d+)$/.exec(window.location.hash);
  const index = match ? Number(match[1]) - 1 : 0;
  return Math.min(Math.max(index, 0), slides.length - 1);
}

function show(index) {
  current = Math.min(Math.max(index, 0), slides.length - 1);
  slides.forEach((slide, i) => {
    slide.hidden = i !== current;
  });
  const slide = slides[current];
  counter.textContent = String(current + 1);
  history.replaceState(null, '', `#slide-${current + 1}`);
  if (revealButton) {
    const quiz = slide.dataset.kind === 'quiz';
    revealButton.hidden = !quiz;
    const shown = slide.classList.contains('show-answers');
    revealButton.setAttribute('aria-pressed', String(shown));
    revealButton.textContent = shown ? strings.hide : strings.show;
  }
  slide.querySelector('.slide-inner')?.scrollTo?.(0, 0);
  for (const canvas of slide.querySelectorAll('[data-board-canvas]')) sizeBoard(canvas);
  document.querySelector('[data-prev]').disabled = current === 0;
  document.querySelector('[data-next]').disabled = current === slides.length - 1;
}

const next = () => show(current + 1);
const previous = () => show(current - 1);

document.addEventListener('keydown', (event) => {
  if (event.altKey || event.ctrlKey || event.metaKey) return;
  if (event.target.closest('input, textarea, select, button, a, audio, video')) {
    if (event.key === ' ' || event.key === 'Enter') return; // let the control act
  }
  switch (event.key) {
    case 'ArrowRight':
    case 'ArrowDown':
    case 'PageDown':
    case ' ':
      event.preventDefault();
      next();
      break;
    case 'ArrowLeft':
    case 'ArrowUp':
    case 'PageUp':
      event.preventDefault();
      previous();
      break;
    case 'Home':
      event.preventDefault();
      show(0);
      break;
    case 'End':
      event.preventDefault();
      show(slides.length - 1);
      break;
    case 'f':
    case 'F':
      toggleFullscreen();
      break;
    default:
  }
});

document.querySelector('[data-next]').addEventListener('click', next);
document.querySelector('[data-prev]').addEventListener('click', previous);

// Swipe left/right on a touch screen (not while drawing on a whiteboard).
let touchStart = null;
stage.addEventListener(
  'touchstart',
  (event) => {
    if (event.touches.length !== 1 || event.target.closest('[data-board-canvas]')) {
      touchStart = null;
      return;
    }
    touchStart = { x: event.touches[0].clientX, y: event.touches[0].clientY };
  },
  { passive: true },
);
stage.addEventListener('touchend', (event) => {
  if (!touchStart) return;
  const touch = event.changedTouches[0];
  const dx = touch.clientX - touchStart.x;
  const dy = touch.clientY - touchStart.y;
  touchStart = null;
  if (Math.abs(dx) > 60 && Math.abs(dx) > 1.5 * Math.abs(dy)) {
    if (dx < 0) next();
    else previous();
  }
});

// Full screen: the whole presenter, so the toolbar stays reachable.
function toggleFullscreen() {
  if (!document.fullscreenEnabled) return;
  if (document.fullscreenElement) document.exitFullscreen();
  else document.documentElement.requestFullscreen().catch(() => {});
}
fullscreenButton?.addEventListener('click', toggleFullscreen);
document.addEventListener('fullscreenchange', () => {
  const on = Boolean(document.fullscreenElement);
  document.body.classList.toggle('is-fullscreen', on);
  const label = fullscreenButton?.querySelector('[data-fullscreen-label]');
  if (label) label.textContent = on ? strings.leave : strings.enter;
  fullscreenButton?.setAttribute('aria-pressed', String(on));
  for (const canvas of document.querySelectorAll('[data-board-canvas]')) sizeBoard(canvas);
});
if (fullscreenButton && !document.fullscreenEnabled) fullscreenButton.hidden = true;

// The teacher reveals a quiz's answers on the board.
revealButton?.addEventListener('click', () => {
  const slide = slides[current];
  const shown = slide.classList.toggle('show-answers');
  revealButton.setAttribute('aria-pressed', String(shown));
  revealButton.textContent = shown ? strings.hide : strings.show;
});

// Whiteboards: draw with a pointer (finger, pen or mouse); strokes stay on this screen.
const boards = new Map();

function sizeBoard(canvas) {
  const box = canvas.getBoundingClientRect();
  if (!box.width || !box.height) return;
  const ratio = window.devicePixelRatio || 1;
  const width = Math.round(box.width * ratio);
  const height = Math.round(box.height * ratio);
  if (canvas.width === width && canvas.height === height) return;
  canvas.width = width;
  canvas.height = height;
  redraw(canvas);
}

function redraw(canvas) {
  const board = boards.get(canvas);
  const context = canvas.getContext('2d');
  context.clearRect(0, 0, canvas.width, canvas.height);
  context.lineCap = 'round';
  context.lineJoin = 'round';
  for (const stroke of board.strokes) {
    context.strokeStyle = stroke.colour;
    context.lineWidth = stroke.width * canvas.width;
    context.beginPath();
    stroke.points.forEach(([x, y], i) => {
      const px = x * canvas.width;
      const py = y * canvas.height;
      if (i === 0) context.moveTo(px, py);
      else context.lineTo(px, py);
    });
    if (stroke.points.length === 1) context.lineTo(stroke.points[0][0] * canvas.width + 0.1, stroke.points[0][1] * canvas.height);
    context.stroke();
  }
}

for (const container of document.querySelectorAll('[data-board]')) {
  const canvas = container.querySelector('[data-board-canvas]');
  const board = { strokes: [], colour: '#1a2230', drawing: null };
  boards.set(canvas, board);
  const point = (event) => {
    const box = canvas.getBoundingClientRect();
    return [(event.clientX - box.left) / box.width, (event.clientY - box.top) / box.height];
  };
  canvas.addEventListener('pointerdown', (event) => {
    canvas.setPointerCapture(event.pointerId);
    board.drawing = { colour: board.colour, width: 0.004, points: [point(event)] };
    board.strokes.push(board.drawing);
    redraw(canvas);
  });
  canvas.addEventListener('pointermove', (event) => {
    if (!board.drawing) return;
    board.drawing.points.push(point(event));
    redraw(canvas);
  });
  const stop = () => {
    board.drawing = null;
  };
  canvas.addEventListener('pointerup', stop);
  canvas.addEventListener('pointercancel', stop);
  container.addEventListener('click', (event) => {
    const colour = event.target.closest('[data-colour]');
    if (colour) {
      board.colour = colour.dataset.colour;
      for (const button of container.querySelectorAll('[data-colour]')) {
        button.classList.toggle('is-active', button === colour);
      }
    }
    if (event.target.closest('[data-board-clear]')) {
      board.strokes = [];
      redraw(canvas);
    }
  });
  for (const button of container.querySelectorAll('[data-colour]')) {
    button.style.backgroundColor = button.dataset.colour;
  }
}
window.addEventListener('resize', () => {
  for (const canvas of boards.keys()) sizeBoard(canvas);
});

show(slideFromHash());
stage.focus({ preventScroll: true });
typesetMath(stage);
