// The lesson editor: metadata, blocks of every kind (add, edit, reorder by drag or by
// buttons, delete), uploads, a live Markdown preview, autosave with the revision
// (a 409 stops saving and says so), and publishing.
//
// This module holds the metadata form and the list of blocks (add, move, remove, drag); the
// parts are in editor_saving.js (the lesson and its saving), editor_dom.js (element helpers),
// editor_text_and_files.js and editor_quiz.js (the editors of the block kinds).

import { el, field, iconButton } from '/static/js/lessons/editor_dom.js';
import { newQuestion, optionList, quizEditor } from '/static/js/lessons/editor_quiz.js';
import { changed, state, t } from '/static/js/lessons/editor_saving.js';
import { assetPicker, textEditor } from '/static/js/lessons/editor_text_and_files.js';

const list = document.querySelector('[data-blocks]');

function newId() {
  const bytes = crypto.getRandomValues(new Uint8Array(8));
  return btoa(String.fromCharCode(...bytes)).replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '');
}

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
      return quizEditor(block, renderBlocks);
    case 'poll':
      return [
        field(t.pollPrompt, el('input', { value: block.prompt, maxlength: '2000', on: { input: (e) => { block.prompt = e.target.value; changed(); } } })),
        optionList(block.options, { rerender: renderBlocks }),
      ];
    case 'whiteboard':
      return [el('p', { class: 'muted', text: t.whiteboardHint }), assetPicker(block, 'background', t.uploadBackground, 'image/*', renderBlocks)];
    default:
      return el('pre', { text: JSON.stringify(block, null, 2) });
  }
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
