// The lesson page: publish, copy, archive, and showing quiz answers (teachers).
import { api } from '/static/js/api.js';
import { toast } from '/static/js/app.js';
import { fill, readJson } from '/static/js/lessons/strings.js';
import { typesetMath } from '/static/js/lessons/math.js';

const strings = readJson('lesson-strings');
const actions = document.querySelector('[data-lesson-id]');
const lessonId = actions?.dataset.lessonId;

async function run(button, work) {
  button.disabled = true;
  try {
    await work();
  } catch (error) {
    toast(`${strings.failed} ${error.message}`, 'error');
    button.disabled = false;
  }
}

const handlers = {
  async publish(button) {
    await run(button, async () => {
      const { version } = await api('POST', `/lessons/${lessonId}/publish`);
      toast(fill(strings.published, { n: version }), 'success');
      window.location.reload();
    });
  },
  async copy(button) {
    await run(button, async () => {
      const copy = await api('POST', `/lessons/${lessonId}/copy`);
      toast(strings.copied, 'success');
      window.location.assign(`/lessons/${copy.id}/edit`);
    });
  },
  async archive(button) {
    await run(button, async () => {
      await api('DELETE', `/lessons/${lessonId}`);
      toast(strings.archived, 'success');
      window.location.assign('/lessons?author=me');
    });
  },
  answers(button) {
    const block = button.closest('.lesson-block');
    const shown = block.classList.toggle('show-answers');
    button.setAttribute('aria-pressed', String(shown));
    button.textContent = shown ? strings.hide : strings.show;
  },
};

document.addEventListener('click', (event) => {
  const button = event.target.closest('[data-action]');
  if (!button) return;
  const handler = handlers[button.dataset.action];
  if (handler) handler(button);
});

typesetMath(document.querySelector('.lesson-main'));
