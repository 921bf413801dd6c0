// Drawing one lesson block as a slide, for the teacher, a pupil, an observer or the board: the
// content, the quiz and poll controls a pupil answers with, and the class's results.
import { el } from '/static/js/dom.js';
import { typesetMath } from '/static/js/lessons/math.js';


/** A question's or poll's prompt: the server's sanitised Markdown HTML, else its plain text. */
function promptElement(item) {
  if (item.prompt_html == null) return el('p', { class: 'live-prompt', text: item.prompt ?? '' });
  const prompt = el('div', { class: 'live-prompt', html: item.prompt_html });
  typesetMath(prompt);
  return prompt;
}

function assetUrl(code, sha) {
  return `/live/${encodeURIComponent(code)}/assets/${encodeURIComponent(sha)}`;
}

const LETTERS = 'ABCDEFGHIJ';

/**
 * The phase of a quiz block for this viewer: idle, open, closed or revealed. While pupils work
 * at their own pace, every quiz the teacher has not run is open to them.
 */
export function quizPhase(model, blockId) {
  const quiz = model.state.quiz;
  if (quiz && quiz.block_id === String(blockId)) {
    if (quiz.revealed) return 'revealed';
    return quiz.closed ? 'closed' : 'open';
  }
  const run = model.state.quizzes.find((q) => q.block_id === String(blockId));
  if (model.state.pace?.mode === 'pupil' && (!run || run.paced)) return model.state.ended ? 'closed' : 'open';
  if (!run) return pacedAnswers(model, blockId) ? 'closed' : 'idle';
  return run.revealed ? 'revealed' : 'closed';
}

/** A pupil's own answers to a quiz done at their own pace (null when none). */
export function pacedAnswers(model, blockId) {
  return model.role === 'pupil' ? model.state.pace?.mine?.[String(blockId)] ?? null : null;
}

export function pollPhase(model, blockId) {
  const poll = model.state.poll;
  if (!poll || poll.block_id !== String(blockId)) return 'idle';
  return poll.closed ? 'closed' : 'open';
}

// --- results --------------------------------------------------------------------------------

/** Horizontal bars: one per label, the count and its share of `total`. */
export function bars(labels, counts, total, { correct = [] } = {}) {
  const most = Math.max(1, total, ...counts);
  return el(
    'ul',
    { class: 'live-bars' },
    labels.map((label, index) => {
      const count = counts[index] ?? 0;
      const fill = el('span', { class: 'live-bar-fill' });
      fill.style.width = `${Math.round((count / most) * 100)}%`;
      return el(
        'li',
        { class: `live-bar-row${correct.includes(index) ? ' is-correct' : ''}` },
        el('span', { class: 'live-bar-label', text: label }),
        el('span', { class: 'live-bar-track' }, fill),
        el('span', { class: 'live-bar-count', text: String(count) }),
      );
    }),
  );
}

function correctOptions(question) {
  if (question.kind === 'single' && Number.isInteger(question.answer)) return [question.answer];
  if (question.kind === 'multiple' && Array.isArray(question.answer)) return question.answer;
  return [];
}

/** The class's results of one question (from the quiz's histogram entry). */
function questionResults(question, bar, strings) {
  if (!bar) return null;
  const parts = [];
  if (Array.isArray(bar.options) && Array.isArray(question.options)) {
    parts.push(
      bars(
        question.options.map((text, i) => `${LETTERS[i] ?? i + 1}. ${text}`),
        bar.options,
        bar.answered,
        { correct: 'correct' in bar ? correctOptions(question) : [] },
      ),
    );
  }
  const summary = [`${strings.answered}: ${bar.answered}`];
  if ('correct' in bar) summary.push(`${strings.correct}: ${bar.correct}`);
  parts.push(el('p', { class: 'live-result-summary', text: summary.join(' · ') }));
  return el('div', { class: 'live-results', dataset: { results: '' } }, parts);
}

// --- answering ------------------------------------------------------------------------------

