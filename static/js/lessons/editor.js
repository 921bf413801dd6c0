// The lesson editor: metadata, blocks of every kind (add, edit, reorder by drag or by
// buttons, delete), uploads, a live Markdown preview, autosave with the revision
// (a 409 stops saving and says so), and publishing.
import { api, upload } from '/static/js/api.js';
import { toast } from '/static/js/app.js';
import { fill, readJson } from '/static/js/dom.js';
import { typesetMath } from '/static/js/lessons/math.js';

const AUTOSAVE_MS = 1200;
const PREVIEW_MS = 400;
const t = readJson('editor-strings');
const loaded = readJson('lesson-data');
const assets = readJson('asset-data');

const state = {
  id: loaded?.id ?? null,
  revision: loaded?.revision ?? null,
  meta: {
    title: loaded?.title ?? '',
    summary: loaded?.summary ?? '',
    subject: loaded?.subject ?? '',
    grades: loaded?.grades ?? [],
    tags: loaded?.tags ?? [],
    language: loaded?.language ?? document.querySelector('[data-meta]')?.dataset.defaultLanguage ?? 'ru',
    licence: loaded?.licence ?? 'CC-BY-SA-4.0',
  },
  blocks: (loaded?.blocks ?? []).map(fromServer),
};

const list = document.querySelector('[data-blocks]');
const statusLine = document.querySelector('[data-save-status]');
const conflictBox = document.querySelector('[data-conflict]');

// --- small DOM helpers ---------------------------------------------------------------

const PROPERTIES = new Set(['value', 'checked', 'selected', 'disabled', 'draggable', 'controls']);

function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') node.className = value;
    else if (key === 'text') node.textContent = value;
    else if (key === 'on') for (const [name, fn] of Object.entries(value)) node.addEventListener(name, fn);
    else if (key === 'dataset') Object.assign(node.dataset, value);
    else if (PROPERTIES.has(key)) node[key] = value;
    else node.setAttribute(key, value === true ? '' : value);
  }
  node.append(...children.flat().filter((child) => child !== null && child !== undefined && child !== false));
  return node;
}

let fieldCounter = 0;
function field(labelText, control, hint) {
  const id = control.id || `f${++fieldCounter}`;
  control.id = id;
  return el('div', { class: 'field' }, el('label', { for: id, text: labelText }), control, hint ? el('p', { class: 'field-hint', text: hint }) : null);
}

function iconButton(label, symbol, onClick, extraClass = '') {
  return el('button', {
    type: 'button',
    class: `btn btn-sm btn-ghost ${extraClass}`.trim(),
    'aria-label': label,
    title: label,
    text: symbol,
    on: { click: onClick },
  });
}

function newId() {
  const bytes = crypto.getRandomValues(new Uint8Array(8));
  return btoa(String.fromCharCode(...bytes)).replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '');
}

// --- the state <-> the API ----------------------------------------------------------

function fromServer(block) {
  const copy = structuredClone(block);
  delete copy.html;
  if (copy.kind === 'quiz') {
    for (const question of copy.questions) {
      if (question.kind === 'order') question.correct = question.answer.map((index) => question.options[index]);
    }
  }
  return copy;
}

// A permutation of 0..n-1 fixed by the seed, never the identity when n > 1: how an
// "order" question's items are shown (the editor keeps them in the right order).
function shownOrder(count, seed) {
  let hash = 2166136261;
  for (const char of seed) hash = Math.imul(hash ^ char.charCodeAt(0), 16777619) >>> 0;
  const order = [...Array(count).keys()];
  for (let i = count - 1; i > 0; i -= 1) {
    hash = Math.imul(hash ^ (hash >>> 15), 2246822507) >>> 0;
    const j = hash % (i + 1);
    [order[i], order[j]] = [order[j], order[i]];
  }
  if (count > 1 && order.every((value, index) => value === index)) order.push(order.shift());
  return order;
}

function questionToServer(question, seed) {
  const { correct, ...rest } = question;
  if (question.kind !== 'order') return rest;
  const items = correct ?? [];
  const order = shownOrder(items.length, seed);
  const options = order.map((index) => items[index]);
  const answer = items.map((_, right) => order.indexOf(right));
  return { ...rest, options, answer };
}

function serialize() {
  return {
    ...state.meta,
    blocks: state.blocks.map((block) => {
      if (block.kind !== 'quiz') return block;
      return { ...block, questions: block.questions.map((q, i) => questionToServer(q, `${block.id}:${i}`)) };
    }),
  };
}

// --- saving ---------------------------------------------------------------------------

let dirty = false;
let timer = null;
let inFlight = null;
let stopped = false;

function setStatus(text, kind = '') {
  statusLine.textContent = text;
  statusLine.dataset.state = kind;
}

