// One quiz question of an assignment, answered by touch — or, once no attempt is left,
// shown with the points it earned and (when the key is given) the right answer.
//
// Answers have the shapes of CONTRACT.md (Lessons): single 2 · multiple [0, 2] · text
// "москва" · number 0.75 · order [2, 0, 1] · match [[0, 1], [1, 0]]; null is "not answered".
// An answer that is not complete yet (a match with a pair missing, a number that is not
// one) is reported as null, so that only whole answers are saved.

import { el, fill } from '/static/js/dom.js';
import { points } from '/static/js/classwork/dom.js';

const LETTERS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const NUMBER = /^[-−]?(\d+([.,]\d*)?|[.,]\d+)(e[-+]?\d+)?$/i;

/** Whether a value counts as an answer. */
export function isAnswered(value) {
  return value !== null && value !== undefined && !(Array.isArray(value) && value.length === 0);
}

function options(question) {
  return Array.isArray(question.options) ? question.options : [];
}

/** The right answer in words, or '' when the key is not shown. */
export function keyText(question) {
  const key = question.answer;
  if (key === undefined || key === null) return '';
  const list = options(question);
  switch (question.kind) {
    case 'single':
      return `${LETTERS[key] ?? ''}. ${list[key] ?? ''}`;
    case 'multiple':
      return key.map((i) => `${LETTERS[i] ?? ''}. ${list[i] ?? ''}`).join('; ');
    case 'text':
      return key.join(' / ');
    case 'number':
      return key.tolerance ? `${key.value} ± ${key.tolerance}` : String(key.value);
    case 'order':
      return key.map((i) => list[i]).join(' → ');
    case 'match':
      return key.map(([l, r]) => `${question.options?.left?.[l] ?? ''} — ${question.options?.right?.[r] ?? ''}`).join('; ');
    default:
      return '';
  }
}

/** A pupil's answer in words (for teachers reading the results). */
export function answerText(question, value) {
  if (!isAnswered(value)) return '';
  const list = options(question);
  switch (question.kind) {
    case 'single':
      return `${LETTERS[value] ?? ''}. ${list[value] ?? ''}`;
    case 'multiple':
      return value.map((i) => `${LETTERS[i] ?? ''}. ${list[i] ?? ''}`).join('; ');
    case 'order':
      return value.map((i) => list[i] ?? '?').join(' → ');
    case 'match':
      return value.map(([l, r]) => `${question.options?.left?.[l] ?? ''} — ${question.options?.right?.[r] ?? ''}`).join('; ');
    default:
      return String(value);
  }
}

function choices(question, value, ctx, multiple) {
  const chosen = new Set(multiple ? (Array.isArray(value) ? value : []) : Number.isInteger(value) ? [value] : []);
  const key = question.answer;
  const right = new Set(question.kind === 'single' && Number.isInteger(key) ? [key] : Array.isArray(key) ? key : []);
  const showKey = ctx.locked && key !== undefined;
  return el(
    'div',
    { class: 'cw-choices', role: multiple ? 'group' : 'radiogroup', 'aria-labelledby': `${ctx.id}-prompt` },
    options(question).map((text, option) => {
      const isRight = showKey && right.has(option);
      const isWrong = showKey && chosen.has(option) && !right.has(option);
      return el(
        'label',
        { class: `cw-choice${isRight ? ' is-correct' : ''}${isWrong ? ' is-wrong' : ''}` },
        el('input', {
          type: multiple ? 'checkbox' : 'radio',
          name: ctx.id,
          value: option,
          checked: chosen.has(option),
          disabled: ctx.locked,
          onchange: (event) => {
            if (!multiple) return ctx.onChange(option);
            if (event.target.checked) chosen.add(option);
            else chosen.delete(option);
            return ctx.onChange(chosen.size ? [...chosen].sort((a, b) => a - b) : null);
          },
        }),
        el('span', { class: 'cw-choice-letter', 'aria-hidden': 'true', text: LETTERS[option] ?? option + 1 }),
        el('span', { class: 'cw-choice-text', text }),
        isRight ? el('span', { class: 'cw-choice-key', text: `✓ ${ctx.strings.right}` }) : null,
      );
    }),
  );
}

