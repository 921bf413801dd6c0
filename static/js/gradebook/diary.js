// The diary's calendar link: make a new secret link (shown once), copy it, revoke it.

import { api } from '/static/js/api.js';
import { toast } from '/static/js/app.js';
import { showDiaryAssignments } from '/static/js/classwork/diary_assignments.js';

function setUp(card) {
  const pupilId = card.dataset.pupilId;
  const status = card.querySelector('#feed-status');
  const field = card.querySelector('#feed-url-field');
  const input = card.querySelector('#feed-url');
  const create = card.querySelector('#feed-create');
  const revoke = card.querySelector('#feed-revoke');
  const copy = card.querySelector('#feed-copy');

  const show = (active, url = '') => {
    status.textContent = active ? status.dataset.activeText : status.dataset.noneText;
    create.dataset.hasFeed = active ? 'yes' : 'no';
    revoke.hidden = !active;
    field.hidden = !url;
    copy.hidden = !url;
    input.value = url;
  };

  create.addEventListener('click', async () => {
    if (create.dataset.hasFeed === 'yes' && !window.confirm(create.dataset.confirmReplace)) return;
    try {
      const link = await api('POST', `/diary/${pupilId}/feed`);
      show(true, link.url);
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
showDiaryAssignments(document.querySelector('.diary-week'));
