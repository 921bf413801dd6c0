// The pupil's view for a tablet: the slide follows the teacher (or the pupil browses when the
// teacher frees navigation, or moves on their own when the lesson is pupil-paced), answers,
// votes, a raised hand, chat, the pen when given and the teacher's countdown.
import { toast } from '/static/js/app.js';
import { ERASER, ERASER_WIDTH } from '/static/js/live/board.js';
import { LiveMedia } from '/static/js/live/media.js';
import { LiveRoom, wirePenTools } from '/static/js/live/room.js';
import { renderTimer } from '/static/js/live/widgets.js';

const room = new LiveRoom();
// The teacher's video, and the pupil's own screen when the teacher lets them share it.
new LiveMedia(room);

function handRaised() {
  return room.model.state.hands.some((hand) => hand?.id === room.model.me.id);
}

document.querySelector('[data-action="hand"]')?.addEventListener('click', () => {
  if (!room.model) return;
  room.send(handRaised() ? 'hand.lower' : 'hand.raise').catch(() => {});
});

for (const [action, step] of [
  ['browse-prev', -1],
  ['browse-next', 1],
]) {
  document.querySelector(`[data-action="${action}"]`)?.addEventListener('click', () => {
    if (!room.model) return;
    const index = room.currentIndex() + step;
    if (!room.model.pupilPaced) {
      room.browse(index);
      return;
    }
    // Pupil-paced: the server keeps this pupil's slide (the teacher sees it); the page moves
    // when the server confirms with pupil.goto.
    if (index < 0 || index >= room.model.state.slides.length) return;
    room.send('pupil.goto', { index }).catch(() => {});
  });
}
document.querySelector('[data-action="browse-teacher"]')?.addEventListener('click', () => {
  room.viewIndex = null;
  room.render('browse');
});

const roomy = window.matchMedia('(min-width: 600px)');
roomy.addEventListener('change', () => room.render('resize'));

const chatToggle = document.querySelector('[data-action="chat-toggle"]');
const chatPanel = document.querySelector('[data-chat-panel]');
chatToggle?.addEventListener('click', () => {
  const open = chatPanel.hidden;
  chatPanel.hidden = !open;
  chatToggle.setAttribute('aria-expanded', String(open));
  if (open) {
    const unread = document.querySelector('[data-chat-unread]');
    unread.hidden = true;
    unread.textContent = '0';
    const log = document.querySelector('[data-chat-log]');
    log.scrollTop = log.scrollHeight;
  }
});

wirePenTools(document.querySelector('[data-pen-tools]'), room.board, (picked) => {
  if (picked.dataset.color === ERASER) room.board.setPen(ERASER, ERASER_WIDTH);
});

const timer = document.querySelector('[data-widget-timer]');

room.onRender((type) => {
  // The teacher's countdown (server-timed, the same second as on the board), every tick.
  if (room.model) renderTimer(timer, room.model, room.strings);
  if (!room.model || type === 'tick') return;
  const state = room.model.state;
  const paced = room.model.pupilPaced;
  if (type === 'pace.set') toast(paced ? room.strings.paceStarted : room.strings.paceEnded, 'info');
  // The random pupil picker chose this pupil (the board names them only if the teacher shows it).
  if (type === 'picker.pick' && state.picker?.mine) toast(room.strings.pickedYou, 'info');
  const badge = document.querySelector('[data-pace-badge]');
  if (badge) badge.hidden = !paced;
  const nav = document.querySelector('[data-browse]');
  if (nav) nav.hidden = !(state.nav_free || paced);
  // Worded buttons while pupil-paced on a tablet or wider (no "back to the teacher" button
  // shares the row then); arrows alone while browsing freely, and on a phone.
  for (const label of document.querySelectorAll('[data-browse-label]')) label.hidden = !paced || !roomy.matches;
  const index = room.currentIndex();
  const prev = document.querySelector('[data-action="browse-prev"]');
  const next = document.querySelector('[data-action="browse-next"]');
  if (prev) prev.disabled = index <= 0;
  if (next) next.disabled = index >= state.slides.length - 1;
  const back = document.querySelector('[data-action="browse-teacher"]');
  if (back) back.hidden = paced || index === state.slide;
});

room.start();
