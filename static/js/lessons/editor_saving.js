// The lesson being edited and its saving: the lesson as loaded and as sent to the API (an
// "order" question's items shuffled by a fixed seed), autosave with the revision (a 409 stops
// saving and says so), the Save, Reload and Publish buttons, and the save status line.

import { api } from '/static/js/api.js';
import { toast } from '/static/js/app.js';
import { fill, readJson } from '/static/js/dom.js';

const AUTOSAVE_MS = 1200;
export const t = readJson('editor-strings');
const loaded = readJson('lesson-data');

export const state = {
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

const statusLine = document.querySelector('[data-save-status]');
const conflictBox = document.querySelector('[data-conflict]');

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

export function changed() {
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
