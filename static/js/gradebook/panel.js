// The journal's side panel: it sits below the top bar (which stays usable), and while it is
// open it keeps the keyboard: Tab and Shift+Tab cycle inside it, a Tab pressed elsewhere comes
// back into it, and Escape closes it and gives the focus back to where it came from.

const FOCUSABLE = [
  'a[href]',
  'button:not([disabled])',
  'input:not([disabled]):not([type="hidden"])',
  'select:not([disabled])',
  'textarea:not([disabled])',
  '[tabindex]:not([tabindex="-1"])',
].join(', ');

function focusables(root) {
  return [...root.querySelectorAll(FOCUSABLE)].filter((node) => node.getClientRects().length > 0);
}

/**
 * Wire the panel. `onEscape()` closes it (the caller's close also hides it); `isOpen()` says
 * whether it is showing. Returns `{ place, remember, restore }`: `place()` puts the panel
 * below the top bar, `remember()` notes where the focus is before the panel takes it,
 * `restore(fallback)` gives it back (or to `fallback` when that place has gone).
 */
export function setUpSidePanel(panel, { onEscape, isOpen }) {
  const topbar = document.querySelector('.topbar');
  let opener = null;

  const place = () => {
    const bottom = topbar ? topbar.getBoundingClientRect().bottom : 0;
    panel.style.setProperty('--panel-top', `${Math.max(0, Math.round(bottom))}px`);
  };
  window.addEventListener('scroll', () => isOpen() && place(), { passive: true });
  window.addEventListener('resize', () => isOpen() && place());

  document.addEventListener('keydown', (event) => {
    if (!isOpen() || document.querySelector('dialog[open]')) return;
    if (event.key === 'Escape' && panel.contains(document.activeElement)) {
      event.preventDefault();
      onEscape();
      return;
    }
    if (event.key !== 'Tab') return;
    const items = focusables(panel);
    if (!items.length) return;
    const first = items[0];
    const last = items[items.length - 1];
    const inside = panel.contains(document.activeElement);
    if (!inside) {
      event.preventDefault();
      (event.shiftKey ? last : first).focus();
    } else if (event.shiftKey && document.activeElement === first) {
      event.preventDefault();
      last.focus();
    } else if (!event.shiftKey && document.activeElement === last) {
      event.preventDefault();
      first.focus();
    }
  });

  return {
    place,
    remember() {
      const here = document.activeElement;
      if (here && here !== document.body && !panel.contains(here)) opener = here;
    },
    restore(fallback) {
      const target = opener?.isConnected ? opener : fallback;
      opener = null;
      target?.focus({ preventScroll: true });
    },
  };
}
