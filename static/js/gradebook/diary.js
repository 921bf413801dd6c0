// The diary: "new since your last visit" stays until the reader marks it as seen or leaves the
// diary; the calendar link: make a new secret link (shown once), copy it, revoke it.

import { api, csrfToken } from '/static/js/api.js';
import { toast } from '/static/js/app.js';
import { showDiaryAssignments } from '/static/js/classwork/diary_assignments.js';
import { el } from '/static/js/dom.js';

// The news is seen up to the moment the page showed it (news arriving meanwhile stays new).
// Another week, term or child, or another language, keeps it; leaving the diary (another
// page, closing the tab) sends a beacon: it can't carry headers, so the CSRF token rides in
// a form body.
function setUpNews(card) {
  const seenPath = `/diary/${card.dataset.pupilId}/seen?at=${encodeURIComponent(card.dataset.shownAt)}`;
  const button = card.querySelector('[data-news-seen]');
  let pending = card.dataset.hasNews === 'yes';
  let staying = false;

  const cleared = () => {
    pending = false;
    const body = card.querySelector('[data-news-body]');
    body.replaceChildren(el('p', { class: 'muted', text: body.dataset.nothing }));
    button?.remove();
  };

  button?.addEventListener('click', async () => {
    button.disabled = true;
    try {
      await api('POST', seenPath);
      cleared();
      card.querySelector('[data-news-body]').focus();
    } catch (error) {
      button.disabled = false;
      toast(error.message, 'error');
    }
  });

  document.addEventListener('click', (event) => {
    const link = event.target.closest('a[href]');
    if (!link || event.defaultPrevented || event.button !== 0) return;
    if (event.ctrlKey || event.metaKey || event.shiftKey || event.altKey || link.target) return;
    const url = new URL(link.href, window.location.href);
    if (url.origin === window.location.origin && url.pathname === '/diary') staying = true;
  });
  document.addEventListener('submit', (event) => {
    if (!event.defaultPrevented && event.target.closest('.lang-form')) staying = true;
  });
  window.addEventListener('pageshow', (event) => {
    if (event.persisted) staying = false;
  });
  window.addEventListener('pagehide', () => {
    if (!pending || staying) return;
    pending = false;
    navigator.sendBeacon(`/api/v1${seenPath}`, new URLSearchParams({ csrf_token: csrfToken() }));
  });
}

function setUp(card) {
  const pupilId = card.dataset.pupilId;
  const status = card.querySelector('#feed-status');
  const field = card.querySelector('#feed-url-field');
  const input = card.querySelector('#feed-url');
  const create = card.querySelector('#feed-create');
  const revoke = card.querySelector('#feed-revoke');
  const copy = card.querySelector('#feed-copy');
  const webcal = card.querySelector('#feed-webcal');

  // `webcalUrl`: the same link as webcal://, which a phone or desktop opens in its calendar app.
  const show = (active, url = '', webcalUrl = '') => {
    status.textContent = active ? status.dataset.activeText : status.dataset.noneText;
    create.dataset.hasFeed = active ? 'yes' : 'no';
    revoke.hidden = !active;
    field.hidden = !url;
    copy.hidden = !url;
    input.value = url;
    webcal.hidden = !webcalUrl;
    webcal.href = webcalUrl || '#';
  };

  create.addEventListener('click', async () => {
    if (create.dataset.hasFeed === 'yes' && !window.confirm(create.dataset.confirmReplace)) return;
    try {
      const link = await api('POST', `/diary/${pupilId}/feed`);
      show(true, link.url, link.webcal);
      input.focus();
      input.select();
    } catch (error) {
      toast(error.message, 'error');
    }
  });

  revoke.addEventListener('click', async () => {
    try {
      await api('DELETE', `/diary/${pupilId}/feed`);
      show(false);
    } catch (error) {
      toast(error.message, 'error');
    }
  });

  copy.addEventListener('click', async () => {
    try {
      await navigator.clipboard.writeText(input.value);
      toast(copy.dataset.copied, 'success');
    } catch {
      input.select();
    }
  });
}

const card = document.querySelector('.diary-feed');
if (card) setUp(card);
const news = document.querySelector('.diary-news');
if (news) setUpNews(news);
showDiaryAssignments(document.querySelector('.diary-week'));
