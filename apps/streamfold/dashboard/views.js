// The four views. Each takes its section and what it needs; none knows about sign-in.
import { query, subscribe } from './gql.js';

const el = (tag, attrs = {}, ...children) => {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  node.append(...children);
  return node;
};
const note = (section, text, missing = false) => {
  const p = section.querySelector('.note');
  p.textContent = text;
  p.classList.toggle('missing', missing);
};

// A context installed before its GraphQL field exists: say which field the view waits for.
const explain = (errors, context, field) =>
  /Cannot query field/.test(errors[0]?.message ?? '') ? `${context} is installed; its GraphQL ${field} is not there yet` : errors[0]?.message;

const TRENDING = `trending(limit: 10) { postId likes comments score post { text authorId } }`;

/** Trending posts; counts that changed flash once. Live when a client is given, else one read. */
export function trendingView(section, client) {
  const list = section.querySelector('.posts');
  const render = (posts) => {
    const before = new Map([...list.children].map((li) => [li.dataset.postId, li.querySelector('.likes').textContent + '/' + li.querySelector('.comments').textContent]));
    list.replaceChildren(...posts.map((p) => {
      const likes = el('span', { class: 'likes' }, String(p.likes));
      const comments = el('span', { class: 'comments' }, String(p.comments));
      const li = el('li', { 'data-post-id': p.postId },
        el('span', { class: 'text' }, p.post ? p.post.text : p.postId),
        el('span', { class: 'meta' }, likes, ' likes · ', comments, ' comments · score ', String(p.score ?? 0), p.post ? ` · by ${p.post.authorId}` : ''));
      const was = before.get(p.postId);
      if (was !== undefined && was !== `${p.likes}/${p.comments}`) li.classList.add('tick');
      return li;
    }));
    note(section, posts.length === 0 ? 'nothing liked or commented in the past hour' : '');
  };
  if (!client) {
    query(`{ ${TRENDING} }`).then(({ data }) => data && render(data.trending));
    return () => undefined;
  }
  return subscribe(client, `subscription { ${TRENDING} }`, {}, (data) => render(data.trending), (errors) => note(section, errors[0].message));
}

/** Lag, throughput (from the change of `processed` between two reads) and dead letters. */
export function pipelineView(section) {
  const body = section.querySelector('tbody');
  let last = null;
  const tick = async () => {
    const summary = await fetch('/dashboard/pipeline').then((r) => r.json()).catch(() => null);
    if (!summary?.projections) return;
    const seconds = last ? (Date.parse(summary.at) - Date.parse(last.at)) / 1000 : 0;
    const before = new Map((last?.projections ?? []).map((p) => [p.name, p.processed]));
    body.replaceChildren(...summary.projections.map((p) => {
      const rate = seconds > 0 && before.has(p.name) ? ((p.processed - before.get(p.name)) / seconds).toFixed(1) : '…';
      return el('tr', { 'data-projection': p.name }, el('td', {}, `${p.name}${p.kind === 'processor' ? ' (processor)' : ''}`), el('td', {}, rate),
        el('td', p.lag > 0 ? { class: 'bad' } : {}, String(p.lag)), el('td', p.deadLetters > 0 ? { class: 'bad' } : {}, String(p.deadLetters)));
    }));
    last = summary;
  };
  void tick();
  const timer = setInterval(tick, 2000);
  return () => clearInterval(timer);
}

const ALERT = 'alertId amount currency threshold transactionAt';