function changed() {
  if (stopped) return;
  dirty = true;
  setStatus(t.unsaved, 'pending');
  clearTimeout(timer);
  timer = setTimeout(save, AUTOSAVE_MS);
}

const LOCATION_WORDS = { blocks: 'block', questions: 'questionN', options: 'optionN' };

// "blocks.1.questions.0.options.2: must not be blank" → "Block 2, question 1, option 3: …"
function describe(error) {
  const detail = Array.isArray(error.details) ? error.details[0] : null;
  if (!detail) return error.message;
  const loc = detail.loc ?? [];
  const words = [];
  for (let i = 0; i < loc.length; i += 1) {
    const word = LOCATION_WORDS[loc[i]];
    const position = Number(loc[i + 1]);
    if (word && Number.isInteger(position)) {
      words.push(`${t[word]} ${position + 1}`);
      i += 1;
    }
  }
  const message = loc.includes('asset') ? t.noFile : detail.message; // a block still without its file
  return words.length ? `${words.join(', ')}: ${message}` : message;
}

/** Save now if there are changes; resolves to true when everything is saved. */
async function save() {
  clearTimeout(timer);
  if (stopped) return false;
  if (inFlight) {
    await inFlight;
    if (stopped) return false;
  }
  if (!dirty) return true;
  if (!state.meta.title.trim()) {
    setStatus(t.needTitle, 'warning');
    return false;
  }
  dirty = false;
  const body = serialize();
  setStatus(t.saving, 'pending');
  inFlight = (async () => {
    try {
      const saved = state.id === null
        ? await api('POST', '/lessons', body)
        : await api('PUT', `/lessons/${state.id}`, { ...body, revision: state.revision });
      if (state.id === null) adoptNewLesson(saved.id);
      state.revision = saved.revision;
      setStatus(dirty ? t.unsaved : t.saved, dirty ? 'pending' : 'ok');
      if (dirty) timer = setTimeout(save, AUTOSAVE_MS);
      return true;
    } catch (error) {
      dirty = true;
      if (error.status === 409) {
        stopped = true;
        conflictBox.hidden = false;
        conflictBox.scrollIntoView({ block: 'center' });
        setStatus(t.conflict, 'error');
      } else if (error.status === 0) {
        setStatus(t.offline, 'error');
      } else {
        setStatus(`${t.notSaved} ${describe(error)}`, 'error');
      }
      return false;
    } finally {
      inFlight = null;
    }
  })();
  return inFlight;
}

function adoptNewLesson(id) {
  state.id = id;
  history.replaceState(null, '', `/lessons/${id}/edit`);
  for (const [selector, path] of [['[data-view]', `/lessons/${id}`], ['[data-present]', `/lessons/${id}/present`]]) {
    const link = document.querySelector(selector);
    link.href = path;
    link.hidden = false;
  }
}

document.querySelector('[data-save]').addEventListener('click', () => {
  dirty = dirty || state.id === null;
  save();
});
document.querySelector('[data-reload]').addEventListener('click', () => window.location.reload());

document.querySelector('[data-publish]').addEventListener('click', async (event) => {
  const button = event.currentTarget;
  button.disabled = true;
  try {
    if (state.id === null) dirty = true;
    if (!(await save()) || state.id === null) {
      toast(`${t.publishFailed} ${statusLine.textContent}`, 'error');
      return;
    }
    const { version } = await api('POST', `/lessons/${state.id}/publish`);
    const message = fill(t.published, { n: version });
    setStatus(message, 'ok');
    toast(message, 'success');
  } catch (error) {
    toast(`${t.publishFailed} ${describe(error)}`, 'error');
  } finally {
    button.disabled = false;
  }
});

window.addEventListener('beforeunload', (event) => {
  if ((dirty || inFlight) && !stopped) {
    save();
    event.preventDefault();
  }
});

// --- metadata ---------------------------------------------------------------------------

function setUpMeta() {
  const form = document.querySelector('[data-meta]');
  const byName = (name) => form.querySelector(`[name="${name}"]`);
  byName('title').value = state.meta.title;
  byName('summary').value = state.meta.summary;
  byName('subject').value = state.meta.subject;
  byName('tags').value = state.meta.tags.join(', ');
  byName('language').value = state.meta.language;
  if (byName('language').value !== state.meta.language) {
    byName('language').append(el('option', { value: state.meta.language, text: state.meta.language }));
    byName('language').value = state.meta.language;
  }
  byName('licence').value = state.meta.licence;
  for (const box of form.querySelectorAll('[name="grades"]')) box.checked = state.meta.grades.includes(Number(box.value));

  form.addEventListener('input', (event) => {
    const { name, value } = event.target;
    if (name === 'grades') {
      state.meta.grades = [...form.querySelectorAll('[name="grades"]:checked')].map((box) => Number(box.value));
    } else if (name === 'tags') {
      state.meta.tags = value.split(',').map((tag) => tag.trim()).filter(Boolean);
    } else if (name in state.meta) {
      state.meta[name] = value;
    }
    changed();
  });
}

