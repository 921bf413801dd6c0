// The API reference page: reads /api/v1/openapi.json and shows every operation with its
// parameters, request body and answers, the schemas unfolded from components. Our own
// renderer, no third-party viewer; text only goes in through textContent (`el`).
import { el } from './dom.js';

const DOCUMENT_URL = '/api/v1/openapi.json';
const METHODS = ['get', 'post', 'put', 'patch', 'delete'];
const MAX_DEPTH = 6;

async function main() {
  const description = document.getElementById('api-description');
  let spec;
  try {
    const response = await fetch(DOCUMENT_URL, { headers: { Accept: 'application/json' } });
    if (!response.ok) throw new Error(`${response.status} ${response.statusText}`);
    spec = await response.json();
  } catch (error) {
    description.textContent = `The OpenAPI document could not be loaded: ${error.message}`;
    return;
  }
  document.getElementById('api-title').textContent = `${spec.info.title} ${spec.info.version}`;
  description.textContent = spec.info.description || '';
  const operations = collect(spec);
  renderIndex(operations);
  renderOperations(spec, operations);
  const filter = document.getElementById('api-filter');
  filter.addEventListener('input', () => applyFilter(filter.value.trim().toLowerCase()));
  if (location.hash) document.getElementById(location.hash.slice(1))?.scrollIntoView();
}

/** Every operation as {id, method, path, tag, op}, grouped in the document's tag order. */
function collect(spec) {
  const order = (spec.tags || []).map((tag) => tag.name);
  const found = [];
  for (const [path, item] of Object.entries(spec.paths || {})) {
    for (const method of METHODS) {
      const op = item[method];
      if (!op) continue;
      const tag = (op.tags && op.tags[0]) || 'other';
      found.push({ id: op.operationId || `${method}-${path}`, method, path, tag, op });
    }
  }
  const rank = (tag) => (order.includes(tag) ? order.indexOf(tag) : order.length);
  return found.sort((a, b) => rank(a.tag) - rank(b.tag) || a.path.localeCompare(b.path));
}

function byTag(operations) {
  const groups = new Map();
  for (const operation of operations) {
    if (!groups.has(operation.tag)) groups.set(operation.tag, []);
    groups.get(operation.tag).push(operation);
  }
  return groups;
}

function renderIndex(operations) {
  const nav = document.getElementById('api-nav');
  for (const [tag, items] of byTag(operations)) {
    nav.append(el('h2', { text: tag }));
    for (const item of items) {
      nav.append(
        el(
          'a',
          { href: `#${item.id}`, dataset: { filter: filterText(item) } },
          el('span', { class: `method method-${item.method}`, text: item.method.toUpperCase() }),
          el('span', { text: item.path }),
        ),
      );
    }
  }
}

function renderOperations(spec, operations) {
  const root = document.getElementById('api-operations');
  for (const [tag, items] of byTag(operations)) {
    root.append(el('h2', { class: 'api-tag', text: tag }));
    for (const item of items) root.append(renderOperation(spec, item));
  }
}

function renderOperation(spec, { id, method, path, op }) {
  const card = el(
    'section',
    { class: `api-op${op.deprecated ? ' is-deprecated' : ''}`, id, dataset: { filter: filterText({ method, path, tag: (op.tags || [])[0], op }) } },
    el(
      'h3',
      {},
      el('span', { class: `method method-${method}`, text: method.toUpperCase() }),
      el('code', { text: path }),
      op.deprecated ? el('span', { class: 'badge', text: 'deprecated' }) : null,
    ),
    el('p', { class: 'summary', text: op.summary || '' }),
    op.description ? el('p', { class: 'muted', text: op.description }) : null,
    el('p', { class: 'muted', text: op.security && op.security.length === 0 ? 'No sign-in needed.' : 'Needs a bearer token or a session.' }),
  );
  if (op.parameters && op.parameters.length) card.append(el('h4', { text: 'Parameters' }), parameterTable(spec, op.parameters));
  if (op.requestBody) {
    card.append(el('h4', { text: 'Request body' }));
    for (const [mediaType, content] of Object.entries(op.requestBody.content || {})) {
      card.append(el('p', {}, el('code', { text: mediaType })), schemaView(spec, content.schema, 0));
    }
  }
  card.append(el('h4', { text: 'Responses' }), responseList(spec, op.responses || {}));
  return card;
}

function parameterTable(spec, parameters) {
  const body = el('tbody');
  for (const parameter of parameters) {
    body.append(
      el(
        'tr',
        {},
        el('td', {}, el('code', { text: parameter.name }), parameter.required ? el('span', { class: 'req', text: ' *' }) : null),
        el('td', { text: parameter.in }),
        el('td', { text: typeText(spec, parameter.schema || {}) }),
        el('td', { text: parameter.description || constraints(parameter.schema || {}) }),
      ),
    );
  }
  return el('table', { class: 'api-table' }, el('thead', {}, el('tr', {}, ...['name', 'in', 'type', 'notes'].map((h) => el('th', { text: h })))), body);
}

