// The designer's document model: the Elsa 3 definition as loaded (every key kept), the activities by id in file order,
// and helpers to read and write inputs, ports and positions. The canvas (designer.js) owns layout and edges; this module
// turns canvas + document back into definition JSON without touching keys it does not manage.

export const EXPRESSION_KINDS = ['Literal', 'Input', 'Variable', 'Output', 'Artifact', 'Formula'];

export class DesignerModel {
  constructor(definition, descriptors) {
    this.descriptors = new Map(descriptors.map((d) => [d.type, d]));
    this.load(definition);
  }

  load(definition) {
    this.doc = definition;
    this.doc.root ??= { id: 'flowchart', type: 'Elsa.Flowchart', version: 1, activities: [], connections: [] };
    this.doc.root.activities ??= [];
    this.doc.root.connections ??= [];
    this.activities = new Map();
    for (const activity of this.doc.root.activities) {
      if (activity && typeof activity === 'object' && typeof activity.id === 'string') this.activities.set(activity.id, activity);
    }
  }

  descriptor(activity) { return this.descriptors.get(activity?.type) ?? null; }

  // A fresh activity of a type: id from the type's short name (importDataset, sft, sft2 ...), declared defaults left out.
  create(type) {
    const descriptor = this.descriptors.get(type);
    const short = type.slice(type.lastIndexOf('.') + 1);
    const base = short.charAt(0).toLowerCase() + short.slice(1);
    let id = base;
    for (let n = 2; this.activities.has(id); n++) id = `${base}${n}`;
    const activity = {
      id,
      name: descriptor?.display_name ?? short,
      type,
      version: descriptor?.version ?? 1,
      customProperties: { canStartWorkflow: false, runAsynchronously: false },
      metadata: { designer: { position: { x: 0, y: 0 }, size: { width: 220, height: 64 } } },
    };
    this.activities.set(id, activity);
    return activity;
  }

  remove(id) { this.activities.delete(id); }

  // The outbound ports of an activity: a fork's branches when set, else the type's declared ports.
  outPorts(activity) {
    if (activity.type === 'Elsa.FlowFork') {
      const value = activity.branches?.expression?.value;
      const names = Array.isArray(value) ? value : typeof value === 'string' ? value.split(',') : [];
      const ports = names.map((s) => String(s).trim()).filter((s) => s.length > 0);
      if (ports.length > 0) return ports;
    }
    return this.descriptor(activity)?.ports ?? ['Done'];
  }

  position(activity) {
    const p = activity.metadata?.designer?.position;
    return p && Number.isFinite(Number(p.x)) && Number.isFinite(Number(p.y)) ? { x: Number(p.x), y: Number(p.y) } : null;
  }

  // Writes metadata.designer.position; an unchanged position keeps its object (and key order) as loaded.
  setPosition(activity, x, y) {
    const old = this.position(activity);
    if (old && old.x === x && old.y === y) return;
    activity.metadata ??= {};
    activity.metadata.designer ??= {};
    if (activity.metadata.designer.position) {
      activity.metadata.designer.position.x = x;
      activity.metadata.designer.position.y = y;
    } else {
      activity.metadata.designer.position = { x, y };
    }
  }

  // The input as { kind, value } (kind as written, e.g. "Literal"), or null when the activity does not set it.
  input(activity, name) {
    const input = activity[name];
    if (!input || typeof input !== 'object' || Array.isArray(input)) return null;
    const expression = input.expression ?? {};
    return { kind: expression.type ?? 'Literal', value: expression.value ?? null, typeName: input.typeName };
  }

  // Sets an input's expression; null or '' removes the input (its default applies, or validation reports it missing).
  setInput(activity, descriptor, kind, value) {
    if (value === null || value === undefined || value === '') {
      delete activity[descriptor.name];
      return;
    }
    const existing = activity[descriptor.name];
    if (existing && typeof existing === 'object' && existing.expression && typeof existing.expression === 'object') {
      existing.typeName ??= descriptor.type_name;
      existing.expression.type = kind;
      existing.expression.value = value;
    } else {
      activity[descriptor.name] = { typeName: descriptor.type_name, expression: { type: kind, value } };
    }
  }

