// The runs dashboard: live training curves on a run's page and the rendered evaluation report.
//
// Curves: every row of the stages table that carries data-metrics-url (a training stage) gets a panel under #curves
// with one chart per metric group (loss, learning_rate, rewards/*, logps/*, objective/* ...). The panel asks
// GET <url>&after=N for the rows it has not seen yet and polls every 2 s while the server says the stage is running;
// the stages table of an active run is rendered again by its Blazor island (LiveStagesTable), and a MutationObserver on it
// gives stages that start later their panel then.
//
// Report: the escaped report.md inside [data-report-markdown] is rendered with marked and sanitized with DOMPurify;
// relative links and images are pointed at the artifact's file endpoint (data-files).
import { marked } from '/lib/marked/marked.esm.js';
import DOMPurify from '/lib/dompurify/purify.es.mjs';

const POLL_MS = 2000;
const SKIPPED = new Set(['step', 'epoch', 'global_step']);
const COLORS = ['#4f46e5', '#dc2626', '#059669', '#d97706', '#0891b2', '#7c3aed', '#db2777', '#65a30d', '#475569'];
const panels = new Map();

let chartLibrary = null;

/** Loads Chart.js once, however many panels ask at the same time (a second copy would keep its own chart registry). */
function loadChart() {
  if (window.Chart) return Promise.resolve(window.Chart);
  chartLibrary ??= new Promise((resolve, reject) => {
    const script = document.createElement('script');
    script.src = '/lib/chartjs/chart.umd.min.js';
    script.onload = () => resolve(window.Chart);
    script.onerror = () => reject(new Error('chart library missing'));
    document.head.append(script);
  });
  return chartLibrary;
}

/** The chart a metric is drawn in: its prefix before '/', eval_ metrics together, everything else on its own. */
export function groupOf(key) {
  if (key.includes('/')) return `${key.slice(0, key.indexOf('/'))}/*`;
  if (key.startsWith('eval_')) return 'eval_*';
  return key;
}

function newPanel(row, container) {
  const section = document.createElement('section');
  section.className = 'curve-stage';
  section.dataset.curveStage = row.dataset.stage;
  section.dataset.iteration = row.dataset.iteration;
  const title = document.createElement('h3');
  title.textContent = row.dataset.metricsLabel;
  const status = document.createElement('span');
  status.className = 'muted small curve-status';
  title.append(' ', status);
  const grid = document.createElement('div');
  grid.className = 'curve-grid';
  section.append(title, grid);
  container.append(section);
  return { url: row.dataset.metricsUrl, section, grid, status, charts: new Map(), next: 0, polling: false, timer: 0 };
}

function chartFor(panel, group, Chart) {
  let chart = panel.charts.get(group);
  if (chart) return chart;
  const box = document.createElement('div');
  box.className = 'curve-box';
  const canvas = document.createElement('canvas');
  canvas.dataset.metricGroup = group;
  canvas.dataset.points = '0';
  canvas.setAttribute('role', 'img');
  canvas.setAttribute('aria-label', `${group} by step`);
  box.append(canvas);
  panel.grid.append(box);
  chart = new Chart(canvas, {
    type: 'line',
    data: { datasets: [] },
    options: {
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      parsing: false,
      normalized: true,
      interaction: { mode: 'nearest', intersect: false },
      scales: { x: { type: 'linear', title: { display: true, text: 'step' } } },
      plugins: { title: { display: true, text: group }, legend: { display: true, position: 'bottom', labels: { boxWidth: 12 } } },
      elements: { point: { radius: 2 }, line: { borderWidth: 1.5 } },
    },
  });
  panel.charts.set(group, chart);
  return chart;
}

function addRows(panel, rows, Chart) {
  const touched = new Set();
  rows.forEach((row, i) => {
    const x = typeof row.step === 'number' ? row.step : panel.next + i + 1;
    for (const [key, value] of Object.entries(row)) {
      if (SKIPPED.has(key) || typeof value !== 'number' || !Number.isFinite(value)) continue;
      const chart = chartFor(panel, groupOf(key), Chart);
      let dataset = chart.data.datasets.find((d) => d.label === key);
      if (!dataset) {
        const color = COLORS[chart.data.datasets.length % COLORS.length];
        dataset = { label: key, data: [], borderColor: color, backgroundColor: color };
        chart.data.datasets.push(dataset);
      }
      dataset.data.push({ x, y: value });
      touched.add(chart);
    }
  });
  for (const chart of touched) {
    chart.update('none');
    chart.canvas.dataset.points = String(chart.data.datasets.reduce((n, d) => n + d.data.length, 0));
  }
}

