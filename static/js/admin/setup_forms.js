// The set-up pages' forms, sent to the JSON API instead of posted back to the page.
//
// A form with data-api="METHOD /path/{field}" is sent as JSON to /api/v1/path, with
// {field} filled from the form's own field. Fields become JSON by their kind: a number
// input or data-json="int" → a number, data-json="bool" → true for "1", checkboxes with
// data-json="list" → a list of the checked values as numbers; empty fields are left out.
// The API's errors appear next to the field they name (details[].loc) or, when they name
// none, in the form's [data-form-error] box; the first one gets the focus. On success the
// page reloads (it is rendered by the server) and says data-done in a toast.
// Without this module the same forms post to the page, which runs the same services.

import { api } from '/static/js/api.js';
import { toast } from '/static/js/app.js';

const NOTICE_KEY = 'eschool-setup-notice';
const SKIP = new Set(['csrf_token', 'action']);

function payload(form) {
  const body = {};
  for (const el of form.elements) {
    if (!el.name || el.disabled || SKIP.has(el.name) || el.type === 'submit' || el.type === 'button') continue;
    const kind = el.dataset.json || (el.type === 'number' ? 'number' : 'text');
    if (el.type === 'checkbox') {
      if (kind === 'list') {
        body[el.name] ??= [];
        if (el.checked) body[el.name].push(Number(el.value));
      } else {
        body[el.name] = el.checked;
      }
      continue;
    }
    if (el.type === 'radio' && !el.checked) continue;
    const raw = el.value.trim();
    if (raw === '') continue;
    if (kind === 'number' || kind === 'int') body[el.name] = Number(raw);
    else if (kind === 'bool') body[el.name] = raw === '1' || raw === 'true';
    else body[el.name] = raw;
  }
  return body;
}

function target(form, submitter) {
  const spec = submitter?.dataset.api || form.dataset.api;
  const [method, path] = spec.split(/\s+/, 2);
  const filled = path.replace(/\{(\w+)\}/g, (_, name) => encodeURIComponent(form.elements[name]?.value ?? ''));
  return { method, path: filled };
}

function clearErrors(form) {
  for (const note of form.querySelectorAll('.field-error[data-js]')) note.remove();
  for (const field of form.querySelectorAll('.field.has-error')) {
    field.classList.remove('has-error');
    for (const input of field.querySelectorAll('[aria-invalid]')) {
      input.removeAttribute('aria-invalid');
      const ids = (input.getAttribute('aria-describedby') || '').split(' ').filter((id) => id && !id.endsWith('-error'));
      if (ids.length) input.setAttribute('aria-describedby', ids.join(' '));
      else input.removeAttribute('aria-describedby');
    }
    for (const note of field.querySelectorAll('.field-error')) note.remove();
  }
  const box = form.querySelector('[data-form-error]');
  if (box) {
    box.hidden = true;
    box.textContent = '';
  }
}

function fieldFor(form, loc) {
  // The last part of the location that names a field of this form: ["teacher_ids", "0"] → teacher_ids.
  for (const part of [...(loc || [])].reverse()) {
    const field = form.querySelector(`[data-field="${CSS.escape(String(part))}"]`);
    if (field) return field;
  }
  return null;
}

function showFieldError(field, message) {
  if (field.classList.contains('has-error')) return null;
  field.classList.add('has-error');
  const input = field.querySelector('input:not([type=hidden]), select, textarea');
  const note = document.createElement('p');
  note.className = 'field-error';
  note.dataset.js = '';
  note.id = `${input?.id || field.dataset.field}-error-${Math.random().toString(36).slice(2, 8)}`;
  note.textContent = message;
  field.append(note);
  if (input) {
    input.setAttribute('aria-invalid', 'true');
    const ids = (input.getAttribute('aria-describedby') || '').split(' ').filter(Boolean);
    input.setAttribute('aria-describedby', [...ids, note.id].join(' '));
  }
  return input || note;
}

function showError(form, error) {
  clearErrors(form);
  let first = null;
  for (const detail of Array.isArray(error.details) ? error.details : []) {
    const field = fieldFor(form, detail?.loc);
    if (!field) continue;
    const focusable = showFieldError(field, detail.message || error.message);
    first ??= focusable;
  }
  if (!first) {
    const box = form.querySelector('[data-form-error]');
    if (box) {
      box.textContent = error.message;
      box.hidden = false;
      first = box;
    } else {
      toast(error.message, 'error');
    }
  }
  first?.focus();
}

async function submit(form, submitter) {
  const { method, path } = target(form, submitter);
  const busy = submitter || form.querySelector('button:not([type=button])');
  busy?.setAttribute('aria-busy', 'true');
  if (busy) busy.disabled = true;
  try {
    await api(method, path, method === 'DELETE' ? undefined : payload(form));
  } catch (error) {
    showError(form, error);
    return;
  } finally {
    busy?.removeAttribute('aria-busy');
    if (busy) busy.disabled = false;
  }
  sessionStorage.setItem(NOTICE_KEY, submitter?.dataset.done || form.dataset.done || '✓');
  const next = form.dataset.next || window.location.pathname + window.location.search.replace(/[?&]done=1/, '');
  window.location.assign(next);
}

document.addEventListener('submit', (event) => {
  const form = event.target.closest('form[data-api]');
  if (!form || event.defaultPrevented) return;
  if (event.submitter?.dataset.api === '') return; // a button that posts the page itself
  event.preventDefault();
  submit(form, event.submitter);
});

// A change that was saved before the page reloaded says so once.
const notice = sessionStorage.getItem(NOTICE_KEY);
if (notice) {
  sessionStorage.removeItem(NOTICE_KEY);
  toast(notice, 'success');
}