function answerInput(question, index, draft, enabled, strings, onChange) {
  const name = `q${index}`;
  const set = (value) => {
    draft[index] = value;
    onChange();
  };
  const options = Array.isArray(question.options) ? question.options : [];
  switch (question.kind) {
    case 'single':
      return el(
        'div',
        { class: 'live-choices', role: 'radiogroup' },
        options.map((text, option) =>
          el(
            'label',
            { class: 'live-choice' },
            el('input', {
              type: 'radio',
              name,
              value: option,
              checked: draft[index] === option,
              disabled: !enabled,
              onchange: () => set(option),
            }),
            el('span', { class: 'live-choice-letter', text: LETTERS[option] ?? option + 1 }),
            el('span', { text }),
          ),
        ),
      );
    case 'multiple': {
      const chosen = new Set(Array.isArray(draft[index]) ? draft[index] : []);
      return el(
        'div',
        { class: 'live-choices' },
        options.map((text, option) =>
          el(
            'label',
            { class: 'live-choice' },
            el('input', {
              type: 'checkbox',
              name,
              value: option,
              checked: chosen.has(option),
              disabled: !enabled,
              onchange: (event) => {
                if (event.target.checked) chosen.add(option);
                else chosen.delete(option);
                set(chosen.size ? [...chosen].sort((a, b) => a - b) : null);
              },
            }),
            el('span', { class: 'live-choice-letter', text: LETTERS[option] ?? option + 1 }),
            el('span', { text }),
          ),
        ),
      );
    }
    case 'text':
      return el('input', {
        class: 'live-text-answer',
        type: 'text',
        name,
        maxlength: 200,
        autocomplete: 'off',
        value: typeof draft[index] === 'string' ? draft[index] : '',
        placeholder: strings.typeAnswer,
        disabled: !enabled,
        oninput: (event) => set(event.target.value.trim() ? event.target.value : null),
      });
    case 'number':
      return el('input', {
        class: 'live-text-answer live-number-answer',
        type: 'text',
        inputmode: 'decimal',
        name,
        maxlength: 40,
        autocomplete: 'off',
        value: draft[index] ?? '',
        placeholder: strings.typeNumber,
        disabled: !enabled,
        oninput: (event) => {
          const raw = event.target.value.trim().replace(',', '.');
          const number = Number(raw);
          set(raw === '' ? null : Number.isFinite(number) ? number : raw);
        },
      });
    case 'order': {
      if (!Array.isArray(draft[index])) draft[index] = options.map((_, i) => i);
      const order = draft[index];
      const move = (from, to) => {
        if (to < 0 || to >= order.length) return;
        [order[from], order[to]] = [order[to], order[from]];
        onChange(true);
      };
      return el(
        'ol',
        { class: 'live-order' },
        order.map((option, position) =>
          el(
            'li',
            { class: 'live-order-item' },
            el('span', { class: 'live-order-text', text: options[option] }),
            el('button', {
              type: 'button',
              class: 'btn btn-secondary',
              text: '↑',
              'aria-label': strings.moveUp,
              disabled: !enabled || position === 0,
              onclick: () => move(position, position - 1),
            }),
            el('button', {
              type: 'button',
              class: 'btn btn-secondary',
              text: '↓',
              'aria-label': strings.moveDown,
              disabled: !enabled || position === order.length - 1,
              onclick: () => move(position, position + 1),
            }),
          ),
        ),
      );
    }
    case 'match': {
      const left = question.options?.left ?? [];
      const right = question.options?.right ?? [];
      const pairs = new Map((Array.isArray(draft[index]) ? draft[index] : []).map(([l, r]) => [l, r]));
      const store = () => set(pairs.size ? [...pairs.entries()].sort((a, b) => a[0] - b[0]) : null);
      return el(
        'div',
        { class: 'live-match' },
        left.map((text, l) =>
          el(
            'label',
            { class: 'live-match-row' },
            el('span', { class: 'live-match-left', text }),
            el(
              'select',
              {
                disabled: !enabled,
                onchange: (event) => {
                  if (event.target.value === '') pairs.delete(l);
                  else pairs.set(l, Number(event.target.value));
                  store();
                },
              },
              el('option', { value: '', text: '—' }),
              right.map((choice, r) =>
                el('option', { value: r, text: choice, selected: pairs.get(l) === r }),
              ),
            ),
          ),
        ),
      );
    }
    default:
      return el('p', { class: 'muted', text: strings.unknownQuestion });
  }
}

function keyText(question) {
  const options = Array.isArray(question.options) ? question.options : [];
  const answer = question.answer;
  if (answer === undefined || answer === null) return '';
  switch (question.kind) {
    case 'single':
      return `${LETTERS[answer] ?? ''}. ${options[answer] ?? ''}`;
    case 'multiple':
      return answer.map((i) => `${LETTERS[i] ?? ''}. ${options[i] ?? ''}`).join('; ');
    case 'text':
      return answer.join(' / ');
    case 'number':
      return answer.tolerance ? `${answer.value} ± ${answer.tolerance}` : String(answer.value);
    case 'order':
      return answer.map((i) => options[i]).join(' → ');
    case 'match':
      return answer
        .map(([l, r]) => `${question.options?.left?.[l] ?? ''} — ${question.options?.right?.[r] ?? ''}`)
        .join('; ');
    default:
      return JSON.stringify(answer);
  }
}

// --- a slide --------------------------------------------------------------------------------

