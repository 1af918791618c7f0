// Every page: sends the antiforgery token with htmx requests, shows server errors as toasts, renders markdown in new
// content, and loads the page's own module (labeling keys, leaderboard chart).
import { renderMarkdown } from './markdown.js';
import { toast } from './toast.js';

const csrfToken = () => document.querySelector('meta[name="csrf-token"]')?.content ?? '';

document.addEventListener('htmx:configRequest', (event) => {
  event.detail.headers['RequestVerificationToken'] = csrfToken();
});

document.addEventListener('htmx:responseError', async (event) => {
  const xhr = event.detail.xhr;
  let message = `The server answered ${xhr.status}.`;
  try {
    const problem = JSON.parse(xhr.responseText);
    if (problem.detail) message = problem.detail;
  } catch { /* not JSON: keep the status line */ }
  toast(message, 'error');
});

document.addEventListener('htmx:sendError', () => toast('The server cannot be reached. Check that `align serve` is still running.', 'error'));

function whenHtmx(callback) {
  if (window.htmx) callback(window.htmx);
  else window.addEventListener('DOMContentLoaded', () => window.htmx && callback(window.htmx));
}

whenHtmx((htmx) => htmx.onLoad((element) => renderMarkdown(element)));
renderMarkdown(document);

if (document.querySelector('[data-labeling]')) {
  import('./labeling.js').then((m) => m.start());
}
if (document.getElementById('leaderboard-data')) {
  import('./leaderboard.js').then((m) => m.start());
}
if (document.querySelector('[data-run-page], [data-report-page]')) {
  import('./runs.js').then((m) => m.start());
}
