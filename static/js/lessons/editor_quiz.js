// The lesson editor's quiz block: its questions of every kind (single and multiple choice,
// text, number, order, match) with their answer keys, and the list of text options with add and
// remove that the poll block uses too.

import { el, field, iconButton } from '/static/js/lessons/editor_dom.js';
import { changed, t } from '/static/js/lessons/editor_saving.js';

export function newQuestion(kind, from = {}) {
  const prompt = from.prompt ?? '';
  const points = from.points ?? 1;
  const texts = Array.isArray(from.options) ? from.options : from.correct ?? ['', ''];
  const options = texts.length >= 2 ? [...texts] : ['', ''];
  switch (kind) {
    case 'multiple':
      return { kind, prompt, points, options, answer: [0] };
    case 'text':
      return { kind, prompt, points, options: [], answer: [] };
    case 'number':
      return { kind, prompt, points, options: [], answer: { value: 0, tolerance: 0 } };
    case 'order':
      return { kind, prompt, points, options: [], answer: [], correct: options };
    case 'match':
      return { kind, prompt, points, options: { left: ['', ''], right: ['', ''] }, answer: [[0, 0], [1, 1]] };
    default:
      return { kind: 'single', prompt, points, options, answer: 0 };
  }
}

// A list of text options with add/remove. `marker(index)` may put a control before each;
// `onRemove(index)` and `onAdd()` keep answer keys in step before the list re-renders.
export function optionList(options, { rerender, marker = null, onRemove = null, onAdd = null }) {
  const rows = options.map((text, index) =>
    el(
      'li',
      { class: 'option-row' },
      marker ? marker(index) : null,
      el('input', {
        value: text,
        maxlength: '500',
        'aria-label': `${t.option} ${index + 1}`,
        placeholder: `${t.option} ${index + 1}`,
        on: { input: (e) => { options[index] = e.target.value; changed(); } },
      }),
      options.length > 2
        ? iconButton(t.removeOption, '✕', () => {
          options.splice(index, 1);
          onRemove?.(index);
          rerender();
          changed();
        })
        : null,
    ),
  );
  const add = () => {
    options.push('');
    onAdd?.();
    rerender();
    changed();
  };
  return el(
    'div',
    { class: 'option-editor' },
    el('ol', { class: 'option-rows' }, rows),
    options.length < 10
      ? el('button', { type: 'button', class: 'btn btn-sm btn-secondary', text: `+ ${t.addOption}`, on: { click: add } })
      : null,
  );
}

// `rerender()` draws the blocks again after a question is added, removed or changes kind.
export function quizEditor(block, rerender) {
  const questions = block.questions.map((question, index) => questionEditor(block, question, index, rerender));
  return [
    el('ol', { class: 'question-editors' }, questions),
    el('button', { type: 'button', class: 'btn btn-secondary', text: `+ ${t.addQuestion}`, on: { click: () => { block.questions.push(newQuestion('single')); rerender(); changed(); } } }),
  ];
}

function questionEditor(block, question, index, rerender) {
  const kindSelect = el(
    'select',
    { on: { change: (e) => { block.questions[index] = newQuestion(e.target.value, question); rerender(); changed(); } } },
    Object.entries(t.questionKinds).map(([value, label]) => el('option', { value, text: label, selected: value === question.kind })),
  );
  const points = el('input', {
    type: 'number', min: '0.5', max: '100', step: '0.5', value: String(question.points ?? 1),
    on: { input: (e) => { question.points = Number(e.target.value) || 1; changed(); } },
  });
  const prompt = el('textarea', {
    rows: '2', class: 'prompt-input', value: question.prompt, maxlength: '2000',
    on: { input: (e) => { question.prompt = e.target.value; changed(); } },
  });
  const head = el(
    'div',
    { class: 'question-editor-head' },
    el('strong', { text: `${t.question} ${index + 1}` }),
    field(t.kind, kindSelect),
    field(t.points, points),
    block.questions.length > 1
      ? iconButton(t.removeQuestion, '✕', () => { block.questions.splice(index, 1); rerender(); changed(); })
      : null,
  );
  return el('li', { class: 'question-editor' }, head, field(t.prompt, prompt), answerEditor(question, `${block.id}-${index}`, rerender));
}

function keyMarker(type, checked, onChange) {
  return el('label', { class: 'check option-key', title: t.right },
    el('input', { type, checked, on: { change: onChange } }),
    el('span', { class: 'sr-only', text: t.right }));
}

