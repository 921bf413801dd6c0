// The lesson page: publish, copy, archive, and showing quiz answers (teachers).
import { api } from '/static/js/api.js';
import { toast } from '/static/js/app.js';
import { fill, readJson } from '/static/js/dom.js';
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
  assign() {
    openAssignDialog();
  },
  answers(button) {
    const block = button.closest('.lesson-block');
    const shown = block.classList.toggle('show-answers');
    button.setAttribute('aria-pressed', String(shown));
    button.textContent = shown ? strings.hide : strings.show;
  },
};

// "Assign as homework": a course the teacher teaches, a due date, attempts, auto-marking.
const assignDialog = document.getElementById('assign-dialog');
const assignForm = document.getElementById('assign-form');
let coursesLoaded = false;

function isoDay(date) {
  const local = new Date(date.getTime() - date.getTimezoneOffset() * 60000);
  return local.toISOString().slice(0, 10);
}

async function loadCourses() {
  const select = assignForm.course;
  try {
    const { items } = await api('GET', assignDialog.dataset.courses || '/courses?teacher=me');
    const mine = items.filter((course) => course.access === 'write');
    select.replaceChildren(new Option(mine.length ? strings.choose_course : strings.no_courses, ''));
    for (const course of mine) select.append(new Option(`${course.class.name} · ${course.subject.name}`, course.id));
    if (mine.length === 1) select.value = String(mine[0].id);
    coursesLoaded = true;
  } catch (error) {
    select.replaceChildren(new Option(error.message, ''));
  }
}

function openAssignDialog() {
  if (!assignDialog) return;
  const today = new Date();
  assignForm.due.min = isoDay(today);
  if (!assignForm.due.value) assignForm.due.value = isoDay(new Date(today.getTime() + 7 * 86400000));
  document.getElementById('assign-error').hidden = true;
  assignDialog.showModal();
  if (!coursesLoaded) loadCourses();
}

assignForm?.addEventListener('submit', async (event) => {
  if (event.submitter?.value !== 'assign') return;
  event.preventDefault();
  const problem = document.getElementById('assign-error');
  const button = document.getElementById('assign-submit');
  const course = assignForm.course.selectedOptions[0]?.textContent ?? '';
  button.disabled = true;
  try {
    const made = await api('POST', '/assignments', {
      lesson_id: Number(lessonId),
      course_id: Number(assignForm.course.value),
      due: `${assignForm.due.value}T23:59`, // the end of that day, school time
      attempts: Number(assignForm.attempts.value),
      auto_mark: assignForm.auto_mark.checked,
    });
    assignDialog.close();
    const done = document.getElementById('assign-done');
    const link = document.createElement('a');
    link.href = `/assignments/${made.id}`;
    link.textContent = strings.see_assignment;
    const when = new Date(`${assignForm.due.value}T12:00:00`).toLocaleDateString(document.documentElement.lang || 'en', {
      day: 'numeric',
      month: 'long',
    });
    done.replaceChildren(`${fill(strings.assigned, { course, due: when })}. `, link);
    done.hidden = false;
    toast(fill(strings.assigned, { course, due: when }), 'success');
  } catch (error) {
    problem.textContent = error.message;
    problem.hidden = false;
  } finally {
    button.disabled = false;
  }
});

document.addEventListener('click', (event) => {
  const button = event.target.closest('[data-action]');
  if (!button) return;
  const handler = handlers[button.dataset.action];
  if (handler) handler(button);
});

typesetMath(document.querySelector('.lesson-main'));
