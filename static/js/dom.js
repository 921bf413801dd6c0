// Small DOM helpers every page script shares: an element builder and the translated strings a
// page passes to its script in a JSON data block.

/**
 * `el('div', {class: 'x', text: 'y', onclick: fn}, child, ...)`. Attributes with a value of
 * null, undefined or false are left out; `true` sets an empty attribute. No HTML strings:
 * only `html` (for server-sanitised lesson HTML) sets markup.
 */
export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') node.className = value;
    else if (key === 'text') node.textContent = value;
    else if (key === 'html') node.innerHTML = value;
    else if (key === 'dataset') Object.assign(node.dataset, value);
    else if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
    else if (key === 'value') node.value = value;
    else if (key === 'checked' || key === 'selected' || key === 'disabled') node[key] = true;
    else if (value === true) node.setAttribute(key, '');
    else node.setAttribute(key, String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

/** The object in `<script type="application/json" id="…">`, or {} when absent or broken. */
export function readJson(id) {
  const node = document.getElementById(id);
  if (!node) return {};
  try {
    return JSON.parse(node.textContent) ?? {};
  } catch {
    return {};
  }
}

/** Fill `{name}` placeholders: fill('Question {n}', {n: 2}). */
export function fill(text, values = {}) {
  return String(text ?? '').replace(/\{(\w+)\}/g, (match, key) => (key in values ? String(values[key]) : match));
}
