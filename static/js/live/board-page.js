// The board: what the projector shows the class. The slide, the join code, how many pupils are
// here and have answered, the class's results once a quiz is closed (while the teacher lets
// the board show them), the keys once revealed, the whiteboard, the hands as a count, the
// countdown, the picked pupil (named only when the teacher shows it) and, when the teacher puts
// it there, the chat. The server sends the board no pupil's name or answer; it sends nothing.
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
  document.body.classList.toggle('has-side-widgets', Boolean(state.timer || state.picker));
}

room.onRender(update);
room.start();
