// The dashboard page: discovers the host's contexts, signs in with a pasted (or, on the embedded
// default, a development) token, and starts the views. No framework, no build step.
import { connect } from './gql.js';
import { alertsView, pipelineView, surgeView, trendingView } from './views.js';

const $ = (id) => document.getElementById(id);
const config = await fetch('/dashboard/config').then((r) => r.json());
const has = (context) => config.contexts.includes(context);
let client = null;
let stops = [];

/** The token's subject, for display only: the server verifies every use of the token itself. */
function subjectOf(token) {
  try {
    return JSON.parse(atob(token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/'))).sub ?? null;
  } catch {
    return null;
  }
}

function start(token) {
  stops.forEach((stop) => stop());
  client?.dispose();
  client = token ? connect(token, (state) => { $('live-state').textContent = state; $('live-state').classList.toggle('live', state === 'live'); }) : null;
  $('who').textContent = token ? `signed in as ${subjectOf(token) ?? '?'}` : 'not signed in';
  $('sign-out').hidden = !token;
  if (!token) $('live-state').textContent = 'sign in for live updates';
  const social = has('social') ? trendingView($('trending'), client) : (document.querySelector('#trending .note').textContent = 'MySocialMedia context not installed', () => undefined);
  stops = [social, alertsView($('alerts'), client, has, token), surgeView($('surge'), has)];
}

$('sign-in').addEventListener('submit', (event) => {
  event.preventDefault();
  const token = $('token').value.trim();
  if (!token) return;
  sessionStorage.setItem('streamfold.token', token);
  $('token').value = '';
  start(token);
});
$('sign-out').addEventListener('click', () => {
  sessionStorage.removeItem('streamfold.token');
  start(null);
});
if (config.devTokens) {
  $('dev').hidden = false;
  $('dev-token').addEventListener('click', async () => {
    const res = await fetch('/dashboard/dev-token', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ userId: $('dev-user').value }) });
    if (res.ok) $('token').value = (await res.json()).token;
  });
}
pipelineView($('pipeline'));
start(sessionStorage.getItem('streamfold.token'));
