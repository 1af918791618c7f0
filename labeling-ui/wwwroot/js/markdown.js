// Markdown of prompts, answers and guidelines: the server sends the raw text (escaped) inside [data-markdown]; here it is
// rendered with marked, sanitized with DOMPurify (no scripts, no event handlers, no foreign frames) and code blocks are
// highlighted. Without JavaScript the raw text stays readable.
import { marked } from '/lib/marked/marked.esm.js';
import DOMPurify from '/lib/dompurify/purify.es.mjs';
import hljs from '/lib/highlight/highlight.min.js';

marked.setOptions({ gfm: true, breaks: true });
const sources = new WeakMap();

/** The raw markdown of a rendered element. */
export const sourceOf = (element) => sources.get(element) ?? element.textContent;

/** Renders every not yet rendered [data-markdown] element under root. */
export function renderMarkdown(root) {
  const elements = root.matches?.('[data-markdown]') ? [root] : [...root.querySelectorAll('[data-markdown]')];
  for (const element of elements) {
    if (element.dataset.rendered) continue;
    const source = element.textContent;
    sources.set(element, source);
    element.innerHTML = DOMPurify.sanitize(marked.parse(source), { USE_PROFILES: { html: true } });
    for (const code of element.querySelectorAll('pre code')) hljs.highlightElement(code);
    // An <img> written as raw HTML in an answer has no text for screen readers; markdown's ![text](src) has its text.
    for (const image of element.querySelectorAll('img:not([alt])')) image.alt = 'image from the text (no description given)';
    for (const link of element.querySelectorAll('a[href]')) {
      link.target = '_blank';
      link.rel = 'noopener noreferrer';
    }
    element.dataset.rendered = 'true';
  }
}
