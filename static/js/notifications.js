// The bell on every page (#notif-bell, the unread count in #notif-count), kept live by
// Server-Sent Events from /api/v1/notifications/stream: `unread` {unread} on connect, then
// `notification` {id, kind, title, url, at, read, pupil_id, unread} for each new one.
// On /notifications a new one is also added on top of the list.

import { toast } from '/static/js/app.js';

const STREAM = '/api/v1/notifications/stream';

function showCount(count) {
  const badge = document.getElementById('notif-count');
  if (!badge) return;
  const n = Number(count) || 0;
  badge.textContent = n > 99 ? '99+' : String(n);
  badge.hidden = n === 0;
  document.getElementById('notif-bell')?.classList.toggle('has-unread', n > 0);
}

function addToList(item) {
  const list = document.getElementById('notif-list');
  if (!list || list.querySelector(`[data-id="${item.id}"]`)) return;
  list.querySelector('.empty-state')?.remove();
  const row = document.createElement('li');
  row.className = 'notif-item is-unread';
  row.dataset.id = String(item.id);
  const link = document.createElement('a');
  link.className = 'notif-link';
  link.href = `/notifications/${item.id}/open`;
  const title = document.createElement('span');
  title.className = 'notif-title';
  title.textContent = item.title;
  const when = document.createElement('time');
  when.className = 'notif-time muted';
  when.dateTime = item.at;
  when.textContent = new Date(item.at).toLocaleString(document.documentElement.lang || undefined, {
    dateStyle: 'short',
    timeStyle: 'short',
  });
  link.append(title, when);
  row.append(link);
  list.prepend(row);
}

function connect() {
  if (!document.getElementById('notif-bell') || typeof EventSource === 'undefined') return;
  const source = new EventSource(STREAM);
  source.addEventListener('unread', (event) => {
    showCount(JSON.parse(event.data).unread);
    document.getElementById('notif-bell')?.setAttribute('data-live', '');
  });
  source.addEventListener('notification', (event) => {
    const item = JSON.parse(event.data);
    showCount(item.unread);
    addToList(item);
    if (!document.getElementById('notif-list')) toast(item.title, 'info');
  });
  // The browser reconnects by itself after a network error; a 401 (signed out) ends it.
  source.addEventListener('error', () => {
    document.getElementById('notif-bell')?.removeAttribute('data-live');
    if (source.readyState === EventSource.CLOSED) showCount(0);
  });
  window.addEventListener('pagehide', () => source.close());
}

connect();
