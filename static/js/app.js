// Behaviour shared by every eschool page. Loaded as a module, so it runs after parsing.
// Other modules may `import { toast } from '/static/js/app.js'` (it is evaluated once).

const TOAST_MS = { info: 5000, success: 4000, warning: 8000, error: 10000 };

/**
 * Show a notification in the #toasts area (bottom right). `kind` is one of
 * 'info', 'success', 'warning', 'error'. It dismisses itself after a few seconds
 * (never while the pointer or focus is on it) or when its × button is pressed.
 * Returns the toast element.
 */
export function toast(message, kind = 'info') {
  const item = document.createElement('div');
  item.className = `toast toast-${kind}`;
  const text = document.createElement('div');
  text.className = 'toast-message';
  text.textContent = message;
  item.append(text);
  if (kind === 'error' || kind === 'warning') item.setAttribute('role', 'alert');
  toastArea().append(item);
  enhanceToast(item, TOAST_MS[kind] ?? TOAST_MS.info);
  return item;
}

function toastArea() {
  let area = document.getElementById('toasts');
  if (!area) {
    area = document.createElement('div');
    area.id = 'toasts';
    document.body.append(area);
  }
  area.setAttribute('aria-live', 'polite');
  return area;
}

function enhanceToast(item, lifetime) {
  if (!item.querySelector('.toast-message')) {
    const text = document.createElement('div');
    text.className = 'toast-message';
    text.append(...item.childNodes);
    item.append(text);
  }
  const close = document.createElement('button');
  close.type = 'button';
  close.className = 'toast-close';
  // The template may translate the label: <div id="toasts" data-dismiss-label="Закрыть">.
  close.setAttribute('aria-label', toastArea().dataset.dismissLabel || 'Dismiss');
  close.textContent = '×';
  close.addEventListener('click', () => dismiss(item));
  item.append(close);

  let timer;
  const start = () => {
    timer = setTimeout(() => dismiss(item), lifetime);
  };
  const stop = () => clearTimeout(timer);
  item.addEventListener('mouseenter', stop);
  item.addEventListener('focusin', stop);
  item.addEventListener('mouseleave', start);
  item.addEventListener('focusout', start);
  start();
}

function dismiss(item) {
  if (item.classList.contains('is-leaving')) return;
  item.classList.add('is-leaving');
  const remove = () => item.remove();
  item.addEventListener('transitionend', remove, { once: true });
  setTimeout(remove, 400); // in case no transition runs (reduced motion, hidden tab)
}

// The phone menu: the button shows and hides the nav (CSS keys off aria-expanded).
function setUpNavToggle() {
  const button = document.querySelector('.nav-toggle');
  if (!button) return;
  button.addEventListener('click', () => {
    const open = button.getAttribute('aria-expanded') !== 'true';
    button.setAttribute('aria-expanded', String(open));
  });
  document.addEventListener('keydown', (event) => {
    if (event.key === 'Escape' && button.getAttribute('aria-expanded') === 'true') {
      button.setAttribute('aria-expanded', 'false');
      button.focus();
    }
  });
}

// Changing the language submits its form at once.
function setUpLanguageSelect() {
  for (const select of document.querySelectorAll('.lang-select')) {
    select.addEventListener('change', () => select.form?.requestSubmit());
  }
}

// data-confirm="Question?" on a button, a link or a form asks before going ahead.
function setUpConfirmations() {
  document.addEventListener(
    'click',
    (event) => {
      const trigger = event.target.closest('button[data-confirm], a[data-confirm], input[data-confirm]');
      if (trigger && !window.confirm(trigger.dataset.confirm)) {
        event.preventDefault();
        event.stopImmediatePropagation();
      }
    },
    { capture: true },
  );
  document.addEventListener(
    'submit',
    (event) => {
      const form = event.target;
      if (!form.dataset.confirm || event.submitter?.dataset.confirm) return;
      if (!window.confirm(form.dataset.confirm)) {
        event.preventDefault();
        event.stopImmediatePropagation();
      }
    },
    { capture: true },
  );
}

// Focus the [autofocus] field only where there is a real keyboard and mouse: on
// tablets and phones focusing would pop the on-screen keyboard over the page.
function setUpAutofocus() {
  const touch = navigator.maxTouchPoints > 0 || window.matchMedia('(pointer: coarse)').matches;
  if (touch) return;
  const field = document.querySelector('[autofocus], [data-autofocus]');
  if (field && (document.activeElement === document.body || !document.activeElement)) {
    field.focus();
  }
}

// Toasts rendered by the server (flash messages) get the same close button and timer.
function setUpServerToasts() {
  for (const item of document.querySelectorAll('#toasts .toast')) {
    const kind = ['error', 'warning', 'success'].find((k) => item.classList.contains(`toast-${k}`));
    enhanceToast(item, TOAST_MS[kind ?? 'info']);
  }
}

function init() {
  setUpNavToggle();
  setUpLanguageSelect();
  setUpConfirmations();
  setUpAutofocus();
  setUpServerToasts();
}

if (document.readyState === 'loading') {
  document.addEventListener('DOMContentLoaded', init, { once: true });
} else {
  init();
}