/**
 * One block drawn for one viewer. `context`: {model, code, strings, drafts, onAnswer,
 * onVote, onDraft}. Returns the element.
 */
export function renderBlock(block, index, context) {
  const { model, strings } = context;
  const body = el('div', { class: `live-slide live-slide-${block.kind}`, dataset: { kind: block.kind } });
  switch (block.kind) {
    case 'text': {
      const prose = el('div', { class: 'prose', html: block.html ?? '' });
      body.append(prose);
      typesetMath(prose);
      break;
    }
    case 'image':
      body.append(
        el('figure', { class: 'live-figure' }, el('img', { src: assetUrl(context.code, block.asset), alt: block.alt ?? '' })),
      );
      break;
    case 'video':
      body.append(el('video', { class: 'live-media', src: assetUrl(context.code, block.asset), controls: true, preload: 'metadata' }));
      break;
    case 'file':
      body.append(el('p', {}, el('a', { class: 'btn btn-secondary btn-lg', href: assetUrl(context.code, block.asset), download: '', text: strings.download })));
      break;
    case 'quiz':
      body.append(renderQuiz(block, context));
      break;
    case 'poll':
      body.append(renderPoll(block, context));
      break;
    case 'whiteboard':
      if (block.background) {
        body.append(el('img', { class: 'live-board-background', src: assetUrl(context.code, block.background), alt: '' }));
      }
      body.append(el('p', { class: 'live-board-hint muted', text: strings.boardHint }));
      break;
    default:
      body.append(el('p', { class: 'muted', text: block.kind }));
  }
  body.dataset.index = String(index);
  return body;
}

function renderQuiz(block, context) {
  const { model, strings } = context;
  const phase = quizPhase(model, block.id);
  const quiz = model.state.quiz?.block_id === String(block.id) ? model.state.quiz : null;
  const role = model.role;
  const wrap = el('div', { class: `live-quiz is-${phase}`, dataset: { phase } });
  const questions = block.questions ?? [];
  const pupilAnswering = role === 'pupil' && phase === 'open';
  const draft = context.drafts.get(String(block.id)) ?? questions.map(() => null);
  const paced = pacedAnswers(model, block.id);
  const mine = role === 'pupil' ? (quiz ? quiz.mine : paced && { answers: paced }) : null;
  if (mine?.answers && !context.drafts.has(String(block.id))) {
    mine.answers.forEach((answer, i) => {
      draft[i] = answer;
    });
  }
  context.drafts.set(String(block.id), draft);

  wrap.append(
    el(
      'div',
      { class: 'live-quiz-head' },
      el('h2', { class: 'slide-heading', text: strings.quiz }),
      el('span', { class: `badge ${phase === 'open' ? 'badge-success' : 'badge-muted'}`, text: strings[`phase_${phase}`] }),
      el('span', { class: 'live-timer', dataset: { timer: '' }, hidden: true }),
    ),
  );
  const list = el('ol', { class: 'live-questions' });
  questions.forEach((question, i) => {
    const item = el('li', { class: 'live-question' }, promptElement(question));
    if (role === 'pupil' && phase !== 'idle') {
      item.append(
        answerInput(question, i, draft, pupilAnswering, strings, (rerender) => {
          context.onDraft?.(block.id, rerender === true);
        }),
      );
    } else if (Array.isArray(question.options) && !quiz?.histogram?.[i]?.options) {
      item.append(
        el(
          'ul',
          { class: 'live-options' },
          question.options.map((text, option) =>
            el('li', { class: correctOptions(question).includes(option) && (role === 'teacher' || phase === 'revealed') ? 'is-correct' : '' }, `${LETTERS[option] ?? option + 1}. ${text}`),
          ),
        ),
      );
    } else if (question.kind === 'match') {
      item.append(
        el(
          'div',
          { class: 'live-match-preview' },
          el('ul', {}, (question.options?.left ?? []).map((t) => el('li', { text: t }))),
          el('ul', {}, (question.options?.right ?? []).map((t) => el('li', { text: t }))),
        ),
      );
    }
    const showKey = question.answer !== undefined && (role === 'teacher' || phase === 'revealed');
    if (showKey && !['single', 'multiple'].includes(question.kind)) {
      item.append(el('p', { class: 'live-key', text: `${strings.rightAnswer}: ${keyText(question)}` }));
    } else if (showKey && role === 'pupil') {
      item.append(el('p', { class: 'live-key', text: `${strings.rightAnswer}: ${keyText(question)}` }));
    }
    if (mine?.points && phase === 'revealed') {
      const got = mine.points[i] ?? 0;
      item.append(el('p', { class: got > 0 ? 'live-mark-good' : 'live-mark-bad', text: got > 0 ? `✓ ${got}` : '✗ 0' }));
    }
    if (role !== 'pupil' || phase === 'closed' || phase === 'revealed') {
      const results = questionResults(question, quiz?.histogram?.[i], strings);
      if (results) item.append(results);
    }
    list.append(item);
  });
  wrap.append(list);

  if (role === 'pupil') {
    if (phase === 'idle') wrap.append(el('p', { class: 'alert alert-info', text: strings.quizWait }));
    if (phase === 'open') {
      wrap.append(
        el(
          'div',
          { class: 'live-quiz-actions' },
          el('button', {
            type: 'button',
            class: 'btn btn-primary btn-lg',
            dataset: { sendAnswers: '' },
            text: mine ? strings.sendAgain : strings.sendAnswers,
            onclick: () => context.onAnswer(block.id, draft),
          }),
          mine ? el('span', { class: 'live-sent', text: `✓ ${strings.answerSent}` }) : null,
        ),
      );
    }
    if (phase === 'closed') wrap.append(el('p', { class: 'alert alert-info', text: mine ? strings.quizClosedAnswered : strings.quizClosedMissed }));
    if (phase === 'revealed' && mine && 'score' in mine) {
      wrap.append(el('p', { class: 'live-score', dataset: { score: '' }, text: `${strings.yourScore}: ${mine.score} / ${mine.max}` }));
    }
  }
  wrap.append(el('p', { class: 'live-progress muted', dataset: { progress: '' } }));
  return wrap;
}

