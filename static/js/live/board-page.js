// The board: what the projector shows the class. The slide, the join code, how many pupils are
// here and have answered, the class's results once a quiz is closed (while the teacher lets
// the board show them), the keys once revealed, the whiteboard, the hands as a count, the
// countdown, how many pupils are on each slide when they work at their own pace, the picked
// pupil (named only when the teacher shows it) and, when the teacher puts it there, the chat. The server sends the board no pupil's name or answer; it sends nothing.
import { fill } from '/static/js/dom.js';
import { LiveMedia } from '/static/js/live/media.js';
import { LiveRoom } from '/static/js/live/room.js';
import { renderPicker, renderTimer } from '/static/js/live/widgets.js';

const room = new LiveRoom();
new LiveMedia(room);
const { strings } = room;
const timer = document.querySelector('[data-widget-timer]');
const picker = document.querySelector('[data-widget-picker]');
const chat = document.querySelector('[data-board-chat]');
const answeredBox = document.querySelector('[data-answered-box]');
const answered = document.querySelector('[data-answered-count]');
const paceBox = document.querySelector('[data-pace-box]');
const paceList = document.querySelector('[data-pace-counts]');

/** Pupil-paced mode: how many pupils are on each slide (slides nobody is on left out). */
function renderPace(pace) {
  const counts = pace?.mode === 'pupil' && Array.isArray(pace.counts) ? pace.counts : [];
  paceBox.hidden = !counts.some((n) => n > 0);
  paceList.replaceChildren(
    ...counts.flatMap((n, index) => {
      if (!(n > 0)) return [];
      const item = document.createElement('li');
      item.className = 'board-count';
      item.dataset.paceSlide = String(index + 1);
      const value = document.createElement('span');
      value.className = 'board-count-value';
      value.textContent = String(n);
      const label = document.createElement('span');
      label.className = 'board-count-label';
      label.textContent = fill(strings.paceSlide, { n: index + 1 });
      item.append(value, label);
      return [item];
    }),
  );
}

function update(type) {
  const model = room.model;
  if (!model) return;
  renderTimer(timer, model, strings);
  if (type === 'tick') return;
  renderPicker(picker, model, strings);
  const state = model.state;
  chat.hidden = !state.show.chat;
  // How many have answered the open (or just closed) quiz, out of the pupils here.
  const quiz = state.quiz;
  answeredBox.hidden = !quiz || quiz.revealed;
  if (quiz) answered.textContent = `${quiz.answered} / ${quiz.pupils}`;
  renderPace(state.pace);
  document.body.classList.toggle('has-side-widgets', Boolean(state.timer || state.picker));
}

room.onRender(update);
room.start();