async function poll(panel) {
  panel.polling = true;
  panel.section.dataset.polling = 'true';
  try {
    const Chart = await loadChart();
    const response = await fetch(`${panel.url}&after=${panel.next}`, { headers: { Accept: 'application/json' }, credentials: 'same-origin' });
    if (!response.ok) throw new Error(`the server answered ${response.status}`);
    const page = await response.json();
    addRows(panel, page.rows, Chart);
    panel.next = page.next;
    panel.section.dataset.rows = String(panel.next);
    const steps = page.total_steps ? ` of ${page.total_steps}` : '';
    panel.status.textContent = page.running ? `training · ${panel.next} logged step${panel.next === 1 ? '' : 's'}${steps}` : `${panel.next} logged steps`;
    if (panel.next === 0 && !page.running) panel.status.textContent = 'no metrics were logged';
    if (page.running) {
      panel.timer = window.setTimeout(() => poll(panel), POLL_MS);
      return;
    }
  } catch (error) {
    panel.status.textContent = `curves unavailable: ${error.message}`;
  }
  panel.polling = false;
  panel.section.dataset.polling = 'false';
}

function reset(panel) {
  for (const chart of panel.charts.values()) chart.destroy();
  panel.charts.clear();
  panel.grid.replaceChildren();
  panel.next = 0;
}

/** Finds training stages in the stages table and starts (or restarts) their panels. */
function scanStages() {
  const container = document.getElementById('curves');
  if (!container) return;
  for (const row of document.querySelectorAll('tr[data-metrics-url]')) {
    const running = row.dataset.metricsRunning === 'true';
    let panel = panels.get(row.dataset.metricsUrl);
    if (!panel) {
      panel = newPanel(row, container);
      panels.set(panel.url, panel);
      poll(panel);
    } else if (running && !panel.polling) {
      reset(panel); // the stage runs again (a resume retried it): its run folder starts a new file
      poll(panel);
    }
  }
  const empty = document.querySelector('[data-curves-empty]');
  if (empty) empty.hidden = panels.size > 0;
}

const isRelative = (url) => url && !url.startsWith('#') && !url.startsWith('/') && !/^[a-z][a-z0-9+.-]*:/i.test(url);

/** Renders the report's markdown, mapping relative links and images to the artifact's file endpoint. */
function renderReport(element) {
  const base = element.dataset.files;
  const html = DOMPurify.sanitize(marked.parse(element.textContent, { gfm: true }), { USE_PROFILES: { html: true } });
  element.innerHTML = html;
  const mapped = (url) => base + url.replace(/^(\.\/)+/, '').split('/').map(encodeURIComponent).join('/');
  for (const img of element.querySelectorAll('img[src]')) {
    const src = img.getAttribute('src');
    if (isRelative(src)) img.setAttribute('src', mapped(src));
  }
  for (const link of element.querySelectorAll('a[href]')) {
    const href = link.getAttribute('href');
    if (isRelative(href)) link.setAttribute('href', mapped(href));
    else if (!href.startsWith('#')) {
      link.target = '_blank';
      link.rel = 'noopener noreferrer';
    }
  }
  element.dataset.rendered = 'true';
}

export function start() {
  const report = document.querySelector('[data-report-markdown]');
  if (report) renderReport(report);
  if (document.getElementById('curves')) {
    scanStages();
    const table = document.querySelector('[data-stages-table]');
    if (table?.dataset.polling === 'true') {
      // Blazor patches the table in place (rows added, attributes changed); one scan per batch of changes.
      let queued = false;
      new MutationObserver(() => {
        if (queued) return;
        queued = true;
        queueMicrotask(() => { queued = false; scanStages(); });
      }).observe(table.parentElement ?? table, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-metrics-url', 'data-metrics-running', 'data-status'] });
    }
  }
}
