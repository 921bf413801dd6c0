// The pupil's view for a tablet: the slide follows the teacher (or the pupil browses when the
// teacher frees navigation), answers, votes, a raised hand, chat and the pen when given.
import { ERASER, ERASER_WIDTH } from '/static/js/live/board.js';
import { LiveMedia } from '/static/js/live/media.js';
import { LiveRoom, wirePenTools } from '/static/js/live/room.js';

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
    room.browse(room.currentIndex() + step);
  });
}
document.querySelector('[data-action="browse-teacher"]')?.addEventListener('click', () => {
  room.viewIndex = null;
  room.render('browse');
});

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

room.onRender((type) => {
  if (!room.model || type === 'tick') return;
  const state = room.model.state;
  const nav = document.querySelector('[data-browse]');
  if (nav) nav.hidden = !state.nav_free;
  const index = room.currentIndex();
  const prev = document.querySelector('[data-action="browse-prev"]');
  const next = document.querySelector('[data-action="browse-next"]');
  if (prev) prev.disabled = index <= 0;
  if (next) next.disabled = index >= state.slides.length - 1;
  const back = document.querySelector('[data-action="browse-teacher"]');
  if (back) back.hidden = index === state.slide;
});

room.start();
