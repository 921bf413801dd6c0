// A pupil doing an assignment on a tablet: the lesson scrolls, a sticky bar counts the
// answered questions and says whether everything is saved; every answer is saved as it is
// given; handing in shows a summary first and the score after. With no attempt left (or the
// assignment closed) the answers are shown with their points and, when given, the keys.

import { api } from '/static/js/api.js';
import { toast } from '/static/js/app.js';
import { el, fill, readJson } from '/static/js/dom.js';
import { percent, points } from '/static/js/classwork/dom.js';
import { isAnswered, renderQuestion } from '/static/js/classwork/questions.js';
import { Saver, isTransient } from '/static/js/classwork/saver.js';
import { formatTime, showMoments } from '/static/js/classwork/time.js';
import { typesetMath } from '/static/js/lessons/math.js';

const strings = readJson('do-strings');
let detail = readJson('assignment-data');
const page = document.querySelector('.cw-do');
const bar = document.getElementById('cw-bar');
const alertBox = document.getElementById('cw-alert');
const resultBox = document.getElementById('cw-result');
const dialog = document.getElementById('cw-confirm');

const drafts = new Map(); // block id → answers, one per question (null: not answered)
let questionsByBlock = new Map(); // block id → the block's questions (from detail.blocks)
let locked = false;

// --- state ---------------------------------------------------------------------------------

function load(data) {
  detail = data;
  questionsByBlock = new Map(
    detail.blocks.filter((b) => b.kind === 'quiz').map((b) => [String(b.id), b.questions ?? []]),
  );
  drafts.clear();
  for (const [blockId, questions] of questionsByBlock) {
    const saved = detail.answers?.[blockId] ?? [];
    drafts.set(blockId, questions.map((_, i) => (i < saved.length ? saved[i] : null)));
  }
  locked = detail.attempts_left === 0 || detail.status === 'closed';
}

function counts() {
  const total = detail.questions.length;
  let answered = 0;
  const missing = [];
  detail.questions.forEach((ref, n) => {
    if (isAnswered(drafts.get(String(ref.block_id))?.[ref.index])) answered += 1;
    else missing.push(n + 1);
  });
  return { total, answered, missing };
}

const saver = new Saver(detail.id, {
  answersOf: (blockId) => drafts.get(blockId) ?? [],
  onState: showSaveState,
  onRefused: refused,
});

// --- the sticky bar ----------------------------------------------------------------------------

function showProgress() {
  const { total, answered } = counts();
  const progress = document.getElementById('cw-progress');
  progress.max = Math.max(total, 1);
  progress.value = total ? answered : 1;
  document.getElementById('cw-count').textContent = total
    ? fill(strings.answered_of, { answered, total })
    : strings.no_questions;
}

function showSaveState() {
  const state = locked ? 'idle' : saver.state();
  const box = document.getElementById('cw-save');
  const retry = document.getElementById('cw-retry');
  const error = saver.error();
  box.dataset.state = state;
  box.textContent = {
    saving: strings.saving,
    pending: strings.saving,
    saved: fill(strings.saved_at, { time: formatTime(saver.savedAt) }),
    error: error && isTransient(error) ? strings.not_saved_retrying : strings.not_saved,
    idle: locked ? '' : strings.saved_as_you_go,
  }[state];
  retry.hidden = !(state === 'error' && error && isTransient(error));
}

document.getElementById('cw-retry').addEventListener('click', () => saver.retry());

document.getElementById('cw-count').addEventListener('click', () => {
  const next = document.querySelector('.cw-question:not(.is-answered)') ?? document.querySelector('.cw-question');
  if (!next) return;
  next.scrollIntoView({ behavior: 'smooth', block: 'center' });
  next.querySelector('input, select, button')?.focus({ preventScroll: true });
});

// --- messages in words ---------------------------------------------------------------------

function showAlert(text, kind = 'error') {
  alertBox.className = `alert alert-${kind} cw-bar-alert`;
  alertBox.textContent = text;
  alertBox.hidden = !text;
}

function messageFor(error) {
  const known = {
    past_due: strings.past_due,
    closed: strings.closed,
    no_attempts_left: strings.no_attempts_left,
    network_error: strings.offline,
  };
  return known[error.code] ?? error.message;
}

function questionNumber(blockId, index) {
  return detail.questions.findIndex((q) => String(q.block_id) === String(blockId) && q.index === index) + 1;
}

function refused(error, blockId) {
  if (error.status === 409) {
    showAlert(messageFor(error));
    lock();
    return;
  }
  const index = error.details?.question;
  const number = Number.isInteger(index) ? questionNumber(error.details.block_id ?? blockId, index) : 0;
  if (number) {
    const box = document.querySelector(`.cw-question[data-number="${number}"] .cw-question-error`);
    // The server names the question by its place in its block: say it by its place here.
    const problem = error.message.replace(/^\D*\d+:\s*/, '');
    if (box) {
      box.textContent = fill(strings.answer_refused, { problem });
      box.hidden = false;
    }
    showAlert(fill(strings.question_refused, { n: number, problem }));
  } else {
    showAlert(messageFor(error));
  }
}

function lock() {
  saver.stop();
  locked = true;
  for (const control of page.querySelectorAll('.cw-question :is(input, select, button)')) control.disabled = true;
  document.getElementById('cw-submit').hidden = true;
  showSaveState();
}

// --- the quizzes ---------------------------------------------------------------------------

function onAnswer(blockId, index, item) {
  return (value) => {
    drafts.get(blockId)[index] = value;
    item.classList.toggle('is-answered', isAnswered(value));
    const error = item.querySelector('.cw-question-error');
    if (error) error.hidden = true;
    if (!alertBox.classList.contains('alert-warning')) showAlert('');
    saver.changed(blockId);
    showProgress();
  };
}

