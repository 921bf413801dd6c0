// The lesson editor's own element builder and two controls built with it: a labelled field and
// a small icon button. Unlike /static/js/dom.js's `el`, events go in `on: {name: fn}` and a few
// properties (value, checked, draggable, controls…) are set as properties.

const PROPERTIES = new Set(['value', 'checked', 'selected', 'disabled', 'draggable', 'controls']);

export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') node.className = value;
    else if (key === 'text') node.textContent = value;
    else if (key === 'on') for (const [name, fn] of Object.entries(value)) node.addEventListener(name, fn);
    else if (key === 'dataset') Object.assign(node.dataset, value);
    else if (PROPERTIES.has(key)) node[key] = value;
    else node.setAttribute(key, value === true ? '' : value);
  }
  node.append(...children.flat().filter((child) => child !== null && child !== undefined && child !== false));
  return node;
}

let fieldCounter = 0;
export function field(labelText, control, hint) {
  const id = control.id || `f${++fieldCounter}`;
  control.id = id;
  return el('div', { class: 'field' }, el('label', { for: id, text: labelText }), control, hint ? el('p', { class: 'field-hint', text: hint }) : null);
}

export function iconButton(label, symbol, onClick, extraClass = '') {
  return el('button', {
    type: 'button',
    class: `btn btn-sm btn-ghost ${extraClass}`.trim(),
    'aria-label': label,
    title: label,
    text: symbol,
    on: { click: onClick },
  });
}