// --- blocks -------------------------------------------------------------------------------

const NEW_BLOCKS = {
  text: () => ({ kind: 'text', text: '' }),
  image: () => ({ kind: 'image', asset: null, alt: '' }),
  video: () => ({ kind: 'video', asset: null }),
  file: () => ({ kind: 'file', asset: null }),
  quiz: () => ({ kind: 'quiz', questions: [newQuestion('single')] }),
  poll: () => ({ kind: 'poll', prompt: '', options: ['', ''] }),
  whiteboard: () => ({ kind: 'whiteboard', background: null }),
};

function newQuestion(kind, from = {}) {
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

document.querySelector('[data-add-block]').addEventListener('click', (event) => {
  const button = event.target.closest('[data-add]');
  if (!button) return;
  const block = { id: newId(), ...NEW_BLOCKS[button.dataset.add]() };
  state.blocks.push(block);
  renderBlocks();
  changed();
  const added = list.lastElementChild;
  added?.scrollIntoView({ block: 'center', behavior: 'smooth' });
  added?.querySelector('textarea, input:not([type="file"])')?.focus({ preventScroll: true });
});

function move(index, delta) {
  const target = index + delta;
  if (target < 0 || target >= state.blocks.length) return;
  const [block] = state.blocks.splice(index, 1);
  state.blocks.splice(target, 0, block);
  renderBlocks();
  changed();
  list.children[target]?.querySelector(delta < 0 ? '[data-move="up"]' : '[data-move="down"]')?.focus();
}

function renderBlocks() {
  list.replaceChildren(...state.blocks.map((block, index) => blockCard(block, index)));
}

function blockCard(block, index) {
  const last = state.blocks.length - 1;
  const header = el(
    'div',
    { class: 'card-header block-editor-header' },
    el('span', { class: 'drag-handle', title: t.drag, 'aria-hidden': 'true', text: '⠿' }),
    el('h3', { text: `${index + 1}. ${t.kinds[block.kind] ?? block.kind}` }),
    el(
      'div',
      { class: 'block-tools' },
      el('button', { type: 'button', class: 'btn btn-sm btn-ghost', 'aria-label': t.moveUp, title: t.moveUp, text: '↑', disabled: index === 0, dataset: { move: 'up' }, on: { click: () => move(index, -1) } }),
      el('button', { type: 'button', class: 'btn btn-sm btn-ghost', 'aria-label': t.moveDown, title: t.moveDown, text: '↓', disabled: index === last, dataset: { move: 'down' }, on: { click: () => move(index, 1) } }),
      iconButton(t.remove, '✕', () => {
        if (!window.confirm(t.confirmRemove)) return;
        state.blocks.splice(index, 1);
        renderBlocks();
        changed();
      }, 'btn-danger-ghost'),
    ),
  );
  const card = el('li', { class: `card block-editor block-editor-${block.kind}`, dataset: { index: String(index) } }, header, el('div', { class: 'card-body' }, blockBody(block)));
  setUpDrag(card, header.querySelector('.drag-handle'), index);
  return card;
}

function blockBody(block) {
  switch (block.kind) {
    case 'text':
      return textEditor(block);
    case 'image':
      return [
        assetPicker(block, 'asset', t.uploadPicture, 'image/*'),
        field(t.alt, el('input', { value: block.alt ?? '', maxlength: '500', on: { input: (e) => { block.alt = e.target.value; changed(); } } })),
      ];
    case 'video':
      return assetPicker(block, 'asset', t.uploadVideo, 'video/*,audio/*');
    case 'file':
      return assetPicker(block, 'asset', t.uploadFile, '.pdf,application/pdf,image/*,audio/*,video/*');
    case 'quiz':
      return quizEditor(block);
    case 'poll':
      return [
        field(t.pollPrompt, el('input', { value: block.prompt, maxlength: '2000', on: { input: (e) => { block.prompt = e.target.value; changed(); } } })),
        optionList(block.options, { rerender: renderBlocks }),
      ];
    case 'whiteboard':
      return [el('p', { class: 'muted', text: t.whiteboardHint }), assetPicker(block, 'background', t.uploadBackground, 'image/*', true)];
    default:
      return el('pre', { text: JSON.stringify(block, null, 2) });
  }
}

// Text with a live preview rendered by the server, exactly as the lesson will show it.
function textEditor(block) {
  const preview = el('div', { class: 'prose text-preview', 'aria-live': 'polite' });
  let previewTimer = null;
  const refresh = async () => {
    if (!block.text.trim()) {
      preview.replaceChildren(el('p', { class: 'muted', text: t.emptyPreview }));
      return;
    }
    try {
      const { html } = await api('POST', '/lessons/preview', { text: block.text });
      preview.innerHTML = html; // sanitized by the server
      typesetMath(preview);
    } catch {
      // the preview is a convenience; saving reports real problems
    }
  };
  const textarea = el('textarea', {
    class: 'markdown-input',
    rows: '8',
    value: block.text,
    on: {
      input: (event) => {
        block.text = event.target.value;
        changed();
        clearTimeout(previewTimer);
        previewTimer = setTimeout(refresh, PREVIEW_MS);
      },
    },
  });
  refresh();
  return el('div', { class: 'text-editor' }, field(t.markdown, textarea, t.markdownHint), el('div', { class: 'field' }, el('span', { class: 'field-label', text: t.preview }), preview));
}

function assetPreview(block, key) {
  const id = block[key];
  if (!id) return el('p', { class: 'muted', text: t.noFile });
  const info = assets[id] ?? {};
  const url = `/assets/${id}`;
  const mime = info.mime ?? '';
  if (block.kind === 'image' || key === 'background' || mime.startsWith('image/')) {
    return el('img', { class: 'asset-preview', src: url, alt: block.alt ?? '' });
  }
  if (mime.startsWith('audio/')) return el('audio', { controls: true, src: url, preload: 'metadata' });
  if (block.kind === 'video') return el('video', { class: 'asset-preview', controls: true, src: url, preload: 'metadata' });
  return el('a', { href: url, download: info.filename || true, text: info.filename || id.slice(0, 12) });
}

function assetPicker(block, key, label, accept, removable = false) {
  const holder = el('div', { class: 'asset-holder' }, assetPreview(block, key));
  const input = el('input', { type: 'file', accept, class: 'sr-only' });
  const button = el('label', { class: 'btn btn-secondary', text: label });
  const inputId = `upload-${block.id}-${key}`;
  input.id = inputId;
  button.setAttribute('for', inputId);
  input.addEventListener('change', async () => {
    const file = input.files?.[0];
    if (!file) return;
    const form = new FormData();
    form.append('file', file);
    button.textContent = t.uploading;
    try {
      const info = await upload('/assets', form);
      assets[info.id] = info;
      block[key] = info.id;
      holder.replaceChildren(assetPreview(block, key));
      toast(t.uploaded, 'success');
      changed();
    } catch (error) {
      toast(`${t.uploadFailed} ${error.message}`, 'error');
    } finally {
      button.textContent = label;
      input.value = '';
    }
  });
  const tools = el('div', { class: 'row' }, button, input);
  if (removable && block[key]) {
    tools.append(el('button', { type: 'button', class: 'btn btn-ghost', text: t.removeBackground, on: { click: () => { block[key] = null; renderBlocks(); changed(); } } }));
  }
  return el('div', { class: 'asset-picker stack-sm' }, holder, tools);
}

// A list of text options with add/remove. `marker(index)` may put a control before each;
// `onRemove(index)` and `onAdd()` keep answer keys in step before the list re-renders.
function optionList(options, { rerender, marker = null, onRemove = null, onAdd = null }) {
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

function quizEditor(block) {
  const rerender = () => renderBlocks();
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

// --- drag and drop -----------------------------------------------------------------------

let dragFrom = null;

function setUpDrag(card, handle, index) {
  // The handle is the drag source (touch screens use the ↑ ↓ buttons instead).
  handle.draggable = true;
  handle.addEventListener('dragstart', (event) => {
    dragFrom = index;
    card.classList.add('is-dragging');
    event.dataTransfer.effectAllowed = 'move';
    event.dataTransfer.setData('text/plain', String(index));
    event.dataTransfer.setDragImage(card, 24, 24);
  });
  handle.addEventListener('dragend', () => {
    dragFrom = null;
    card.classList.remove('is-dragging');
    for (const item of list.children) item.classList.remove('drop-before', 'drop-after');
  });
  card.addEventListener('dragover', (event) => {
    if (dragFrom === null) return;
    event.preventDefault();
    const box = card.getBoundingClientRect();
    const after = event.clientY > box.top + box.height / 2;
    card.classList.toggle('drop-after', after);
    card.classList.toggle('drop-before', !after);
  });
  card.addEventListener('dragleave', () => card.classList.remove('drop-before', 'drop-after'));
  card.addEventListener('drop', (event) => {
    event.preventDefault();
    if (dragFrom === null) return;
    const box = card.getBoundingClientRect();
    let target = index + (event.clientY > box.top + box.height / 2 ? 1 : 0);
    const [block] = state.blocks.splice(dragFrom, 1);
    if (dragFrom < target) target -= 1;
    state.blocks.splice(target, 0, block);
    dragFrom = null;
    renderBlocks();
    changed();
  });
}

setUpMeta();
renderBlocks();