function textInput(question, value, ctx) {
  const hint = el('p', { class: 'field-error', id: `${ctx.id}-error`, hidden: true });
  const number = question.kind === 'number';
  const input = el('input', {
    class: 'cw-text-answer',
    type: 'text',
    id: `${ctx.id}-input`,
    inputmode: number ? 'decimal' : null,
    maxlength: number ? 40 : 1000,
    autocomplete: 'off',
    autocapitalize: number ? null : 'off',
    spellcheck: 'false',
    enterkeyhint: 'done',
    placeholder: number ? ctx.strings.type_number : ctx.strings.type_answer,
    'aria-labelledby': `${ctx.id}-prompt`,
    'aria-describedby': `${ctx.id}-error`,
    value: isAnswered(value) ? String(value) : '',
    disabled: ctx.locked,
    oninput: () => {
      const raw = input.value.trim();
      let answer = raw || null;
      let problem = '';
      if (number && raw) {
        if (NUMBER.test(raw)) answer = Number(raw.replace(',', '.').replace('−', '-'));
        if (!NUMBER.test(raw) || !Number.isFinite(answer)) {
          answer = null;
          problem = ctx.strings.not_a_number;
        }
      }
      hint.textContent = problem;
      hint.hidden = !problem;
      input.setAttribute('aria-invalid', String(Boolean(problem)));
      ctx.onChange(answer);
    },
    onkeydown: (event) => {
      if (event.key === 'Enter') input.blur(); // "done" on a tablet's keyboard
    },
  });
  return el('div', { class: 'field cw-text-field' }, input, hint);
}

function orderList(question, value, ctx) {
  const list = options(question);
  const wrap = el('div', { class: 'cw-order-wrap' });
  const draw = (current) => {
    const order = Array.isArray(current) ? current : list.map((_, i) => i);
    const move = (from, to) => {
      const next = [...order];
      [next[from], next[to]] = [next[to], next[from]];
      ctx.onChange(next);
      draw(next);
      wrap.querySelectorAll('.cw-order-item')[to]?.querySelector(`[data-move="${to < from ? 'up' : 'down'}"]:not(:disabled)`)?.focus();
    };
    const parts = [
      el(
        'ol',
        { class: 'cw-order', 'aria-labelledby': `${ctx.id}-prompt` },
        order.map((option, position) =>
          el(
            'li',
            { class: 'cw-order-item' },
            el('span', { class: 'cw-order-place', 'aria-hidden': 'true', text: position + 1 }),
            el('span', { class: 'cw-order-text', text: list[option] ?? '?' }),
            ctx.locked
              ? null
              : el(
                  'span',
                  { class: 'cw-order-moves' },
                  el('button', {
                    type: 'button',
                    class: 'btn btn-secondary cw-move',
                    text: '↑',
                    dataset: { move: 'up' },
                    'aria-label': fill(ctx.strings.move_up, { item: list[option] ?? '' }),
                    disabled: position === 0,
                    onclick: () => move(position, position - 1),
                  }),
                  el('button', {
                    type: 'button',
                    class: 'btn btn-secondary cw-move',
                    text: '↓',
                    dataset: { move: 'down' },
                    'aria-label': fill(ctx.strings.move_down, { item: list[option] ?? '' }),
                    disabled: position === order.length - 1,
                    onclick: () => move(position, position + 1),
                  }),
                ),
          ),
        ),
      ),
      ctx.locked || Array.isArray(current)
        ? null
        : el('button', {
            type: 'button',
            class: 'btn btn-ghost cw-keep-order',
            text: ctx.strings.keep_order,
            onclick: () => {
              ctx.onChange(order);
              draw(order);
            },
          }),
    ];
    wrap.replaceChildren(...parts.filter(Boolean));
  };
  draw(value);
  return wrap;
}

