// The workflow designer (/workflows/{id}/design) on @antv/x6 (served from /lib/x6/x6.min.js as the global X6): a toolbox
// of activity types from GET /api/workflows/activities, dragged onto the canvas; nodes with an "In" port on the left and
// one port per outcome on the right; edges drawn from an outcome to an "In" port; a property panel per activity;
// Validate, Save (a new version), Import/Export JSON and Run through /api/workflows. Positions go to
// metadata.designer.position; a definition without them gets a layered layout, wrapped into bands to fit the canvas.
// Keys: Tab reaches the toolbox entries (Enter adds one) and the nodes; on a node, arrows move to the nearest node in
// that direction, Enter opens its properties (Escape comes back), Delete removes it (Ctrl+Z or the status line's Undo
// brings it back with its connections); F fits the graph into view; Ctrl+S saves.
import { DesignerModel, layeredLayout } from './designer-model.js';
import { el, renderActivityPanel, renderWorkflowPanel } from './designer-panel.js';
import { toast } from './toast.js';

const root = document.querySelector('[data-designer]');
const $ = (id) => document.getElementById(id);
const csrf = () => document.querySelector('meta[name="csrf-token"]')?.content ?? '';

const NODE = { width: 220, height: 64 };
const LAYOUT = { dx: 280, dy: 84, bandGap: 48, node: NODE, padding: 24 }; // the layered layout's spacing
const MIN_ZOOM = 0.2; // Ctrl+wheel stops here: the demo's 20 activities fit at 0.9; 0.2 shows ~100 at once
const COLORS = { border: '#c5ccd5', selected: '#4f46e5', error: '#b91c1c', edge: '#667085', fill: '#ffffff', errorFill: '#fdecec' };
const PORT_GROUPS = {
  in: {
    position: 'left',
    attrs: { circle: { r: 7, magnet: 'passive', stroke: COLORS.selected, strokeWidth: 1.5, fill: '#fff' } },
  },
  out: {
    position: 'right',
    label: { position: { name: 'right', args: { x: 10, y: 0 } } },
    attrs: {
      circle: { r: 7, magnet: true, stroke: COLORS.selected, strokeWidth: 1.5, fill: COLORS.selected, cursor: 'crosshair' },
      text: { fontSize: 12, fill: '#475467' }, // 12 px: still 11 px on screen at the demo's fitted zoom
    },
  },
};

const designer = {
  definitionId: root.dataset.definitionId,
  version: Number(root.dataset.version),
  model: null,
  graph: null,
  selected: null, // a cell
  undo: [], // removed cells, newest last (Ctrl+Z puts them back)
  errors: [], // last validation errors
  dirty: false,
  errorCount: 0, // validation errors of the saved version shown (a draft when > 0: it cannot run)
};

