// Word differences between the two answers (the `diff` library, loaded as /lib/diff/diff.min.js): the left answer shows
// what only it has struck through in red, the right answer what only it has in green. Built with text nodes only.
import { sourceOf } from './markdown.js';

let loading;
function library() {
  if (window.Diff) return Promise.resolve(window.Diff);
  loading ??= new Promise((resolve, reject) => {
    const script = document.createElement('script');
    script.src = '/lib/diff/diff.min.js';
    script.onload = () => resolve(window.Diff);
    script.onerror = () => reject(new Error('diff library missing'));
    document.head.append(script);
  });
  return loading;
}

function render(parts, keep, mark, tag) {
  const box = document.createElement('div');
  box.className = 'diff-text';
  for (const part of parts) {
    if (part[mark]) {
      const node = document.createElement(tag);
      node.textContent = part.value;
      box.append(node);
    } else if (keep(part)) {
      box.append(document.createTextNode(part.value));
    }
  }
  return box;
}

/** Shows (on = true) or hides the word diff in the two answers of the current item. */
export async function showDiff(on) {
  const left = document.querySelector('#item [data-answer="left"]');
  const right = document.querySelector('#item [data-answer="right"]');
  if (!left || !right) return;
  for (const element of [left, right]) {
    element.querySelector(':scope > .diff-text')?.remove();
    for (const child of element.children) child.hidden = on;
  }
  if (!on) return;
  const Diff = await library();
  const parts = Diff.diffWords(sourceOf(left), sourceOf(right));
  left.append(render(parts, (p) => !p.added, 'removed', 'del'));
  right.append(render(parts, (p) => !p.removed, 'added', 'ins'));
}