  // Outputs of other activities an input may reference: "activityId.outputName", filtered to the types it takes (an
  // artifact input lists its artifact types in `accepts`: a model input takes "model", CreateModel's tokenizer also
  // "tokenizer", TrainTokenizer's weightless output) and to the activities upstream of this one (an output exists only
  // once its activity has run). upstreamOf, when the designer sets it, gives the ids upstream of an activity along the
  // canvas connections. The server's validation applies the same rule.
  outputChoices(activity, descriptor) {
    const choices = [];
    const upstream = this.upstreamOf ? this.upstreamOf(activity.id) : null;
    for (const other of this.activities.values()) {
      if (other === activity) continue;
      if (upstream && !upstream.has(other.id)) continue;
      for (const output of this.descriptor(other)?.outputs ?? []) {
        if (fits(descriptor, output)) choices.push(`${other.id}.${output.name}`);
      }
    }
    return choices;
  }

  inputs() { return Array.isArray(this.doc.inputs) ? this.doc.inputs : (this.doc.inputs = []); }
  variables() { return Array.isArray(this.doc.variables) ? this.doc.variables : (this.doc.variables = []); }

  // The definition JSON for the current canvas: activities in their order (new ones last) with positions, and the
  // connections of the canvas edges (loaded connection objects are updated in place, so their other keys survive).
  serialize(nodes, edges) {
    const byId = new Map(nodes.map((n) => [n.id, n]));
    const kept = [];
    for (const activity of this.doc.root.activities) {
      if (activity && typeof activity === 'object' && byId.has(activity.id) && this.activities.get(activity.id) === activity) kept.push(activity);
    }
    for (const activity of this.activities.values()) if (!kept.includes(activity) && byId.has(activity.id)) kept.push(activity);
    for (const activity of kept) {
      const node = byId.get(activity.id);
      const old = this.position(activity);
      if (!old || Math.abs(old.x - node.x) >= 0.5 || Math.abs(old.y - node.y) >= 0.5) this.setPosition(activity, Math.round(node.x), Math.round(node.y));
    }
    this.doc.root.activities = kept;
    this.doc.root.connections = edges.map((e) => {
      const json = e.json ?? { source: { activity: e.source, port: e.sourcePort }, target: { activity: e.target, port: 'In' }, vertices: [] };
      json.source ??= {};
      json.target ??= {};
      if (json.source.activity !== e.source) json.source.activity = e.source;
      if ((json.source.port ?? 'Done') !== e.sourcePort) json.source.port = e.sourcePort;
      if (json.target.activity !== e.target) json.target.activity = e.target;
      if ((json.target.port ?? 'In') !== 'In') json.target.port = 'In';
      return json;
    });
    return this.doc;
  }
}

// Whether an output can feed an input (the rule of the server's validation, InputDescriptor.Accepts).
function fits(input, output) {
  switch (input.type) {
    case 'artifact': return output.type === 'artifact' && (input.accepts ?? [input.artifact_kind]).includes(output.artifact_type ?? output.artifact_kind);
    case 'string': case 'file': return output.type !== 'artifact';
    case 'integer': case 'number': return output.type === 'number';
    case 'boolean': return output.type === 'boolean';
    default: return false;
  }
}

