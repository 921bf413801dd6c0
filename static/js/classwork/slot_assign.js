// The journal's slot panel: the library lessons set as homework for this lesson, and a small
// form to set one (a published lesson, a due date, attempts, auto-marking) with `slot_id`.

import { api } from '/static/js/api.js';
import { toast } from '/static/js/app.js';
import { el, fill } from '/static/js/dom.js';

const DAY_MS = 86400000;
const lang = document.documentElement.lang || 'en';

function isoDay(date) {
  return new Date(date.getTime() - date.getTimezoneOffset() * 60000).toISOString().slice(0, 10);
}

function dayText(iso) {
  return new Date(iso.length === 10 ? `${iso}T12:00:00` : iso).toLocaleDateString(lang, { day: 'numeric', month: 'long' });
}

/**
 * Wire the slot panel's "Homework from the library" part. `course` is the journal's course,
 * `slots` its lessons in order, `t` the journal's strings. Returns `{show(slot)}`.
 */
export function setUpSlotAssign({ course, slots, today, canWrite, t }) {
  const box = document.getElementById('slot-assign');
  if (!box) return { show() {} };
  const list = document.getElementById('slot-assignments');
  const open = document.getElementById('slot-assign-open');
  const form = document.getElementById('slot-assign-form');
  const search = document.getElementById('slot-assign-q');
  const select = document.getElementById('slot-assign-lesson');
  const due = document.getElementById('slot-assign-due');
  const attempts = document.getElementById('slot-assign-attempts');
  const auto = document.getElementById('slot-assign-auto');
  const submit = document.getElementById('slot-assign-submit');
  let current = null;
  let assignments = null; // the course's assignments, fetched once
  let searchTimer = null;

  function showList() {
    const mine = (assignments ?? []).filter((a) => current && a.slot_id === current.id);
    list.replaceChildren(
      ...mine.map((a) =>
        el(
          'li',
          {},
          el('a', { href: `/assignments/${a.id}`, text: a.lesson.title }),
          ' ',
          el('span', {
            class: 'muted text-small',
            text: [fill(t.assign_due, { due: dayText(a.due) }), a.counts ? `${a.counts.submitted}/${a.counts.pupils}` : '']
              .filter(Boolean)
              .join(' · '),
          }),
        ),
      ),
    );
    list.hidden = !mine.length;
    box.hidden = !canWrite && !mine.length;
  }

  async function loadAssignments() {
    try {
      assignments = (await api('GET', `/assignments?course=${course.id}`)).items;
    } catch {
      assignments = [];
    }
    showList();
  }

  async function loadLessons(query = '') {
    select.replaceChildren(el('option', { value: '', text: t.assign_loading }));
    try {
      const params = new URLSearchParams({ status: 'published', per_page: '50' });
      if (query) params.set('q', query);
      const { items } = await api('GET', `/lessons?${params}`);
      const wanted = current?.lesson?.lesson_id;
      select.replaceChildren(
        el('option', { value: '', text: items.length ? t.assign_choose : t.assign_none }),
        ...items
          .filter((lesson) => lesson.version)
          .map((lesson) =>
            el('option', {
              value: lesson.id,
              selected: lesson.id === wanted,
              text: `${lesson.title} · ${lesson.subject}${lesson.grades?.length ? ` · ${lesson.grades.join(', ')}` : ''}${
                lesson.block_kinds?.includes('quiz') ? '' : ` (${t.assign_no_quiz})`
              }`,
            }),
          ),
      );
    } catch (error) {
      select.replaceChildren(el('option', { value: '', text: error.message }));
    }
  }

  // Due by the course's next lesson after this one (and after today), else in a week.
  function defaultDue(slot) {
    const after = slot.date > today ? slot.date : today;
    const next = slots.find((s) => s.date > after);
    return next ? next.date : isoDay(new Date(Date.now() + 7 * DAY_MS));
  }

  open.addEventListener('click', () => {
    form.hidden = false;
    open.hidden = true;
    due.min = isoDay(new Date(Date.now() + DAY_MS / 24));
    due.value = defaultDue(current);
    loadLessons();
    select.focus();
  });

  document.getElementById('slot-assign-cancel').addEventListener('click', () => {
    form.hidden = true;
    open.hidden = !canWrite;
  });

  search.addEventListener('input', () => {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(() => loadLessons(search.value.trim()), 300);
  });

  // Enter in these fields must not save the slot's topic form around them.
  form.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && event.target.matches('input')) event.preventDefault();
  });

  submit.addEventListener('click', async () => {
    if (!select.value || !due.value) {
      (select.value ? due : select).focus();
      return;
    }
    submit.disabled = true;
    try {
      const made = await api('POST', '/assignments', {
        lesson_id: Number(select.value),
        course_id: course.id,
        slot_id: current.id,
        due: `${due.value}T23:59`, // the end of that day, school time
        attempts: Number(attempts.value) || 1,
        auto_mark: auto.checked,
      });
      assignments = [...(assignments ?? []), made];
      showList();
      form.hidden = true;
      open.hidden = false;
      toast(fill(t.assign_done, { title: made.lesson.title, due: dayText(due.value) }), 'success');
    } catch (error) {
      toast(error.message, 'error');
    } finally {
      submit.disabled = false;
    }
  });

  return {
    show(slot) {
      current = slot;
      form.hidden = true;
      open.hidden = !canWrite;
      if (assignments === null) {
        box.hidden = !canWrite;
        loadAssignments();
      } else {
        showList();
      }
    },
  };
}