function matchRows(question, value, ctx) {
  const left = question.options?.left ?? [];
  const right = question.options?.right ?? [];
  const pairs = new Map((Array.isArray(value) ? value : []).map(([l, r]) => [l, r]));
  const hint = el('p', { class: 'field-hint', text: ctx.strings.match_all, hidden: ctx.locked });
  const store = () => {
    hint.classList.toggle('is-pending', pairs.size > 0 && pairs.size < left.length);
    ctx.onChange(pairs.size === left.length ? [...pairs.entries()].sort((a, b) => a[0] - b[0]) : null);
  };
  return el(
    'div',
    { class: 'cw-match' },
    left.map((text, l) =>
      el(
        'label',
        { class: 'cw-match-row' },
        el('span', { class: 'cw-match-left', text }),
        el(
          'select',
          {
            disabled: ctx.locked,
            onchange: (event) => {
              if (event.target.value === '') pairs.delete(l);
              else pairs.set(l, Number(event.target.value));
              store();
            },
          },
          el('option', { value: '', text: ctx.strings.choose }),
          right.map((choice, r) => el('option', { value: r, text: choice, selected: pairs.get(l) === r })),
        ),
      ),
    ),
    hint,
  );
}

function answerInput(question, value, ctx) {
  switch (question.kind) {
    case 'single':
      return choices(question, value, ctx, false);
    case 'multiple':
      return choices(question, value, ctx, true);
    case 'text':
    case 'number':
      return textInput(question, value, ctx);
    case 'order':
      return orderList(question, value, ctx);
    case 'match':
      return matchRows(question, value, ctx);
    default:
      return el('p', { class: 'muted', text: ctx.strings.unknown_kind });
  }
}

function scoreBadge(score, max, strings) {
  if (score === null || score === undefined) return null;
  const kind = score >= max ? 'badge-success' : score > 0 ? 'badge-warning' : 'badge-danger';
  return el('span', { class: `badge ${kind} cw-points`, text: fill(strings.points_of, { points: points(score), max: points(max) }) });
}

/**
 * One question as a list item. `ctx`: {id, number, total, max, locked, score, strings,
 * onChange(value)}; `value` is the answer given so far (null when none).
 */
export function renderQuestion(question, value, ctx) {
  const item = el('li', {
    class: `cw-question cw-kind-${question.kind}${isAnswered(value) ? ' is-answered' : ''}`,
    id: ctx.id,
    dataset: { kind: question.kind, number: ctx.number },
  });
  const kindNote = { multiple: ctx.strings.several, order: ctx.strings.order_hint, match: ctx.strings.match_hint }[question.kind];
  const parts = [
    el(
      'div',
      { class: 'cw-question-head' },
      el('span', { class: 'cw-question-number', text: fill(ctx.strings.question_n, { n: ctx.number, total: ctx.total }) }),
      ctx.locked ? scoreBadge(ctx.score, ctx.max, ctx.strings) : el('span', { class: 'muted text-small', text: fill(ctx.strings.worth, { max: points(ctx.max) }) }),
    ),
    question.prompt_html == null
      ? el('p', { class: 'cw-question-prompt', id: `${ctx.id}-prompt`, text: question.prompt ?? '' })
      : el('div', { class: 'cw-question-prompt', id: `${ctx.id}-prompt`, html: question.prompt_html }),
    kindNote && !ctx.locked ? el('p', { class: 'field-hint', text: kindNote }) : null,
    answerInput(question, value, ctx),
    el('p', { class: 'field-error cw-question-error', hidden: true, role: 'alert' }),
  ];
  item.append(...parts.filter(Boolean));
  const key = ctx.locked ? keyText(question) : '';
  if (key && !['single', 'multiple'].includes(question.kind)) {
    item.append(el('p', { class: 'cw-key' }, el('strong', { text: `${ctx.strings.right_answer} ` }), key));
  }
  if (ctx.locked && !isAnswered(value)) item.append(el('p', { class: 'muted text-small', text: ctx.strings.skipped }));
  return item;
}
