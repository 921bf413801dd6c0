// Typesets the TeX that lesson Markdown leaves in .math-inline / .math-block elements,
// with KaTeX when it is installed under /static/vendor/katex/ (loaded on demand).
// Without it the TeX source stays visible, which is still readable.

const KATEX_JS = '/static/vendor/katex/katex.mjs';
let katexPromise = null;

function loadKatex() {
  if (!katexPromise) {
    katexPromise = import(KATEX_JS)
      .then((module) => {
        const stylesheet = document.createElement('link');
        stylesheet.rel = 'stylesheet';
        stylesheet.href = '/static/vendor/katex/katex.min.css';
        document.head.append(stylesheet);
        return module.default ?? module;
      })
      .catch(() => null);
  }
  return katexPromise;
}

/** Typeset every formula inside `root` (a no-op when there are none). */
export async function typesetMath(root) {
  if (!root) return;
  const nodes = root.querySelectorAll('.math-inline, .math-block');
  if (!nodes.length) return;
  const katex = await loadKatex();
  if (!katex) return;
  for (const node of nodes) {
    if (node.dataset.typeset) continue;
    const tex = node.textContent;
    try {
      katex.render(tex, node, { displayMode: node.classList.contains('math-block'), throwOnError: false });
      node.dataset.typeset = '1';
      node.setAttribute('title', tex);
    } catch {
      // leave the source visible
    }
  }
}
