// Moments from the API ("2026-12-08T20:59:00Z") shown in the school's time zone, in the
// page's language. The zone comes from `data-timezone` on the page's `.classwork` wrapper.

const lang = document.documentElement.lang || 'en';

/** The school's time zone (an IANA name), or the browser's when the page names none. */
export function schoolZone() {
  return document.querySelector('[data-timezone]')?.dataset.timezone || undefined;
}

function formatter(options) {
  try {
    return new Intl.DateTimeFormat(lang, { ...options, timeZone: schoolZone() });
  } catch {
    return new Intl.DateTimeFormat(lang, options); // an unknown zone: the browser's own
  }
}

const dateTime = formatter({ weekday: 'short', day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit' });
const clock = formatter({ hour: '2-digit', minute: '2-digit' });
const relative = new Intl.RelativeTimeFormat(lang, { numeric: 'auto' });

/** "Tue, 8 Dec, 23:59" for an ISO moment ('' for none). */
export function formatMoment(iso) {
  if (!iso) return '';
  const when = new Date(iso);
  return Number.isNaN(when.getTime()) ? iso : dateTime.format(when);
}

/** "14:05" for an ISO moment. */
export function formatTime(iso) {
  return iso ? clock.format(new Date(iso)) : '';
}

/** "in 2 days", "in 3 hours", "5 minutes ago" for an ISO moment. */
export function fromNow(iso, now = Date.now()) {
  const seconds = (new Date(iso).getTime() - now) / 1000;
  const steps = [
    ['day', 86400],
    ['hour', 3600],
    ['minute', 60],
  ];
  for (const [unit, size] of steps) {
    if (Math.abs(seconds) >= size) return relative.format(Math.round(seconds / size), unit);
  }
  return relative.format(0, 'minute');
}

/** Fill every `<time datetime data-moment>` under `root`; `data-relative` adds "in 2 days". */
export function showMoments(root = document) {
  for (const node of root.querySelectorAll('time[data-moment]')) {
    const iso = node.getAttribute('datetime');
    if (!iso) continue;
    node.textContent = formatMoment(iso);
    if (node.hasAttribute('data-relative')) node.textContent += ` (${fromNow(iso)})`;
    node.title = new Date(iso).toLocaleString(lang, { timeZone: schoolZone() });
  }
}

/** A value for `<input type="datetime-local">` of an ISO moment, in the school's zone. */
export function localInputValue(iso) {
  const parts = Object.fromEntries(
    formatter({ year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' })
      .formatToParts(new Date(iso))
      .map((part) => [part.type, part.value]),
  );
  return `${parts.year}-${parts.month}-${parts.day}T${parts.hour}:${parts.minute}`;
}