function answerEditor(question, name, rerender) {
  switch (question.kind) {
    case 'single':
      return optionList(question.options, {
        rerender,
        marker: (i) => {
          const marker = keyMarker('radio', question.answer === i, () => { question.answer = i; changed(); });
          marker.querySelector('input').name = `key-${name}`;
          return marker;
        },
        onRemove: (removed) => {
          if (question.answer === removed) question.answer = 0;
          else if (question.answer > removed) question.answer -= 1;
        },
      });
    case 'multiple':
      return optionList(question.options, {
        rerender,
        marker: (i) => keyMarker('checkbox', question.answer.includes(i), (e) => {
          question.answer = e.target.checked
            ? [...question.answer, i].sort((a, b) => a - b)
            : question.answer.filter((x) => x !== i);
          changed();
        }),
        onRemove: (removed) => {
          question.answer = question.answer.filter((x) => x !== removed).map((x) => (x > removed ? x - 1 : x));
          if (!question.answer.length) question.answer = [0];
        },
      });
    case 'order':
      return [
        el('p', { class: 'field-hint', text: t.orderHint }),
        optionList(question.correct, { rerender, marker: (i) => el('span', { class: 'order-number', text: `${i + 1}.` }) }),
      ];
    case 'text':
      return field(t.accepted, el('textarea', {
        rows: '3',
        value: question.answer.join('\n'),
        on: { input: (e) => { question.answer = e.target.value.split('\n').map((s) => s.trim()).filter(Boolean); changed(); } },
      }));
    case 'number':
      return el('div', { class: 'field-row' },
        field(t.value, el('input', {
          type: 'number', step: 'any', value: String(question.answer.value ?? ''),
          on: { input: (e) => { question.answer.value = e.target.value === '' ? null : Number(e.target.value); changed(); } },
        })),
        field(t.tolerance, el('input', {
          type: 'number', step: 'any', min: '0', value: String(question.answer.tolerance ?? 0),
          on: { input: (e) => { question.answer.tolerance = Number(e.target.value) || 0; changed(); } },
        })));
    case 'match':
      return matchEditor(question, rerender);
    default:
      return null;
  }
}

function matchEditor(question, rerender) {
  const { left, right } = question.options;
  const pairOf = (l) => question.answer.find(([a]) => a === l)?.[1] ?? 0;
  const leftList = optionList(left, {
    rerender,
    marker: (l) => el('span', { class: 'order-number', text: String.fromCharCode(65 + l) }),
    onAdd: () => question.answer.push([left.length - 1, 0]), // paired with 1 until chosen
    onRemove: (removed) => {
      question.answer = question.answer.filter(([a]) => a !== removed).map(([a, b]) => [a > removed ? a - 1 : a, b]);
    },
  });
  const rightList = optionList(right, {
    rerender,
    marker: (r) => el('span', { class: 'order-number', text: String(r + 1) }),
    onRemove: (removed) => {
      question.answer = question.answer.map(([a, b]) => [a, b === removed ? 0 : b > removed ? b - 1 : b]);
    },
  });
  const choose = (l) => (event) => {
    const r = Number(event.target.value);
    question.answer = [...question.answer.filter(([a]) => a !== l), [l, r]].sort((a, b) => a[0] - b[0]);
    changed();
  };
  const pairs = el('ol', { class: 'match-pairs' }, left.map((item, l) => el('li', { class: 'option-row' },
    el('span', { class: 'order-number', text: String.fromCharCode(65 + l) }),
    el('span', { class: 'match-left', text: item || `${t.option} ${l + 1}` }),
    el('span', { class: 'muted', text: t.pairsWith }),
    el('select', { 'aria-label': `${t.pairsWith}: ${String.fromCharCode(65 + l)}`, on: { change: choose(l) } },
      right.map((text, r) => el('option', { value: String(r), text: `${r + 1}. ${text}`, selected: pairOf(l) === r }))))));
  // Typing an item updates the pair menus at once (their structure changes only on add/remove).
  const refreshLabels = () => {
    pairs.querySelectorAll('.match-left').forEach((span, l) => { span.textContent = left[l] || `${t.option} ${l + 1}`; });
    for (const select of pairs.querySelectorAll('select')) {
      [...select.options].forEach((option, r) => { option.textContent = `${r + 1}. ${right[r]}`; });
    }
  };
  leftList.addEventListener('input', refreshLabels);
  rightList.addEventListener('input', refreshLabels);
  return el('div', { class: 'match-editor stack-sm' },
    el('div', { class: 'match-columns' },
      el('div', {}, el('p', { class: 'field-label', text: t.left }), leftList),
      el('div', {}, el('p', { class: 'field-label', text: t.rightColumn }), rightList)),
    el('p', { class: 'field-label match-pairs-title', text: t.pairs }),
    pairs);
}
