// The labeling page's keyboard and buttons. Keys: 1 left better, 2 right better, 3 tie, 4 both bad, ←/→ strength,
// Enter submit, r rationale, s skip, u undo, d word diff, g guidelines, ? help, Esc close. The choice and strength go to
// the form's hidden fields; htmx posts the form and swaps the next item into #item.
import { showDiff } from './diff.js';
import { toast } from './toast.js';

const MAGNITUDES = ['barely better', 'slightly better', 'better', 'much better'];
// At phone width the answers stack, so the sides are named top and bottom (as app.css shows them).
const stacked = window.matchMedia('(max-width: 800px)');
const touch = window.matchMedia('(hover: none) and (pointer: coarse)');
const choiceNames = () => stacked.matches
  ? { left: 'Top answer', right: 'Bottom answer', tie: 'Equally good', both_bad: 'Both are bad' }
  : { left: 'Left answer', right: 'Right answer', tie: 'Equally good', both_bad: 'Both are bad' };

let state = { choice: null, strength: 0 };
let shownAt = performance.now();
let diffOn = false;

const $ = (selector) => document.querySelector(selector);
const item = () => $('#item [data-item]');
const form = () => document.getElementById('judge-form');
const maxStrength = () => Number(item()?.dataset.strengthMax ?? 0);
const clamp = (value, low, high) => Math.min(high, Math.max(low, value));

function render() {
  const f = form();
  if (!f) return;
  for (const button of f.querySelectorAll('[data-choice]')) {
    button.setAttribute('aria-pressed', String(button.dataset.choice === state.choice));
  }
  const sided = state.choice === 'left' || state.choice === 'right';
  for (const step of f.querySelectorAll('[data-step]')) {
    const value = Number(step.dataset.step);
    step.disabled = state.choice === 'tie' || state.choice === 'both_bad';
    step.setAttribute('aria-pressed', String(sided && value === state.strength));
  }
  f.elements.choice.value = state.choice ?? '';
  f.elements.strength.value = String(state.strength);
  f.querySelector('[data-action="submit"]').disabled = !state.choice;
  const hint = f.querySelector('[data-hint]');
  const CHOICE_NAMES = choiceNames();
  if (!state.choice) hint.textContent = touch.matches ? 'Choose an answer first' : 'Choose 1–4 first';
  else if (sided && maxStrength() > 0) hint.textContent = `${CHOICE_NAMES[state.choice]} ${MAGNITUDES[Math.abs(state.strength)]}`;
  else if (sided) hint.textContent = `${CHOICE_NAMES[state.choice]} is better`;
  else hint.textContent = CHOICE_NAMES[state.choice];
  const answers = item()?.querySelectorAll('[data-side]') ?? [];
  for (const answer of answers) answer.classList.toggle('winner', answer.dataset.side === state.choice || state.choice === 'tie');
  for (const answer of answers) answer.classList.toggle('loser', state.choice === 'both_bad');
}

function choose(choice) {
  if (!form()) return;
  const max = maxStrength();
  if (choice === 'left') state.strength = state.choice === 'left' ? state.strength : -Math.min(2, max);
  else if (choice === 'right') state.strength = state.choice === 'right' ? state.strength : Math.min(2, max);
  else state.strength = 0;
  state.choice = choice;
  render();
}

function setStep(value) {
  if (value < 0) state.choice = 'left';
  else if (value > 0) state.choice = 'right';
  else if (state.choice !== 'left' && state.choice !== 'right') {
    toast('Pick the better side first (1 or 2); 0 then means "barely better".');
    return;
  }
  state.strength = value;
  render();
}

function nudge(delta) {
  const max = maxStrength();
  if (!form() || max === 0) return;
  if (state.choice === 'tie' || state.choice === 'both_bad') {
    toast('A tie or "both bad" has no strength.');
    return;
  }
  if (!state.choice) {
    setStep(delta < 0 ? -1 : 1);
    return;
  }
  state.strength = state.choice === 'left' ? clamp(state.strength + delta, -max, 0) : clamp(state.strength + delta, 0, max);
  render();
}

