// The designer's side panel: the selected activity's properties (one editor per declared input, generated from the
// activity descriptor: type-appropriate fields, defaults as placeholders, descriptions, choices as selects, required
// marked, and the expression kind), or, with nothing selected, the workflow's name, inputs and variables.
import { EXPRESSION_KINDS } from './designer-model.js';

export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (key === 'class') node.className = value;
    else if (key === 'text') node.textContent = value;
    else node.setAttribute(key, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

const show = (value) => (value === null || value === undefined ? '' : typeof value === 'object' ? JSON.stringify(value) : String(value));

// The selected activity. `errors` are the last validation's errors for it; `changed(what)` tells the canvas
// ('label' after a rename, 'ports' after a fork's branches change, 'input' otherwise).
export function renderActivityPanel(container, model, activity, errors, changed, remove) {
  const descriptor = model.descriptor(activity);
  container.replaceChildren();
  container.append(
    el('h2', { text: descriptor?.display_name ?? activity.type }),
    el('p', { class: 'muted small' }, el('code', { text: `${activity.type} v${activity.version ?? 1}` })),
    descriptor ? el('p', { class: 'small', text: descriptor.description }) : el('p', { class: 'error small', text: `Unknown activity type ${activity.type}.` }),
  );
  const general = errors.filter((e) => !e.input);
  if (general.length > 0) container.append(el('ul', { class: 'field-errors' }, general.map((e) => el('li', { text: e.message }))));

  const name = el('input', { type: 'text', value: activity.name ?? '', 'data-field': 'name' });
  name.addEventListener('input', () => { activity.name = name.value; changed('label'); });
  container.append(
    el('label', { class: 'field' }, el('span', { class: 'field-name', text: 'Id' }), el('input', { type: 'text', value: activity.id, readonly: true })),
    el('label', { class: 'field' }, el('span', { class: 'field-name', text: 'Name' }), name),
  );

  for (const input of descriptor?.inputs ?? []) {
    container.append(inputField(model, activity, input, errors.filter((e) => e.input === input.name), changed));
  }
  const declared = new Set((descriptor?.inputs ?? []).map((i) => i.name));
  const reserved = new Set(['id', 'nodeId', 'name', 'type', 'version', 'customProperties', 'metadata', 'canStartWorkflow', 'runAsynchronously', 'displayName', 'description']);
  const extra = Object.keys(activity).filter((k) => !reserved.has(k) && !declared.has(k) && activity[k] && typeof activity[k] === 'object' && ('expression' in activity[k] || 'typeName' in activity[k]));
  if (extra.length > 0) {
    container.append(el('p', { class: 'small warn-text', text: `Inputs this type does not declare (kept as written): ${extra.join(', ')}` }));
  }
  const del = el('button', { type: 'button', class: 'small danger', 'data-action': 'delete' }, 'Delete activity');
  del.addEventListener('click', remove);
  container.append(el('div', { class: 'panel-actions' }, del));
}

function inputField(model, activity, input, errors, changed) {
  const current = model.input(activity, input.name);
  const known = !current || EXPRESSION_KINDS.includes(current.kind);
  const field = el('div', { class: `field${errors.length ? ' has-error' : ''}`, 'data-input': input.name });
  const heading = el('div', { class: 'field-name' },
    el('span', { text: input.name }),
    input.required ? el('span', { class: 'required', title: 'required', text: ' *' }) : null,
    el('span', { class: 'type-tag', text: input.type === 'artifact' ? `artifact<${input.artifact_kind}>` : input.type }));
  field.append(heading, el('p', { class: 'muted small', text: input.description }));

  if (!known) {
    field.append(el('p', { class: 'small warn-text', text: `${current.kind} expression (not run by this engine; kept as written):` }),
      el('code', { class: 'block', text: show(current.value) }));
  } else {
    const kind = el('select', { class: 'kind', 'data-kind': input.name, title: 'Where the value comes from', 'aria-label': `${input.name}: where the value comes from` },
      EXPRESSION_KINDS.map((k) => el('option', { value: k, text: k })));
    kind.value = current?.kind ?? (input.type === 'artifact' ? 'Output' : 'Literal');
    const slot = el('div', { class: 'editor' });
    const render = (value) => slot.replaceChildren(editor(model, activity, input, kind.value, value, changed));
    kind.addEventListener('change', () => { model.setInput(activity, input, kind.value, null); render(null); changed('input'); });
    render(current?.value ?? null);
    field.append(el('div', { class: 'field-row' }, kind, slot));
  }
  if (errors.length > 0) field.append(el('ul', { class: 'field-errors' }, errors.map((e) => el('li', { text: e.message }))));
  return field;
}

function editor(model, activity, input, kind, value, changed) {
  const set = (v) => { model.setInput(activity, input, kind, v); changed(input.name === 'branches' ? 'ports' : 'input'); };
  const select = (options, placeholder, convert = (v) => v) => {
    const list = [...options];
    if (value !== null && value !== '' && !list.includes(show(value))) list.push(show(value));
    const s = el('select', { 'data-value': input.name, 'aria-label': input.name }, el('option', { value: '', text: placeholder }), list.map((o) => el('option', { value: o, text: o })));
    s.value = show(value);
    s.addEventListener('change', () => set(s.value === '' ? null : convert(s.value)));
    return s;
  };
  const text = (placeholder) => {
    const t = el('input', { type: 'text', 'data-value': input.name, value: show(value), placeholder, 'aria-label': input.name });
    t.addEventListener('input', () => set(t.value === '' ? null : t.value));
    return t;
  };
  const fallback = input.default !== null && input.default !== undefined ? `default: ${show(input.default)}` : input.required ? 'required' : 'not set';
  switch (kind) {
    case 'Input':
      return select(model.inputs().map((i) => i.name).filter(Boolean), '(choose a workflow input)');
    case 'Variable':
      return select(model.variables().map((v) => v.name).filter(Boolean), '(choose a variable)');
    case 'Output':
      return select(model.outputChoices(activity, input), '(choose activity.output)');
    case 'Artifact':
      return text('sha256 or a unique prefix');
    case 'Formula':
      return text('e.g. Output:eval.winRate >= 0.6');
    default:
      break;
  }
  if (input.choices?.length) return select(input.choices, `(${fallback})`);
  if (input.type === 'boolean') return select(['true', 'false'], `(${fallback})`, (v) => v === 'true');
  if (input.type === 'integer' || input.type === 'number') {
    const n = el('input', { type: 'number', step: input.type === 'integer' ? '1' : 'any', 'data-value': input.name, value: show(value), placeholder: fallback, 'aria-label': input.name });
    n.addEventListener('input', () => set(n.value === '' ? null : Number(n.value)));
    return n;
  }
  if (value !== null && typeof value === 'object') {
    const area = el('textarea', { rows: 3, 'data-value': input.name, placeholder: 'JSON' });
    area.value = JSON.stringify(value, null, 2);
    area.addEventListener('input', () => {
      if (area.value === '') return set(null);
      try { set(JSON.parse(area.value)); } catch { set(area.value); }
    });
    return area;
  }
  return text(input.type === 'file' ? `path (${fallback})` : fallback);
}

// Nothing selected: the workflow's own settings.
export function renderWorkflowPanel(container, model, changed) {
  const doc = model.doc;
  container.replaceChildren();
  const name = el('input', { type: 'text', value: doc.name ?? '', 'data-field': 'workflow-name' });
  name.addEventListener('input', () => { doc.name = name.value; changed('name'); });
  const description = el('textarea', { rows: 2, 'data-field': 'workflow-description' });
  description.value = doc.description ?? '';
  description.addEventListener('input', () => { doc.description = description.value; changed('input'); });
  container.append(
    el('h2', { text: 'Workflow' }),
    el('p', { class: 'muted small', text: 'Select an activity to edit it. Drag activity types from the left (or focus one and press Enter); connect an output port (right) to an input port (left).' }),
    el('p', { class: 'muted small', text: 'Keys: Tab reaches the activities; arrows move between them, Enter edits (Escape returns), Delete removes (Ctrl+Z undoes), F fits the graph into view.' }),
    el('label', { class: 'field' }, el('span', { class: 'field-name', text: 'Name' }), name),
    el('label', { class: 'field' }, el('span', { class: 'field-name', text: 'Description' }), description),
  );

  const rerender = () => { renderWorkflowPanel(container, model, changed); changed('input'); };
  const inputs = model.inputs();
  container.append(el('h3', { text: 'Inputs' }), el('p', { class: 'muted small', text: 'Values given when a run starts (Input expressions read them).' }));
  inputs.forEach((input, index) => {
    const row = el('div', { class: 'def-row', 'data-workflow-input': input.name ?? '' });
    row.append(
      bound(input, 'name', 'name'),
      bound(input, 'defaultValue', 'default', true),
      typeSelect(input, 'type', ['String', 'Int32', 'Double', 'Boolean']),
      removeButton(() => { inputs.splice(index, 1); rerender(); }),
      bound(input, 'description', 'description'),
    );
    container.append(row);
  });
  const addInput = el('button', { type: 'button', class: 'small', 'data-action': 'add-input' }, '+ Input');
  addInput.addEventListener('click', () => {
    inputs.push({ name: uniqueName(inputs, 'input'), type: 'String', displayName: '', description: '', isArray: false });
    rerender();
  });
  container.append(addInput);

  const variables = model.variables();
  container.append(el('h3', { text: 'Variables' }), el('p', { class: 'muted small', text: 'Set by SetVariable, read by Variable expressions and formulas.' }));
  variables.forEach((variable, index) => {
    const row = el('div', { class: 'def-row', 'data-workflow-variable': variable.name ?? '' });
    row.append(
      bound(variable, 'name', 'name'),
      bound(variable, 'value', 'initial value', true),
      typeSelect(variable, 'typeName', ['String', 'Int32', 'Double', 'Boolean', 'Object']),
      removeButton(() => { variables.splice(index, 1); rerender(); }),
    );
    container.append(row);
  });
  const addVariable = el('button', { type: 'button', class: 'small', 'data-action': 'add-variable' }, '+ Variable');
  addVariable.addEventListener('click', () => {
    const name = uniqueName(variables, 'variable');
    variables.push({ id: name, name, typeName: 'String', isArray: false, value: '' });
    rerender();
  });
  container.append(addVariable);

  function bound(target, key, placeholder, optional = false) {
    const t = el('input', { type: 'text', value: show(target[key]), placeholder, title: placeholder, 'aria-label': placeholder });
    t.addEventListener('input', () => {
      if (optional && t.value === '') delete target[key];
      else target[key] = t.value;
      if (key === 'name' && 'displayName' in target && target.displayName === '') target.displayName = t.value;
      changed('input');
    });
    return t;
  }
  function typeSelect(target, key, types) {
    const list = types.includes(target[key]) || !target[key] ? types : [...types, target[key]];
    const s = el('select', { title: 'type', 'aria-label': 'type' }, list.map((t) => el('option', { value: t, text: t })));
    s.value = target[key] ?? types[0];
    s.addEventListener('change', () => { target[key] = s.value; changed('input'); });
    return s;
  }
  function removeButton(action) {
    const b = el('button', { type: 'button', class: 'small link', title: 'remove', 'aria-label': 'remove' }, '✕');
    b.addEventListener('click', action);
    return b;
  }
}

function uniqueName(list, base) {
  const names = new Set(list.map((x) => x.name));
  let n = list.length + 1;
  while (names.has(`${base}${n}`)) n++;
  return `${base}${n}`;
}
