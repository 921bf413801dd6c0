// The parts of the teacher's console (present.js) that are not on the board: slide
// thumbnails, each pupil's answer as it arrives (names belong here: it is the teacher's
// screen), what the board shows, the classroom widgets' controls, and pairing a board.
import { toast } from '/static/js/app.js';
import { api } from '/static/js/api.js';
import { el, fill } from '/static/js/dom.js';
import { pollPhase, quizPhase } from '/static/js/live/slides.js';
import { renderPicker, renderTimer } from '/static/js/live/widgets.js';

const LETTERS = 'ABCDEFGHIJ';

function plain(markdown) {
  return String(markdown ?? '')
    .replace(/[#*_`>[\]()!]/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

/** A few words that tell one slide from another. */
export function slideLabel(block, strings) {
  switch (block.kind) {
    case 'text': {
      const text = block.text ?? (block.html ?? '').replace(/<[^>]*>/g, ' ');
      return plain(text) || block.title || '—';
    }
    case 'quiz':
      return block.title || block.questions?.[0]?.prompt || strings.quiz;
    case 'poll':
      return block.prompt || strings.poll;
    case 'whiteboard':
      return strings.boardHint;
    default:
      return block.title || block.alt || block.kind;
  }
}

/** The slide list: one button per slide, the current one marked, quizzes with their phase. */
export function renderThumbs(list, model, strings, goto) {
  if (!list) return;
  const state = model.state;
  list.replaceChildren(
    ...state.slides.map((block, index) => {
      let badge = null;
      if (block.kind === 'quiz' && !model.pupilPaced) {
        const phase = quizPhase(model, block.id);
        if (phase !== 'idle') badge = el('span', { class: `badge ${phase === 'open' ? 'badge-success' : 'badge-muted'}`, text: strings[`phase_${phase}`] });
      } else if (block.kind === 'poll') {
        const phase = pollPhase(model, block.id);
        if (phase !== 'idle') badge = el('span', { class: `badge ${phase === 'open' ? 'badge-success' : 'badge-muted'}`, text: strings[`poll_${phase}`] });
      }
      const kind = strings[`kind_${block.kind}`] ?? block.kind;
      return el(
        'li',
        {},
        el(
          'button',
          {
            type: 'button',
            class: 'console-thumb',
            'aria-current': index === state.slide ? 'true' : 'false',
            dataset: { thumb: String(index) },
            onclick: () => goto(index),
          },
          el('span', { class: 'console-thumb-number', text: String(index + 1) }),
          el('span', { class: 'console-thumb-kind', text: kind }),
          el('span', { class: 'console-thumb-text', text: slideLabel(block, strings) }),
          badge,
        ),
      );
    }),
  );
  list.querySelector('[aria-current="true"]')?.scrollIntoView({ block: 'nearest' });
}

function answerText(question, answer) {
  if (answer === null || answer === undefined) return '—';
  const options = Array.isArray(question.options) ? question.options : [];
  switch (question.kind) {
    case 'single':
      return LETTERS[answer] ?? String(answer);
    case 'multiple':
      return Array.isArray(answer) ? answer.map((i) => LETTERS[i] ?? i).join(', ') : String(answer);
    case 'order':
      return Array.isArray(answer) ? answer.map((i) => options[i] ?? i).join(' → ') : String(answer);
    case 'match':
      return Array.isArray(answer) ? answer.map(([l, r]) => `${l + 1}–${LETTERS[r] ?? r}`).join(' ') : String(answer);
    default:
      return String(answer);
  }
}

function points(value) {
  return Number.isInteger(value) ? String(value) : Number(value).toFixed(1);
}

/**
 * Under the slide: each pupil's answers to the quiz on it (as they arrive; pupils here who
 * have not answered yet are listed too), or each pupil's vote in the poll.
 */
export function renderResults(panel, model, strings, block) {
  if (!panel) return;
  const state = model.state;
  const quiz = block?.kind === 'quiz' && state.quiz?.block_id === String(block.id) ? state.quiz : null;
  const poll = block?.kind === 'poll' && state.poll?.block_id === String(block.id) ? state.poll : null;
  panel.hidden = !quiz && !poll;
  if (panel.hidden) return;
  const body = panel.querySelector('[data-console-results-body]');
  const title = panel.querySelector('[data-console-results-title]');
  const answered = new Set((quiz?.answers ?? poll?.votes ?? []).map((entry) => entry.person?.id));
  const waiting = state.people.present.filter((p) => p.role === 'pupil' && !answered.has(p.id));
  if (quiz) {
    const questions = block.questions ?? [];
    title.textContent = `${strings.answeredCount}: ${quiz.answered} / ${quiz.pupils}`;
    const head = el(
      'tr',
      {},
      el('th', { scope: 'col', text: strings.pupil }),
      questions.map((_, i) => el('th', { scope: 'col', class: 'num', text: String(i + 1) })),
      el('th', { scope: 'col', class: 'num', text: strings.score }),
    );
    const rows = quiz.answers.map((entry) =>
      el(
        'tr',
        { dataset: { answerOf: String(entry.person?.id) } },
        el('th', { scope: 'row', text: entry.person?.name ?? '' }),
        questions.map((question, i) => {
          const got = entry.points?.[i] ?? 0;
          const most = Number(question.points) || 1;
          const mark = got >= most ? 'is-right' : got > 0 ? 'is-part' : 'is-wrong';
          const text = answerText(question, entry.answers?.[i]);
          return el('td', { class: `num console-answer ${mark}`, title: text, text });
        }),
        el('td', { class: 'num', text: `${points(entry.score)} / ${points(entry.max)}` }),
      ),
    );
    const idle = waiting.map((person) =>
      el(
        'tr',
        { class: 'is-waiting' },
        el('th', { scope: 'row', text: person.name }),
        questions.map(() => el('td', { class: 'num', text: '…' })),
        el('td', { class: 'num', text: '—' }),
      ),
    );
    body.replaceChildren(
      el('table', { class: 'table table-compact console-answers' }, el('thead', {}, head), el('tbody', {}, rows, idle)),
    );
    if (!rows.length && !idle.length) body.append(el('p', { class: 'muted text-small', text: strings.noAnswers }));
    return;
  }
  const options = block.options ?? [];
  title.textContent = `${strings.votes}: ${poll.total}`;
  const rows = (poll.votes ?? []).map((vote) =>
    el(
      'tr',
      {},
      el('th', { scope: 'row', text: vote.person?.name ?? '' }),
      el('td', { text: `${LETTERS[vote.option] ?? ''}. ${options[vote.option] ?? ''}` }),
    ),
  );
  const idle = waiting.map((person) =>
    el('tr', { class: 'is-waiting' }, el('th', { scope: 'row', text: person.name }), el('td', { text: '…' })),
  );
  body.replaceChildren(el('table', { class: 'table table-compact console-answers' }, el('tbody', {}, rows, idle)));
  if (!rows.length && !idle.length) body.append(el('p', { class: 'muted text-small', text: strings.notVoted }));
}

/** The "On the board" panel: whether a board is connected and the switches of what it shows. */
export function renderBoardPanel(panel, model, strings) {
  if (!panel) return;
  const boards = model.state.people.present.filter((person) => person.role === 'board').length;
  const status = panel.querySelector('[data-board-status]');
  status.textContent = boards ? strings.boardConnected : strings.boardNone;
  status.classList.toggle('is-on', boards > 0);
  for (const input of panel.querySelectorAll('[data-board-show]')) {
    input.checked = Boolean(model.state.show[input.dataset.boardShow]);
  }
}

/** The widgets' controls: the countdown and the picker, as the teacher runs them. */
export function renderWidgetControls(panel, model, strings) {
  if (!panel) return;
  const timer = model.state.timer;
  renderTimer(panel.querySelector('[data-widget-timer]'), model, strings);
  const toggle = panel.querySelector('[data-action="timer-toggle"]');
  if (toggle && timer) toggle.textContent = timer.running ? strings.timerPause : strings.timerResume;
  const picker = model.state.picker;
  renderPicker(panel.querySelector('[data-widget-picker]'), model, strings);
  const show = panel.querySelector('[data-action="picker-show"]');
  if (show && picker) {
    show.textContent = picker.shown ? strings.pickerHide : strings.pickerShow;
    show.setAttribute('aria-pressed', String(picker.shown));
    show.classList.toggle('btn-primary', picker.shown);
    show.classList.toggle('btn-secondary', !picker.shown);
  }
  const pick = panel.querySelector('[data-action="picker-pick"]');
  if (pick) {
    pick.disabled = !model.state.people.present.some((person) => person.role === 'pupil');
    if (picker) pick.textContent = strings.pickAgain;
  }
}

/** Ask for a board code and show it in the dialog. */
export async function pairBoard(dialog, code, strings) {
  try {
    const issued = await api('POST', `/live/${encodeURIComponent(code)}/board`);
    dialog.querySelector('[data-pair-code]').textContent = issued.code;
    dialog.querySelector('[data-pair-expires]').textContent = fill(strings.boardCodeExpires, {
      minutes: Math.round(issued.expires_in / 60),
    });
    dialog.showModal();
  } catch (error) {
    toast(error.message || strings.failed, 'error');
  }
}
