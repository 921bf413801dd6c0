// The library lesson of a journal slot: formulas typeset; teachers may show the answers.
import { readJson } from '/static/js/dom.js';
import { typesetMath } from '/static/js/lessons/math.js';

const strings = readJson('slot-lesson-strings');

document.addEventListener('click', (event) => {
  const button = event.target.closest('[data-action="answers"]');
  if (!button) return;
  const shown = button.closest('.lesson-block').classList.toggle('show-answers');
  button.setAttribute('aria-pressed', String(shown));
  button.textContent = shown ? strings.hide : strings.show;
});

typesetMath(document.querySelector('.lesson-main'));
