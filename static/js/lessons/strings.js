// Translated UI strings that a page passes to its script in a JSON data block.

/** The object in <script type="application/json" id="…">, or {} when absent. */
export function readJson(id) {
  const node = document.getElementById(id);
  if (!node) return {};
  try {
    return JSON.parse(node.textContent) ?? {};
  } catch {
    return {};
  }
}

/** Fill `{name}` placeholders: fill('Version {n}', {n: 2}). */
export function fill(text, values = {}) {
  return String(text).replace(/\{(\w+)\}/g, (match, key) => (key in values ? String(values[key]) : match));
}