async function api(method, url, body) {
  const headers = { Accept: 'application/json' };
  if (method !== 'GET') {
    headers['Content-Type'] = 'application/json';
    headers.RequestVerificationToken = csrf();
  }
  const response = await fetch(url, {
    method, headers, credentials: 'same-origin',
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  let json = null;
  try { json = text ? JSON.parse(text) : null; } catch { /* not JSON */ }
  if (!response.ok) {
    const error = new Error(json?.detail ?? `The server answered ${response.status}.`);
    error.problem = json;
    throw error;
  }
  return json;
}

function status(message, kind = 'info') {
  const line = $('designer-status');
  line.textContent = message;
  line.dataset.kind = kind;
}

function markDirty() {
  designer.dirty = true;
  $('designer-unsaved').hidden = false;
}

// The activity count in the bar follows every node added or removed.
function showCount() {
  const count = designer.graph.getNodes().length;
  $('designer-count').textContent = `${count} activit${count === 1 ? 'y' : 'ies'}`;
}

// Fits the whole graph into the canvas (on open, with the Fit button and the F key), never enlarging past 100 %.
function fit() {
  if (designer.graph.getNodes().length === 0) return;
  designer.graph.zoomToFit({ padding: LAYOUT.padding, maxScale: 1, minScale: 0.05 });
}

// The canvas size the layout wraps to.
function canvasSize() {
  const box = $('designer-canvas').getBoundingClientRect();
  return { width: box.width, height: box.height };
}

// ---- nodes and edges ----

function nodeLabel(activity) {
  const descriptor = designer.model.descriptor(activity);
  const cut = (text) => (text.length > 28 ? `${text.slice(0, 27)}…` : text);
  const title = cut(activity.name || activity.id);
  const kind = descriptor?.display_name ?? activity.type;
  return `${title}\n${cut(kind === title ? activity.id : kind)}`;
}

function portItems(activity) {
  const outs = designer.model.outPorts(activity);
  return [
    { id: 'In', group: 'in' },
    ...outs.map((port) => ({ id: port, group: 'out', attrs: { text: { text: outs.length === 1 && port === 'Done' ? '' : port } } })),
  ];
}

function nodeConfig(activity, position) {
  return {
    id: activity.id,
    shape: 'rect',
    x: position.x,
    y: position.y,
    width: NODE.width,
    height: NODE.height,
    attrs: {
      body: { fill: COLORS.fill, stroke: COLORS.border, strokeWidth: 1.5, rx: 8, ry: 8 },
      label: { text: nodeLabel(activity), fill: '#1c2430', fontSize: 13 },
    },
    ports: { groups: PORT_GROUPS, items: portItems(activity) },
  };
}

// Edges go around the boxes at right angles (a wrapped layout's edge from one band's end to the next band's start
// would otherwise cut through the band).
const edgeConfig = (extra) => ({
  shape: 'edge',
  attrs: { line: { stroke: COLORS.edge, strokeWidth: 1.6, targetMarker: { name: 'block', width: 10, height: 8 } } },
  router: { name: 'manhattan', args: { padding: 12, startDirections: ['right'], endDirections: ['left'] } },
  connector: { name: 'rounded', args: { radius: 8 } },
  zIndex: 0,
  ...extra,
});

function styleNode(node) {
  const errors = designer.errors.filter((e) => e.activity_id === node.id);
  const selected = designer.selected === node;
  node.attr('body/stroke', errors.length ? COLORS.error : selected ? COLORS.selected : COLORS.border);
  node.attr('body/strokeWidth', errors.length || selected ? 3 : 1.5);
  node.attr('body/fill', errors.length ? COLORS.errorFill : COLORS.fill);
  focusable(node);
}

function styleAll() {
  for (const node of designer.graph.getNodes()) styleNode(node);
  for (const edge of designer.graph.getEdges()) {
    edge.attr('line/stroke', designer.selected === edge ? COLORS.selected : COLORS.edge);
    edge.attr('line/strokeWidth', designer.selected === edge ? 3 : 1.6);
  }
}

function refreshPorts(node) {
  const activity = designer.model.activities.get(node.id);
  const wanted = portItems(activity);
  const ids = new Set(wanted.map((p) => p.id));
  for (const port of node.getPorts()) if (!ids.has(port.id)) node.removePort(port.id);
  for (const port of wanted) if (!node.hasPort(port.id)) node.addPort(port);
}

// ---- selection and the panel ----

function select(cell) {
  designer.selected = cell;
  styleAll();
  renderPanel();
}

function renderPanel() {
  const panel = $('designer-panel');
  const cell = designer.selected;
  if (cell?.isNode()) {
    const activity = designer.model.activities.get(cell.id);
    renderActivityPanel(panel, designer.model, activity, designer.errors.filter((e) => e.activity_id === cell.id), (what) => {
      markDirty();
      if (what === 'label') cell.attr('label/text', nodeLabel(activity));
      if (what === 'ports') refreshPorts(cell);
    }, () => removeSelection());
  } else if (cell?.isEdge()) {
    panel.replaceChildren(
      el('h2', { text: 'Connection' }),
      el('p', {}, el('code', { text: `${cell.getSourceCellId()}:${cell.getSourcePortId()} → ${cell.getTargetCellId()}:In` })),
      el('p', { class: 'muted small', text: 'Press Delete to remove it.' }),
    );
  } else {
    renderWorkflowPanel(panel, designer.model, (what) => {
      markDirty();
      if (what === 'name') $('designer-title').textContent = designer.model.doc.name || designer.definitionId;
    });
  }
}

// Removes the selected node (with its connections) or edge; Undo (Ctrl+Z, or the button in the status line) puts it
// back as it was.
function removeSelection() {
  const cell = designer.selected;
  if (!cell) return;
  const graph = designer.graph;
  const edges = cell.isNode() ? graph.getConnectedEdges(cell) : [cell];
  const removed = {
    activity: cell.isNode() ? designer.model.activities.get(cell.id) : null,
    position: cell.isNode() ? cell.getPosition() : null,
    edges: edges.map((e) => ({ source: e.getSourceCellId(), port: e.getSourcePortId(), target: e.getTargetCellId(), json: edgeJson.get(e.id) })),
  };
  // Keyboard focus moves on to a neighbour, so Tab and the arrows go on from where the node was.
  const focused = cell.isNode() && graph.findViewByCell(cell)?.container?.contains(document.activeElement);
  const neighbour = focused ? [[1, 0], [0, 1], [-1, 0], [0, -1]].map((d) => nearest(cell, d)).find(Boolean) : null;
  if (cell.isNode()) designer.model.remove(cell.id);
  graph.removeCell(cell);
  designer.errors = designer.errors.filter((e) => e.activity_id !== cell.id);
  designer.undo.push(removed);
  select(null);
  markDirty();
  if (neighbour) focusNode(neighbour);
  const what = removed.activity ? `activity ${removed.activity.name || removed.activity.id}` : 'the connection';
  const undo = el('button', { type: 'button', class: 'link', 'data-action': 'undo' }, 'Undo');
  undo.addEventListener('click', undoRemove);
  $('designer-status').replaceChildren(`Removed ${what}. `, undo, el('span', { class: 'muted', text: ' (Ctrl+Z)' }));
  $('designer-status').dataset.kind = 'info';
}

function undoRemove() {
  const removed = designer.undo.pop();
  if (!removed) return;
  const graph = designer.graph;
  let node = null;
  if (removed.activity) {
    designer.model.activities.set(removed.activity.id, removed.activity);
    node = graph.addNode(nodeConfig(removed.activity, removed.position));
  }
  for (const e of removed.edges) {
    const source = graph.getCellById(e.source);
    if (!source || !graph.getCellById(e.target)) continue;
    if (!source.hasPort(e.port)) source.addPort({ id: e.port, group: 'out', attrs: { text: { text: e.port } } });
    const edge = graph.addEdge(edgeConfig({ source: { cell: e.source, port: e.port }, target: { cell: e.target, port: 'In' } }));
    if (e.json) edgeJson.set(edge.id, e.json);
  }
  markDirty();
  status(`Restored ${removed.activity ? `activity ${removed.activity.name || removed.activity.id}` : 'the connection'}.`);
  if (node) {
    select(node);
    graph.findViewByCell(node)?.container?.focus();
  } else {
    styleAll();
  }
}

// ---- loading the definition onto the canvas ----

function draw(definition) {
  const graph = designer.graph;
  designer.model.load(definition);
  graph.clearCells();
  const activities = [...designer.model.activities.values()];
  const connections = (definition.root.connections ?? []).filter((c) => c && typeof c === 'object');
  const links = connections.map((c) => ({ source: c.source?.activity, target: c.target?.activity }));
  const missing = activities.some((a) => !designer.model.position(a));
  const layout = missing ? layeredLayout(activities.map((a) => a.id), links, { ...LAYOUT, fit: canvasSize() }) : null;
  for (const activity of activities) {
    graph.addNode(nodeConfig(activity, layout ? layout.get(activity.id) : designer.model.position(activity)));
  }
  for (const connection of connections) {
    const source = connection.source?.activity;
    const target = connection.target?.activity;
    if (!graph.getCellById(source) || !graph.getCellById(target)) continue; // dangling: validation reports it; kept out of the canvas
    const port = connection.source?.port ?? 'Done';
    const node = graph.getCellById(source);
    if (!node.hasPort(port)) node.addPort({ id: port, group: 'out', attrs: { text: { text: port } } });
    const edge = graph.addEdge(edgeConfig({ source: { cell: source, port }, target: { cell: target, port: 'In' } }));
    edgeJson.set(edge.id, connection);
  }
  select(null);
  fit();
}

const edgeJson = new Map(); // x6 edge id -> the loaded connection object (its unknown keys survive saving)

function currentDefinition() {
  const graph = designer.graph;
  const nodes = graph.getNodes().map((n) => ({ id: n.id, ...n.getPosition() }));
  const edges = graph.getEdges()
    .filter((e) => e.getSourceCellId() && e.getTargetCellId())
    .map((e) => ({ source: e.getSourceCellId(), sourcePort: e.getSourcePortId() ?? 'Done', target: e.getTargetCellId(), json: edgeJson.get(e.id) }));
  return designer.model.serialize(nodes, edges);
}

// ---- validation, save, import, export, run ----

function showErrors(errors) {
  designer.errors = errors;
  const list = $('designer-error-list');
  list.replaceChildren();
  $('designer-errors').hidden = errors.length === 0;
  for (const error of errors) {
    const item = el('li', { 'data-error-activity': error.activity_id ?? '' });
    if (error.activity_id && designer.graph.getCellById(error.activity_id)) {
      const link = el('button', { type: 'button', class: 'link' }, error.message);
      link.addEventListener('click', () => {
        const node = designer.graph.getCellById(error.activity_id);
        const visible = designer.graph.getGraphArea();
        if (!visible?.containsRect?.(node.getBBox())) designer.graph.centerCell(node);
        select(node);
      });
      item.append(link);
    } else {
      item.append(error.message);
    }
    list.append(item);
  }
  styleAll();
  renderPanel();
}

async function validate() {
  try {
    const result = await api('POST', '/api/workflows/validate', currentDefinition());
    showErrors(result.errors);
    status(result.valid ? 'Valid: no errors.' : `${result.errors.length} validation error${result.errors.length === 1 ? '' : 's'}.`, result.valid ? 'ok' : 'error');
  } catch (e) {
    status(e.message, 'error');
  }
}

async function save() {
  try {
    const result = await api('POST', '/api/workflows', currentDefinition());
    designer.version = result.version;
    designer.dirty = false;
    designer.errorCount = result.errors.length;
    root.dataset.version = String(result.version);
    $('designer-version').textContent = `v${result.version}`;
    $('designer-unsaved').hidden = true;
    history.replaceState(null, '', `/workflows/${encodeURIComponent(result.definition_id)}/design?version=${result.version}`);
    // Keep editing the stored document: its version, id and isLatest are now the saved ones.
    Object.assign(designer.model.doc, { version: result.definition.version, id: result.definition.id, isLatest: result.definition.isLatest });
    showErrors(result.errors);
    status(result.valid ? `Saved version ${result.version}.` : `Saved version ${result.version} as a draft: ${result.errors.length} validation error${result.errors.length === 1 ? '' : 's'} (it cannot run until they are fixed).`,
      result.valid ? 'ok' : 'error');
  } catch (e) {
    status(e.message, 'error');
  }
}

function exportJson() {
  const text = `${JSON.stringify(currentDefinition(), null, 2)}\n`;
  const link = el('a', { href: URL.createObjectURL(new Blob([text], { type: 'application/json' })), download: `${designer.definitionId}-v${designer.version}.json` });
  document.body.append(link);
  link.click();
  setTimeout(() => { URL.revokeObjectURL(link.href); link.remove(); }, 1000);
  status(`Exported ${link.download}.`);
}

async function importJson(file) {
  let definition;
  try {
    definition = JSON.parse(await file.text());
  } catch (e) {
    status(`${file.name}: not valid JSON (${e.message})`, 'error');
    return;
  }
  if (!definition || typeof definition !== 'object' || Array.isArray(definition)) {
    status(`${file.name}: a workflow definition is a JSON object`, 'error');
    return;
  }
  // The file replaces this definition's graph; Save stores it as the next version of this definition.
  definition.definitionId = designer.definitionId;
  edgeJson.clear();
  draw(definition);
  showErrors([]);
  markDirty();
  status(`Imported ${file.name}. Save to store it as a new version of ${designer.definitionId}.`);
}

function openRunDialog() {
  const dialog = $('designer-run-dialog');
  const fields = $('designer-run-inputs');
  fields.replaceChildren();
  $('designer-run-title').textContent = `${designer.model.doc.name || designer.definitionId} v${designer.version}`;
  // A draft (saved with validation errors) cannot run: say so up front instead of refusing after Start.
  const draft = designer.errorCount > 0;
  $('designer-run-start').disabled = draft;
  $('designer-run-result').replaceChildren(
    draft ? el('p', { class: 'error small', 'data-run-draft': '' }, `v${designer.version} is a draft with ${designer.errorCount} validation error${designer.errorCount === 1 ? '' : 's'}: fix ${designer.errorCount === 1 ? 'it' : 'them'} and save before running.`) : '',
    designer.dirty ? el('p', { class: 'error small', text: 'There are unsaved changes: the run uses the saved version. Save first to run them.' }) : '');
  for (const input of designer.model.inputs()) {
    if (!input.name) continue;
    const has = input.defaultValue !== undefined && input.defaultValue !== null;
    fields.append(el('label', {},
      el('span', {}, input.displayName || input.name, ' ', el('span', { class: 'muted small', text: `(${input.type ?? 'String'})${has ? '' : ' required'}` })),
      el('input', { type: 'text', 'data-run-input': input.name, placeholder: has ? `default: ${input.defaultValue}` : '', required: !has }),
      input.description ? el('span', { class: 'muted small', text: input.description }) : null));
  }
  dialog.showModal();
}

async function startRun() {
  const inputs = {};
  for (const field of document.querySelectorAll('[data-run-input]')) if (field.value !== '') inputs[field.dataset.runInput] = field.value;
  const result = $('designer-run-result');
  try {
    const run = await api('POST', `/api/workflows/${encodeURIComponent(designer.definitionId)}/runs`,
      { version: designer.version, inputs, force: $('designer-run-force').checked });
    result.replaceChildren(el('p', { class: 'notice' }, 'Started instance ', el('code', { text: run.instance_id }), ' — ',
      el('a', { href: run.runs_url, 'data-run-link': run.instance_id }, 'follow it on the runs page')));
  } catch (e) {
    const errors = e.problem?.errors ?? [];
    result.replaceChildren(el('div', { class: 'error' }, e.message.split('\n')[0],
      errors.length ? el('ul', {}, errors.map((x) => el('li', { text: x.message }))) : null));
  }
}

// ---- the toolbox ----

function renderToolbox(descriptors, dnd) {
  const box = $('designer-toolbox');
  box.replaceChildren(el('h2', { text: 'Activities' }));
  const categories = new Map();
  for (const d of descriptors) {
    if (!categories.has(d.category)) categories.set(d.category, []);
    categories.get(d.category).push(d);
  }
  for (const [category, list] of categories) {
    const group = el('div', { class: 'tool-group' }, el('h3', { text: category }));
    for (const d of list) {
      // A button: Tab reaches it and Enter or Space adds the activity at the middle of the view (the mouse drags it).
      const item = el('button', { type: 'button', class: 'tool', 'data-type': d.type, title: d.description, 'aria-label': `Add ${d.display_name}` },
        el('span', { text: d.display_name }));
      item.addEventListener('keydown', (event) => {
        if (event.key !== 'Enter' && event.key !== ' ') return;
        event.preventDefault();
        addAtCenter(d.type);
      });
      item.addEventListener('mousedown', (event) => {
        if (event.button !== 0) return;
        event.preventDefault();
        dnd.start(designer.graph.createNode({
          shape: 'rect', width: NODE.width, height: NODE.height,
          attrs: { body: { fill: COLORS.fill, stroke: COLORS.selected, strokeWidth: 2, rx: 8, ry: 8 }, label: { text: d.display_name, fontSize: 13 } },
          data: { type: d.type },
        }), event);
      });
      group.append(item);
    }
    box.append(group);
  }
}

function addAtCenter(type) {
  const activity = designer.model.create(type);
  const area = designer.graph.getGraphArea();
  const node = designer.graph.addNode(nodeConfig(activity, {
    x: Math.round(area.x + area.width / 2 - NODE.width / 2), y: Math.round(area.y + area.height / 2 - NODE.height / 2),
  }));
  markDirty();
  select(node);
  status(`Added ${nodeLabel(activity)}.`);
}

// Canvas nodes are in the tab order: Tab reaches each; arrows move to the nearest node in that direction (selecting it);
// Enter or Space opens its properties in the panel, focused on its first field (Escape there comes back to the node);
// Delete removes it (undoable).
function focusable(node) {
  const view = designer.graph.findViewByCell(node);
  const element = view?.container;
  if (!element) return;
  element.setAttribute('aria-label', `Activity ${String(node.getAttrByPath('label/text') ?? node.id).replace('\n', ', ')}`);
  if (element.hasAttribute('tabindex')) return;
  element.setAttribute('tabindex', '0');
  element.setAttribute('role', 'button');
  element.addEventListener('focus', () => { if (designer.selected !== node) select(node); });
  element.addEventListener('keydown', (event) => {
    const direction = { ArrowRight: [1, 0], ArrowLeft: [-1, 0], ArrowDown: [0, 1], ArrowUp: [0, -1] }[event.key];
    if (direction) {
      event.preventDefault();
      const next = nearest(node, direction);
      if (next) focusNode(next);
    } else if (event.key === 'Enter' || event.key === ' ') {
      event.preventDefault();
      select(node);
      $('designer-panel').querySelector('input:not([readonly]), select, textarea')?.focus();
    } else if (event.key === 'Delete' || event.key === 'Backspace') {
      event.preventDefault();
      event.stopPropagation();
      select(node);
      removeSelection();
    }
  });
}

function focusNode(node) {
  const element = designer.graph.findViewByCell(node)?.container;
  if (!element) return;
  const area = designer.graph.getGraphArea();
  if (!area.containsRect(node.getBBox())) designer.graph.centerCell(node);
  element.focus();
  select(node);
}

// The node nearest to `from` in a direction ([dx, dy]): among the nodes whose centre lies in that direction (within 45°
// of it), the closest, counting sideways distance twice.
function nearest(from, [dx, dy]) {
  const a = from.getBBox().getCenter();
  let best = null;
  let bestScore = Infinity;
  for (const other of designer.graph.getNodes()) {
    if (other === from) continue;
    const b = other.getBBox().getCenter();
    const along = (b.x - a.x) * dx + (b.y - a.y) * dy;
    const across = Math.abs((b.x - a.x) * dy - (b.y - a.y) * dx);
    if (along <= 0 || across > along) continue;
    const score = along + 2 * across;
    if (score < bestScore) { bestScore = score; best = other; }
  }
  return best;
}

function dropNode(dragging) {
  const activity = designer.model.create(dragging.getData().type);
  markDirty();
  return designer.graph.createNode(nodeConfig(activity, { x: 0, y: 0 }));
}

// ---- start ----

function createGraph() {
  const graph = new X6.Graph({
    container: $('designer-canvas'),
    // Render synchronously: with x6's default (async, in animation frames) `data-ready` could be set while nodes
    // were still being drawn (a test counted 12 of 16 on a busy machine). Workflow graphs are tens of nodes.
    async: false,
    autoResize: true,
    background: { color: '#fbfcfe' },
    grid: { visible: true, size: 10, type: 'dot' },
    panning: { enabled: true, eventTypes: ['leftMouseDown'] },
    mousewheel: { enabled: true, modifiers: ['ctrl', 'meta'], minScale: MIN_ZOOM, maxScale: 2 },
    connecting: {
      allowBlank: false,
      allowLoop: false,
      allowNode: false,
      allowEdge: false,
      allowPort: true,
      allowMulti: 'withPort',
      highlight: true,
      snap: { radius: 30 },
      connector: { name: 'smooth' },
      createEdge() { return this.createEdge(edgeConfig({})); },
      validateMagnet({ magnet }) { return magnet.getAttribute('port-group') === 'out'; },
      validateConnection({ sourceCell, targetCell, sourceMagnet, targetMagnet }) {
        return Boolean(sourceMagnet && targetMagnet) && sourceCell !== targetCell &&
          sourceMagnet.getAttribute('port-group') === 'out' && targetMagnet.getAttribute('port-group') === 'in';
      },
    },
    highlighting: {
      magnetAvailable: { name: 'stroke', args: { padding: 3, attrs: { stroke: '#15803d', strokeWidth: 2 } } },
      magnetAdsorbed: { name: 'stroke', args: { padding: 3, attrs: { stroke: '#15803d', strokeWidth: 3 } } },
    },
  });
  graph.on('node:click', ({ node }) => select(node));
  graph.on('edge:click', ({ edge }) => select(edge));
  graph.on('blank:click', () => select(null));
  graph.on('node:moved', () => markDirty());
  graph.on('node:added', ({ node }) => { showCount(); focusable(node); });
  graph.on('node:removed', showCount);
  graph.on('edge:connected', ({ isNew }) => { if (isNew) { markDirty(); styleAll(); } });
  return graph;
}

function bindKeys() {
  document.addEventListener('keydown', (event) => {
    if ((event.ctrlKey || event.metaKey) && event.key.toLowerCase() === 's') {
      event.preventDefault();
      save();
      return;
    }
    const target = event.target;
    const editing = target instanceof Element && (target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName));
    if (event.key === 'Escape' && $('designer-panel').contains(target) && designer.selected?.isNode()) {
      designer.graph.findViewByCell(designer.selected)?.container?.focus();
      return;
    }
    if (editing || $('designer-run-dialog').open) return;
    if ((event.ctrlKey || event.metaKey) && event.key.toLowerCase() === 'z' && designer.undo.length > 0) {
      event.preventDefault();
      undoRemove();
    } else if ((event.key === 'Delete' || event.key === 'Backspace') && designer.selected) {
      event.preventDefault();
      removeSelection();
    } else if ((event.key === 'f' || event.key === 'F') && !event.ctrlKey && !event.metaKey && !event.altKey) {
      event.preventDefault();
      fit();
    }
  });
  window.addEventListener('beforeunload', (event) => { if (designer.dirty) event.preventDefault(); });
}

async function start() {
  if (!window.X6) {
    status('The graph library (/lib/x6/x6.min.js) did not load.', 'error');
    return;
  }
  try {
    const query = Number.isFinite(designer.version) ? `?version=${designer.version}` : '';
    const [descriptors, stored] = await Promise.all([
      api('GET', '/api/workflows/activities'),
      api('GET', `/api/workflows/${encodeURIComponent(designer.definitionId)}${query}`),
    ]);
    designer.graph = createGraph();
    designer.model = new DesignerModel(stored.definition, descriptors);
    designer.model.upstreamOf = (id) => {
      const node = designer.graph.getCellById(id);
      return new Set(node ? designer.graph.getPredecessors(node).map((n) => n.id) : []);
    };
    const dnd = new X6.Dnd({ target: designer.graph, getDropNode: dropNode, validateNode: () => true });
    renderToolbox(descriptors, dnd);
    draw(stored.definition);
    designer.errorCount = stored.error_count;
    showCount();
    for (const node of designer.graph.getNodes()) focusable(node);
    $('designer-version').textContent = `v${stored.version}${stored.is_latest ? '' : ` (latest is v${Math.max(...stored.versions)})`}`;
    status(`Version ${stored.version} of ${stored.versions.length}` +
      (stored.error_count > 0 ? ` · saved as a draft with ${stored.error_count} error${stored.error_count === 1 ? '' : 's'}` : ''));
    bindKeys();
    $('designer-validate').addEventListener('click', validate);
    $('designer-save').addEventListener('click', save);
    $('designer-export').addEventListener('click', exportJson);
    $('designer-layout').addEventListener('click', () => {
      const positions = layeredLayout(designer.graph.getNodes().map((n) => n.id),
        designer.graph.getEdges().map((e) => ({ source: e.getSourceCellId(), target: e.getTargetCellId() })), { ...LAYOUT, fit: canvasSize() });
      for (const node of designer.graph.getNodes()) node.setPosition(positions.get(node.id));
      fit();
      markDirty();
    });
    $('designer-import-file').addEventListener('change', (event) => {
      const file = event.target.files?.[0];
      if (file) importJson(file);
      event.target.value = '';
    });
    $('designer-run').addEventListener('click', openRunDialog);
    $('designer-fit').addEventListener('click', fit);
    $('designer-import').addEventListener('click', () => $('designer-import-file').click());
    $('designer-run-start').addEventListener('click', startRun);
    root.dataset.ready = 'true';
  } catch (e) {
    status(e.message, 'error');
    toast(e.message, 'error');
  }
}

start();