function submit() {
  const f = form();
  if (!f) return;
  if (!state.choice) {
    toast('Choose an answer first: 1 left, 2 right, 3 tie, 4 both bad.');
    return;
  }
  // A fast key press can land between the swap of a new item and htmx processing it; make sure htmx owns the form
  // (process() is idempotent), or the browser would submit it natively.
  ensureHtmx(f);
  f.requestSubmit();
}

function ensureHtmx(element) {
  if (window.htmx && element) window.htmx.process(element);
}

function click(action) {
  const button = document.querySelector(`#item [data-action="${action}"]`);
  if (!button) return;
  ensureHtmx(button);
  button.click();
}

function toggleRegion(id, show) {
  const region = document.getElementById(id);
  if (!region) return;
  region.hidden = show === undefined ? !region.hidden : !show;
  for (const opener of document.querySelectorAll(`[aria-controls="${id}"]`)) opener.setAttribute('aria-expanded', String(!region.hidden));
}

function openRationale() {
  const details = $('#item [data-rationale]');
  if (!details) return;
  details.open = true;
  details.querySelector('textarea')?.focus();
}

async function toggleDiff() {
  const button = $('#item [data-action="diff"]');
  if (!button) return;
  diffOn = !diffOn;
  button.setAttribute('aria-pressed', String(diffOn));
  await showDiff(diffOn);
}

function onKey(event) {
  const target = event.target;
  const typing = target instanceof HTMLElement && target.matches('textarea, input, select, [contenteditable]');
  if (typing) {
    if (event.key === 'Escape') target.blur();
    else if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) { event.preventDefault(); submit(); }
    return;
  }
  if (event.ctrlKey || event.metaKey || event.altKey) return;
  const handlers = {
    1: () => choose('left'), 2: () => choose('right'), 3: () => choose('tie'), 4: () => choose('both_bad'),
    ArrowLeft: () => nudge(-1), ArrowRight: () => nudge(1),
    Enter: submit, r: openRationale, s: () => click('skip'), u: () => click('undo'), d: toggleDiff,
    g: () => toggleRegion('guidelines'), '?': () => toggleRegion('help'),
    Escape: () => { toggleRegion('help', false); toggleRegion('guidelines', false); },
  };
  const handler = handlers[event.key];
  if (!handler) return;
  // A focused button handles its own Enter, except a choice or strength button: after clicking one, Enter submits.
  if (event.key === 'Enter' && target instanceof HTMLButtonElement && !target.matches('[data-choice], [data-step]')) return;
  event.preventDefault();
  handler();
}

function onClick(event) {
  const target = event.target instanceof Element ? event.target.closest('[data-choice], [data-step], [data-action]') : null;
  if (!target) return;
  if (target.dataset.choice) choose(target.dataset.choice);
  else if (target.dataset.step !== undefined) setStep(Number(target.dataset.step));
  else if (target.dataset.action === 'diff') toggleDiff();
  else if (target.dataset.action === 'guidelines') toggleRegion('guidelines');
  else if (target.dataset.action === 'help') toggleRegion('help');
}

function newItem() {
  state = { choice: null, strength: 0 };
  shownAt = performance.now();
  diffOn = false;
  render();
}

export function start() {
  document.addEventListener('keydown', onKey);
  document.addEventListener('click', onClick);
  // Record the time spent just before the form goes out (capture phase: before htmx's own submit handler).
  document.addEventListener('submit', (event) => {
    if (event.target === form()) form().elements.time_ms.value = String(Math.round(performance.now() - shownAt));
  }, true);
  document.body.addEventListener('htmx:afterSwap', (event) => {
    if (event.detail.target?.id === 'item') newItem();
  });
  newItem();
}