function responseList(spec, responses) {
  const list = el('div');
  const errors = [];
  for (const [status, answer] of Object.entries(responses)) {
    const schema = (answer.content && answer.content['application/json'] || {}).schema || {};
    if (schema.$ref && refName(schema.$ref) === 'ErrorEnvelope') {
      errors.push(status === 'default' ? 'any other' : `${status} ${answer.description || ''}`);
      continue;
    }
    const row = el('div', { class: 'schema' }, el('span', { class: 'status', text: status }), ` ${answer.description || ''}`);
    for (const [mediaType, content] of Object.entries(answer.content || {})) {
      row.append(el('div', { class: 'note', text: mediaType }), schemaView(spec, content.schema, 0));
    }
    list.append(row);
  }
  if (errors.length) {
    list.append(
      el(
        'details',
        { class: 'schema' },
        el('summary', {}, el('span', { class: 'status', text: 'Errors' }), ` ${errors.join(' · ')}`),
        schemaView(spec, { $ref: '#/components/schemas/ErrorEnvelope' }, 0),
      ),
    );
  }
  return list;
}

/** A schema as a tree of fields: objects unfold (collapsed past the first level). */
function schemaView(spec, schema, depth) {
  const resolved = resolve(spec, schema || {});
  const properties = resolved.properties;
  if (!properties || depth >= MAX_DEPTH) {
    const items = resolved.items && resolve(spec, resolved.items);
    if (items && items.properties && depth < MAX_DEPTH) {
      return el('div', { class: 'schema' }, el('span', { class: 'type', text: typeText(spec, resolved) }), schemaView(spec, items, depth + 1));
    }
    return el('div', { class: 'schema' }, el('span', { class: 'type', text: typeText(spec, resolved) }), note(resolved));
  }
  const required = new Set(resolved.required || []);
  const fields = el('div', { class: 'field' });
  for (const [name, property] of Object.entries(properties)) {
    const inner = resolve(spec, property);
    const nested = inner.properties || (inner.items && resolve(spec, inner.items).properties);
    const line = [el('code', { text: name }), required.has(name) ? el('span', { class: 'req', text: '*' }) : null, ' ', el('span', { class: 'type', text: typeText(spec, property) }), note(inner)];
    if (nested && depth + 1 < MAX_DEPTH) {
      fields.append(el('details', { open: depth === 0 }, el('summary', {}, ...line), schemaView(spec, inner.items ? resolve(spec, inner.items) : inner, depth + 1)));
    } else {
      fields.append(el('div', {}, ...line));
    }
  }
  return el('div', { class: 'schema' }, resolved.title && depth === 0 ? el('div', { class: 'note', text: resolved.title }) : null, fields);
}

function note(schema) {
  const text = [schema.description, constraints(schema)].filter(Boolean).join(' · ');
  return text ? el('span', { class: 'note', text: ` — ${text}` }) : null;
}

function constraints(schema) {
  const parts = [];
  if (schema.enum) parts.push(`one of ${schema.enum.map((v) => JSON.stringify(v)).join(', ')}`);
  if (schema.const !== undefined) parts.push(`= ${JSON.stringify(schema.const)}`);
  for (const [key, label] of [['minimum', '≥'], ['maximum', '≤'], ['minLength', 'length ≥'], ['maxLength', 'length ≤'], ['maxItems', 'items ≤'], ['pattern', 'matches']]) {
    if (schema[key] !== undefined) parts.push(`${label} ${schema[key]}`);
  }
  if (schema.default !== undefined) parts.push(`default ${JSON.stringify(schema.default)}`);
  return parts.join(', ');
}

function typeText(spec, schema) {
  if (schema.$ref) return refName(schema.$ref);
  const options = schema.anyOf || schema.oneOf;
  if (options) return options.map((option) => typeText(spec, option)).join(' | ');
  if (schema.type === 'array') return `array of ${typeText(spec, schema.items || {})}`;
  if (Array.isArray(schema.type)) return schema.type.join(' | ');
  if (schema.format) return `${schema.type || 'string'} (${schema.format})`;
  return schema.type || (schema.const !== undefined ? typeof schema.const : 'any');
}

function refName(ref) {
  return ref.split('/').pop();
}

function resolve(spec, schema) {
  let current = schema;
  for (let hops = 0; current && current.$ref && hops < 20; hops += 1) {
    current = spec.components.schemas[refName(current.$ref)] || {};
  }
  return current || {};
}

function filterText({ method, path, tag, op }) {
  return `${method} ${path} ${tag || ''} ${op.summary || ''}`.toLowerCase();
}

function applyFilter(query) {
  for (const node of document.querySelectorAll('[data-filter]')) {
    node.hidden = Boolean(query) && !node.dataset.filter.includes(query);
  }
}

main();