// Layered layout (also for definitions without positions): back edges of a depth-first walk are ignored, every activity
// goes one layer right of its furthest predecessor, a layer's activities stack top to bottom in the order they were
// listed. Given the canvas size (`fit`), long pipelines wrap: the layers go into bands of `columns` layers, one band
// under the other, with the number of columns that lets the whole graph show at the largest zoom (capped at 100 %) — a
// 16-layer pipeline on a laptop screen becomes six bands of three instead of one 4,000 px row.
export function layeredLayout(ids, links, { dx = 290, dy = 90, bandGap = 60, node = { width: 220, height: 64 }, fit = null, padding = 24 } = {}) {
  const layer = layersOf(ids, links);
  const layers = [];
  for (const id of ids) (layers[layer.get(id)] ??= []).push(id);
  const rowsOf = (l) => layers[l]?.length ?? 0;
  // Bands of `columns` layers: each band as high as its tallest layer; returns the size and each band's top.
  const bands = (columns) => {
    const tops = [];
    let y = 0;
    let height = 0;
    for (let b = 0; b * columns < layers.length; b++) {
      let rows = 0;
      for (let l = b * columns; l < Math.min(layers.length, (b + 1) * columns); l++) rows = Math.max(rows, rowsOf(l));
      tops.push({ y, rows });
      height = y + (rows - 1) * dy + node.height;
      y = height + bandGap;
    }
    const width = (Math.min(columns, layers.length) - 1) * dx + node.width;
    return { tops, width, height };
  };
  let columns = Math.max(1, layers.length);
  if (fit && fit.width > 0 && fit.height > 0 && layers.length > 1) {
    let best = -1;
    for (let c = layers.length; c >= 1; c--) {
      const { width, height } = bands(c);
      const scale = Math.min(1, (fit.width - 2 * padding) / width, (fit.height - 2 * padding) / height);
      if (scale > best + 1e-9) { best = scale; columns = c; }
    }
  }
  // A long chain of one- and two-activity layers wastes most of each band's height; the same activities in layer order,
  // filled row by row into `c` columns, keep every edge going right along a row or down to a later one and may show at a
  // larger zoom. That packing is used only when it shows the graph larger than the bands do.
  if (fit && fit.width > 0 && fit.height > 0 && layers.length > 1) {
    const order = layers.flat();
    const scaleOf = (width, height) => Math.min(1, (fit.width - 2 * padding) / width, (fit.height - 2 * padding) / height);
    const banded = bands(columns);
    let best = scaleOf(banded.width, banded.height), packed = 0;
    for (let c = 1; c <= order.length; c++) {
      const rows = Math.ceil(order.length / c);
      const scale = scaleOf((c - 1) * dx + node.width, (rows - 1) * dy + node.height);
      if (scale > best + 1e-9) { best = scale; packed = c; }
    }
    if (packed > 0) return new Map(order.map((id, i) => [id, { x: (i % packed) * dx, y: Math.floor(i / packed) * dy }]));
  }
  const { tops } = bands(columns);
  const positions = new Map();
  layers.forEach((list, l) => {
    const band = tops[Math.floor(l / columns)];
    const offset = ((band.rows - list.length) * dy) / 2; // a layer with fewer activities sits in the band's middle
    list.forEach((id, row) => positions.set(id, { x: (l % columns) * dx, y: Math.round(band.y + offset + row * dy) }));
  });
  return positions;
}

// The layer of each activity: the longest path from a start along forward edges (a depth-first walk's back edges, the
// loops, are left out).
function layersOf(ids, links) {
  const next = new Map(ids.map((id) => [id, []]));
  for (const l of links) if (next.has(l.source) && next.has(l.target)) next.get(l.source).push(l.target);
  const state = new Map();
  const forward = [];
  const visit = (id) => {
    state.set(id, 'open');
    for (const t of next.get(id)) {
      if (state.get(t) === 'open') continue; // back edge: a loop
      forward.push([id, t]);
      if (!state.has(t)) visit(t);
    }
    state.set(id, 'done');
  };
  const hasInbound = new Set(links.map((l) => l.target));
  for (const id of ids) if (!hasInbound.has(id) && !state.has(id)) visit(id);
  for (const id of ids) if (!state.has(id)) visit(id);

  const layer = new Map(ids.map((id) => [id, 0]));
  for (let changed = true, guard = 0; changed && guard <= ids.length; guard++) {
    changed = false;
    for (const [s, t] of forward) {
      if (layer.get(t) < layer.get(s) + 1) { layer.set(t, layer.get(s) + 1); changed = true; }
    }
  }
  return layer;
}
