// The teacher's home: today's lessons (class, subject, time, topic, homework, the linked library
// lesson, "Start live lesson") from the gradebook's /my-day, and what needs attention: lessons
// of the week still without a topic, and homework handed in but not marked yet (classwork's
// /assignments).

import { api, csrfToken } from '/static/js/api.js';
import { el, fill, readJson } from '/static/js/dom.js';

const t = readJson('my-day-strings');
const lessonsBox = document.querySelector('[data-my-day-lessons]');
const attentionBox = document.querySelector('[data-my-attention]');
const lang = document.documentElement.lang || 'en';
const dayFormat = new Intl.DateTimeFormat(lang, { weekday: 'short', day: 'numeric', month: 'short' });

function startLive(lesson) {
  if (!lesson.lesson) {
    return el('a', { class: 'btn btn-secondary btn-sm', href: '/live' }, t.choose_live);
  }
  const hidden = (name, value) => el('input', { type: 'hidden', name, value: String(value) });
  return el(
    'form',
    { class: 'day-live', method: 'post', action: '/live' },
    hidden('csrf_token', csrfToken()),
    hidden('lesson_id', lesson.lesson.lesson_id),
    hidden('slot_id', lesson.id),
    hidden('allow_observers', 'on'),
    el('button', { class: 'btn btn-primary btn-sm', type: 'submit' }, t.start_live),
  );
}

function lessonItem(lesson) {
  const files = (lesson.files ?? []).map((file, index) =>
    el(
      'a',
      { class: 'attachment', href: `/assets/${encodeURIComponent(file.id)}`, target: '_blank', rel: 'noopener' },
      file.name || `${t.file} ${index + 1}`,
    ),
  );
  return el(
    'li',
    { class: 'day-lesson', dataset: { slot: lesson.id } },
    el(
      'div',
      { class: 'lesson-time' },
      el('span', { class: 'lesson-period' }, lesson.period),
      el('span', { class: 'muted text-small' }, `${lesson.starts}–${lesson.ends}`),
    ),
    el(
      'div',
      { class: 'lesson-main' },
      el(
        'div',
        { class: 'lesson-subject' },
        el('strong', {}, lesson.class.name),
        ` · ${lesson.subject.name}`,
        lesson.room ? el('span', { class: 'muted text-small' }, ` · ${t.room} ${lesson.room}`) : null,
      ),
      el('div', { class: lesson.topic ? 'lesson-topic' : 'lesson-topic muted' }, lesson.topic || t.no_topic),
      lesson.homework || files.length
        ? el('div', { class: 'lesson-homework' }, el('span', { class: 'homework-label' }, `${t.homework}: `), lesson.homework, ...files)
        : null,
      lesson.lesson
        ? el(
            'div',
            { class: 'text-small' },
            `${t.linked}: `,
            el('a', { href: `/lessons/${lesson.lesson.lesson_id}` }, lesson.lesson.title || t.lesson),
          )
        : null,
    ),
    el(
      'div',
      { class: 'day-actions' },
      startLive(lesson),
      el('a', { class: 'btn btn-ghost btn-sm', href: lesson.journal_url }, t.journal),
    ),
  );
}

function renderLessons(day) {
  lessonsBox.removeAttribute('aria-busy');
  if (!day.lessons.length) {
    lessonsBox.replaceChildren(el('p', { class: 'muted' }, t.no_lessons));
    return;
  }
  lessonsBox.replaceChildren(el('ol', { class: 'day-lessons' }, day.lessons.map(lessonItem)));
}

function renderAttention(withoutTopic, unmarked) {
  attentionBox.removeAttribute('aria-busy');
  const items = [
    ...unmarked.map((assignment) =>
      el(
        'li',
        {},
        el('a', { href: `/assignments/${assignment.id}` }, assignment.lesson.title),
        ` · ${assignment.course?.class ?? ''} ${assignment.course?.subject ?? ''} · `,
        el(
          'strong',
          {},
          fill(t.unmarked, { n: assignment.counts.submitted - assignment.counts.marked }),
        ),
      ),
    ),
    ...withoutTopic.map((lesson) =>
      el(
        'li',
        {},
        el('a', { href: lesson.journal_url }, `${lesson.class.name} · ${lesson.subject.name}`),
        ` · ${dayFormat.format(new Date(`${lesson.date}T12:00:00`))}, ${fill(t.period, { n: lesson.period })} · `,
        el('span', { class: 'muted' }, t.no_topic),
      ),
    ),
  ];
  attentionBox.replaceChildren(
    items.length ? el('ul', { class: 'attention-list' }, items) : el('p', { class: 'muted' }, t.nothing),
  );
}

async function load() {
  let day = { lessons: [], without_topic: [] };
  try {
    day = await api('GET', '/my-day');
    renderLessons(day);
  } catch (error) {
    lessonsBox.removeAttribute('aria-busy');
    lessonsBox.replaceChildren(el('p', { class: 'alert alert-error' }, error.message));
  }
  let unmarked = [];
  try {
    const assignments = await api('GET', '/assignments');
    unmarked = assignments.items.filter(
      (item) => item.can_edit && item.counts && item.counts.submitted > item.counts.marked,
    );
  } catch {
    // The day's lessons are shown anyway; assignments are an extra.
  }
  renderAttention(day.without_topic ?? [], unmarked);
}

if (lessonsBox && attentionBox) load();
