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

/** The signed-in user's alerts (MyBank `myAlerts`) and notifications (social `myNotifications`). */
export function alertsView(section, client, has) {
  const items = section.querySelector('.items');
  items.replaceChildren();
  const push = (kind, text, at) => items.prepend(el('li', {}, `${new Date(at).toLocaleTimeString()} · ${kind}: ${text}`));
  const stops = [];
  if (!has('bank')) note(section, 'MyBank context not installed: large-transaction alerts appear here once it is.', true);
  if (!client) {
    if (has('bank')) note(section, 'sign in to see your alerts');
    return () => undefined;
  }
  if (has('bank')) stops.push(subscribe(client, 'subscription { myAlerts { message at } }', {}, (d) => push('alert', d.myAlerts.message, d.myAlerts.at), (e) => note(section, explain(e, 'MyBank', 'subscription myAlerts'))));
  if (has('social')) stops.push(subscribe(client, 'subscription { myNotifications { message at } }', {}, (d) => push('social', d.myNotifications.message, d.myNotifications.at), () => undefined));
  return () => stops.forEach((stop) => stop());
}

/**
 * Surge cells as hexagons (GetTaxi `surgeCells { cell multiplier boundary }`, boundary from h3's
 * cellToBoundary as [lat, lng] pairs), projected onto the box of all cells: no map tiles.
 */
export function surgeView(section, has) {
  const map = section.querySelector('.map');
  if (!has('taxi')) {
    note(section, 'GetTaxi context not installed: surge cells are drawn here once it is.', true);
    return () => undefined;
  }
  const draw = async () => {
    const { data, errors } = await query('{ surgeCells { cell multiplier boundary } }');
    if (errors) return note(section, explain(errors, 'GetTaxi', 'query surgeCells'));
    map.innerHTML = hexagonsSvg(data.surgeCells);
    note(section, `${data.surgeCells.length} cells`);
  };
  void draw();
  const timer = setInterval(draw, 5000);
  return () => clearInterval(timer);
}

function hexagonsSvg(cells) {
  const points = cells.flatMap((c) => c.boundary);
  if (points.length === 0) return '';
  const lats = points.map((p) => p[0]), lngs = points.map((p) => p[1]);
  const [minLat, maxLat, minLng, maxLng] = [Math.min(...lats), Math.max(...lats), Math.min(...lngs), Math.max(...lngs)];
  const scale = Math.min(400 / (maxLng - minLng || 1), 260 / (maxLat - minLat || 1));
  const xy = ([lat, lng]) => `${((lng - minLng) * scale).toFixed(1)},${((maxLat - lat) * scale).toFixed(1)}`;
  const color = (m) => `hsl(${Math.max(0, 120 - (m - 1) * 60)}, 70%, 50%)`;
  const shapes = cells.map((c) => `<polygon points="${c.boundary.map(xy).join(' ')}" fill="${color(c.multiplier)}"><title>${c.cell}: ×${c.multiplier}</title></polygon>`);
  return `<svg viewBox="0 0 400 260" role="img" aria-label="surge cells">${shapes.join('')}</svg>`;
}