function renderPoll(block, context) {
  const { model, strings } = context;
  const phase = pollPhase(model, block.id);
  const poll = model.state.poll?.block_id === String(block.id) ? model.state.poll : null;
  const options = block.options ?? [];
  const wrap = el(
    'div',
    { class: `live-poll is-${phase}`, dataset: { phase } },
    el(
      'div',
      { class: 'live-quiz-head' },
      el('h2', { class: 'slide-heading', text: strings.poll }),
      el('span', { class: `badge ${phase === 'open' ? 'badge-success' : 'badge-muted'}`, text: strings[`poll_${phase}`] }),
    ),
    promptElement(block),
  );
  if (model.role === 'pupil' && phase === 'open') {
    wrap.append(
      el(
        'div',
        { class: 'live-vote' },
        options.map((text, option) =>
          el('button', {
            type: 'button',
            class: `btn btn-lg live-vote-option ${poll?.mine === option ? 'btn-primary' : 'btn-secondary'}`,
            'aria-pressed': String(poll?.mine === option),
            text,
            onclick: () => context.onVote(option),
          }),
        ),
      ),
    );
  }
  // The board shows the bars only while the teacher lets it (counts are null then).
  if (poll?.counts) wrap.append(el('div', { dataset: { pollBars: '' } }, bars(options, poll.counts, poll.total)));
  else if (phase === 'idle' && model.role === 'pupil') wrap.append(el('p', { class: 'alert alert-info', text: strings.pollWait }));
  wrap.append(el('p', { class: 'live-progress muted', dataset: { progress: '' } }));
  return wrap;
}

/** Refresh what changes often without redrawing the slide (counts, bars, the timer). */
export function refreshCounters(root, block, context) {
  const { model, strings } = context;
  const progress = root.querySelector('[data-progress]');
  if (block.kind === 'quiz') {
    const quiz = model.state.quiz?.block_id === String(block.id) ? model.state.quiz : null;
    if (progress) progress.textContent = quiz ? `${strings.answered}: ${quiz.answered} / ${quiz.pupils}` : '';
    const rows = model.state.pace?.mode === 'pupil' && !quiz ? model.state.pace.pupils : null;
    if (progress && rows) {
      // Pupil-paced, on the teacher's console: how many have answered this quiz so far.
      const done = rows.filter((row) => row.answered_blocks.includes(String(block.id))).length;
      progress.textContent = `${strings.answered}: ${done} / ${rows.length}`;
    }
    const timer = root.querySelector('[data-timer]');
    const left = quiz ? model.timerLeft() : null;
    if (timer) {
      timer.hidden = left === null;
      if (left !== null) timer.textContent = `${Math.floor(left / 60)}:${String(left % 60).padStart(2, '0')}`;
      timer.classList.toggle('is-urgent', left !== null && left <= 10);
    }
  } else if (block.kind === 'poll') {
    const poll = model.state.poll?.block_id === String(block.id) ? model.state.poll : null;
    if (progress) progress.textContent = poll ? `${strings.votes}: ${poll.total}` : '';
    const holder = root.querySelector('[data-poll-bars]');
    if (holder && poll?.counts) holder.replaceChildren(bars(block.options ?? [], poll.counts, poll.total));
  }
}