/** The signed-in user's alerts (MyBank `myAlerts`, then `alertRaised` live) and notifications (social `myNotifications`). */
export function alertsView(section, client, has, token) {
  const items = section.querySelector('.items');
  items.replaceChildren();
  const push = (kind, text, at, id) => {
    if (id && items.querySelector(`[data-alert-id="${id}"]`)) return;
    items.prepend(el('li', id ? { 'data-alert-id': id } : {}, `${new Date(at).toLocaleTimeString()} · ${kind}: ${text}`));
  };
  const alert = (a) => push('alert', `${a.amount} ${a.currency} (threshold ${a.threshold})`, a.transactionAt, a.alertId);
  const stops = [];
  if (!has('bank')) note(section, 'MyBank context not installed: large-transaction alerts appear here once it is.', true);
  if (!client) {
    if (has('bank')) note(section, 'sign in to see your alerts');
    return () => undefined;
  }
  if (has('bank')) {
    note(section, '');
    query(`{ myAlerts(limit: 10) { ${ALERT} } }`, {}, token).then(({ data, errors }) => {
      if (errors) return note(section, explain(errors, 'MyBank', 'query myAlerts'));
      [...data.myAlerts].reverse().forEach(alert);
      if (data.myAlerts.length === 0 && items.children.length === 0) note(section, 'no alerts yet: set a threshold (PUT /bank/thresholds/USD or mutation setThreshold)');
    });
    stops.push(subscribe(client, `subscription { alertRaised { ${ALERT} } }`, {}, (d) => { note(section, ''); alert(d.alertRaised); }, (e) => note(section, explain(e, 'MyBank', 'subscription alertRaised'))));
  }
  if (has('social')) stops.push(subscribe(client, 'subscription { myNotifications { message at } }', {}, (d) => push('social', d.myNotifications.message, d.myNotifications.at), () => undefined));
  return () => stops.forEach((stop) => stop());
}

/**
 * Surge regions as hexagons (GetTaxi `surgeCells { region surge boundary }`, boundary from h3's
 * cellToBoundary as [lat, lng] pairs), projected onto the box of all cells: no map tiles.
 */
export function surgeView(section, has) {
  const map = section.querySelector('.map');
  if (!has('taxi')) {
    note(section, 'GetTaxi context not installed: surge cells are drawn here once it is.', true);
    return () => undefined;
  }
  const draw = async () => {
    const { data, errors } = await query('{ surgeCells(limit: 200) { region surge boundary } }');
    if (errors) return note(section, explain(errors, 'GetTaxi', 'query surgeCells'));
    map.innerHTML = hexagonsSvg(data.surgeCells);
    const top = Math.max(1, ...data.surgeCells.map((c) => c.surge));
    note(section, data.surgeCells.length === 0 ? '0 cells: no surge change yet (cli simulate taxi)' : `${data.surgeCells.length} cells, highest ×${top.toFixed(1)}`);
  };
  void draw();
  const timer = setInterval(draw, 3000);
  return () => clearInterval(timer);
}

function hexagonsSvg(cells) {
  const points = cells.flatMap((c) => c.boundary);
  if (points.length === 0) return '';
  const lats = points.map((p) => p[0]), lngs = points.map((p) => p[1]);
  const [minLat, maxLat, minLng, maxLng] = [Math.min(...lats), Math.max(...lats), Math.min(...lngs), Math.max(...lngs)];
  // Equirectangular: a degree of longitude is cos(latitude) of a degree of latitude, so hexagons keep their shape.
  const k = Math.cos((((minLat + maxLat) / 2) * Math.PI) / 180);
  const scale = Math.min(390 / ((maxLng - minLng) * k || 1), 250 / (maxLat - minLat || 1));
  const [dx, dy] = [(400 - (maxLng - minLng) * k * scale) / 2, (260 - (maxLat - minLat) * scale) / 2];
  const x = (lng) => dx + (lng - minLng) * k * scale, y = (lat) => dy + (maxLat - lat) * scale;
  const color = (m) => `hsl(${Math.max(0, 120 - (m - 1) * 60)}, 70%, 50%)`;
  const shapes = cells.map((c) => {
    const corners = c.boundary.map(([lat, lng]) => `${x(lng).toFixed(1)},${y(lat).toFixed(1)}`).join(' ');
    const cx = c.boundary.reduce((s, p) => s + x(p[1]), 0) / c.boundary.length, cy = c.boundary.reduce((s, p) => s + y(p[0]), 0) / c.boundary.length;
    return `<g data-region="${c.region}"><polygon points="${corners}" fill="${color(c.surge)}"><title>${c.region}: ×${c.surge}</title></polygon>` +
      `<text x="${cx.toFixed(1)}" y="${cy.toFixed(1)}" text-anchor="middle" dominant-baseline="middle">×${c.surge.toFixed(1)}</text></g>`;
  });
  return `<svg viewBox="0 0 400 260" role="img" aria-label="surge cells">${shapes.join('')}</svg>`;
}
