// The classroom widgets as the board and the teacher's console show them: the countdown (kept
// in the server's time, so every screen shows the same second) and the random pupil picker
// (the board gets the name only when the teacher shows it).
import { fill } from '/static/js/dom.js';

/** Seconds as m:ss (or h:mm:ss). */
export function clockText(seconds) {
  const whole = Math.max(0, Math.round(seconds));
  const hours = Math.floor(whole / 3600);
  const minutes = Math.floor((whole % 3600) / 60);
  const rest = String(whole % 60).padStart(2, '0');
  return hours ? `${hours}:${String(minutes).padStart(2, '0')}:${rest}` : `${minutes}:${rest}`;
}

/**
 * The countdown into `root` ([data-widget-timer]): its clock ([data-timer-clock]) and state
 * ([data-timer-state]); hidden while there is none. Returns the seconds left (or null).
 */
export function renderTimer(root, model, strings) {
  if (!root) return null;
  const timer = model.state.timer;
  const left = model.countdownLeft();
  root.hidden = left === null;
  if (left === null) return null;
  const done = left === 0 && timer.running;
  root.querySelector('[data-timer-clock]').textContent = clockText(left);
  root.dataset.state = done ? 'done' : timer.running ? 'running' : 'paused';
  root.classList.toggle('is-urgent', timer.running && left > 0 && left <= 10);
  const label = root.querySelector('[data-timer-state]');
  if (label) label.textContent = done ? strings.timerDone : timer.running ? strings.timer : strings.timerPaused;
  return left;
}

/**
 * The picker into `root` ([data-widget-picker]): the name when this viewer may see it
 * ([data-picker-name]), else that someone has been picked; hidden while nobody is on show.
 */
export function renderPicker(root, model, strings) {
  if (!root) return;
  const picker = model.state.picker;
  root.hidden = !picker;
  if (!picker) return;
  root.dataset.shown = String(Boolean(picker.shown));
  const name = root.querySelector('[data-picker-name]');
  if (name) {
    name.textContent = picker.mine ? strings.pickedYou : picker.name ?? strings.pickedHidden;
    name.classList.toggle('is-hidden-name', !picker.name);
  }
  const left = root.querySelector('[data-picker-left]');
  if (left) left.textContent = typeof picker.left === 'number' ? fill(strings.pickLeft, { n: picker.left }) : '';
}