function renderQuizzes() {
  const scores = detail.progress.attempts_used ? detail.question_scores ?? [] : [];
  for (const holder of page.querySelectorAll('[data-quiz]')) {
    const blockId = holder.dataset.quiz;
    const questions = questionsByBlock.get(blockId) ?? [];
    const list = el('ol', { class: 'cw-questions' });
    questions.forEach((question, index) => {
      const number = questionNumber(blockId, index);
      const ref = detail.questions[number - 1] ?? {};
      const ctx = {
        id: `q-${number}`,
        number,
        total: detail.questions.length,
        max: ref.max ?? 1,
        locked,
        score: scores[number - 1] ?? null,
        strings,
        onChange: () => {},
      };
      const value = drafts.get(blockId)[index];
      const item = renderQuestion(question, value, ctx);
      ctx.onChange = onAnswer(blockId, index, item);
      list.append(item);
    });
    holder.replaceChildren(list);
  }
  page.classList.toggle('is-locked', locked);
}

// --- results -------------------------------------------------------------------------------

function showResult(result, { fresh = false } = {}) {
  const barScore = document.getElementById('cw-bar-score');
  document.getElementById('cw-attempts-line').textContent = fill(strings.attempts_line, {
    used: detail.progress.attempts_used,
    all: detail.attempts,
  });
  if (!result || result.score === null || result.score === undefined) {
    resultBox.hidden = true;
    barScore.hidden = true;
    return;
  }
  barScore.textContent = fill(strings.score_line, {
    points: points(result.score),
    max: points(result.max),
    share: result.max ? percent(result.score / result.max) : '—',
  });
  barScore.hidden = false;
  const lines = [
    el(
      'p',
      { class: 'cw-result-score' },
      el('span', { class: 'cw-result-points', text: `${points(result.score)} / ${points(result.max)}` }),
      el('span', { class: 'cw-result-share', text: result.max ? percent(result.score / result.max) : '' }),
      result.mark ? el('span', { class: `mk cw-mark cw-result-mark mk-${result.mark}`, text: result.mark, title: strings.mark }) : null,
    ),
    el('p', { text: result.mark ? fill(strings.mark_is, { mark: result.mark }) : strings.mark_later }),
  ];
  if (result.attempts_left > 0) {
    lines.push(el('p', { text: fill(strings.attempts_left, { n: result.attempts_left }) }));
  } else {
    lines.push(el('p', { class: 'muted', text: strings.no_more_attempts }));
  }
  resultBox.replaceChildren(
    el('h2', { class: 'cw-result-title', text: fresh ? strings.handed_in : strings.last_result }),
    ...lines,
  );
  resultBox.hidden = false;
}

function resultFromDetail() {
  const p = detail.progress;
  if (!p.attempts_used) return null;
  return { score: p.score, max: p.max, mark: p.mark, attempts_left: detail.attempts_left };
}

// --- handing in ----------------------------------------------------------------------------

function openSummary() {
  const { total, answered, missing } = counts();
  document.getElementById('cw-confirm-count').textContent = total
    ? fill(strings.answered_of, { answered, total })
    : strings.no_questions;
  const missingLine = document.getElementById('cw-confirm-missing');
  missingLine.textContent = missing.length ? fill(strings.not_answered_list, { numbers: missing.join(', ') }) : '';
  missingLine.hidden = !missing.length;
  const left = detail.attempts_left - 1;
  document.getElementById('cw-confirm-attempts').textContent =
    left > 0 ? fill(strings.after_this, { n: left }) : strings.last_attempt;
  dialog.showModal();
}

async function handIn() {
  const button = document.getElementById('cw-submit');
  button.disabled = true;
  showAlert(strings.handing_in, 'info');
  try {
    const problem = await saver.flush();
    if (problem) {
      showAlert(`${strings.not_saved_cannot_submit} ${messageFor(problem)}`);
      return;
    }
    const result = await api('POST', `/assignments/${detail.id}/submit`);
    showAlert('');
    load(await api('GET', `/assignments/${detail.id}`));
    renderQuizzes();
    showProgress();
    showSaveState();
    showResult(result, { fresh: true });
    document.getElementById('cw-submit').hidden = locked;
    document.getElementById('cw-submit').textContent = strings.hand_in_again;
    if (locked) saver.stop();
    resultBox.scrollIntoView({ behavior: 'smooth', block: 'center' });
    toast(strings.handed_in, 'success');
  } catch (error) {
    showAlert(messageFor(error));
    if (error.status === 409) lock();
  } finally {
    button.disabled = false;
  }
}

document.getElementById('cw-submit').addEventListener('click', openSummary);
dialog.addEventListener('close', () => {
  if (dialog.returnValue === 'submit') handIn();
});

// A tablet switching to another app may never come back to this page: save at once.
document.addEventListener('visibilitychange', () => {
  if (document.visibilityState === 'hidden' && !locked) saver.flush();
});

window.addEventListener('beforeunload', (event) => {
  if (!locked && saver.unsaved()) {
    saver.flush();
    event.preventDefault();
  }
});

// --- start ---------------------------------------------------------------------------------

load(detail);
if (detail.progress.saved_at && !locked) saver.savedAt = detail.progress.saved_at;
renderQuizzes();
showProgress();
showSaveState();
showResult(resultFromDetail());
if (locked) {
  document.getElementById('cw-submit').hidden = true;
  if (detail.status === 'closed' && !detail.progress.attempts_used) showAlert(strings.closed_unsubmitted, 'warning');
} else if (detail.progress.attempts_used) {
  document.getElementById('cw-submit').textContent = strings.hand_in_again;
}
bar.hidden = false;
showMoments(page);
typesetMath(page);
