// Draws bench/results/latest.png from latest-details.json: per scenario, our bar against the peer
// (or limit), both scaled to the larger of the two, with values, ratio and target. Pure JS (pureimage).
import { createWriteStream, existsSync, readFileSync } from 'node:fs';
import * as PImage from 'pureimage';

const [input, output] = process.argv.slice(2);
const { meta, rows, details } = JSON.parse(readFileSync(input, 'utf8'));
const keys = Object.keys(rows);
const W = 1500, ROW = 86, TOP = 90, H = TOP + keys.length * ROW + 40;
const img = PImage.make(W, H);
const g = img.getContext('2d');
const fontFile = ['/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf', '/usr/share/fonts/dejavu/DejaVuSans.ttf'].find(existsSync);
let text = () => undefined;
if (fontFile) {
  const font = PImage.registerFont(fontFile, 'DejaVu');
  await font.load();
  text = (s, x, y, size = 16, color = '#222') => {
    g.fillStyle = color;
    g.font = `${size}px DejaVu`;
    g.fillText(String(s), x, y);
  };
}
const fmt = (n) => (n === null || n === undefined || !Number.isFinite(n) ? '—' : Math.abs(n) >= 100 ? Math.round(n).toLocaleString('en-US') : n.toFixed(n >= 10 ? 1 : 2));
g.fillStyle = '#ffffff';
g.fillRect(0, 0, W, H);
text(`Streamfold benchmark (${meta.mode}) — ${meta.date.slice(0, 16).replace('T', ' ')} UTC — ${meta.cores} cores, Node ${meta.node}`, 20, 34, 22, '#111');
text('bar length: ours (blue) and peer/limit (grey) scaled to the larger; ratio > 1 means ours is better', 20, 62, 15, '#555');
const X0 = 230, BARW = 520;
keys.forEach((k, i) => {
  const r = rows[k], d = details[k] ?? {};
  const y = TOP + i * ROW;
  g.fillStyle = i % 2 ? '#f6f7f9' : '#ffffff';
  g.fillRect(0, y - 4, W, ROW);
  text(k, 20, y + 28, 19, '#111');
  text(r.unit ?? '', 20, y + 52, 14, '#666');
  const vals = [r.ours, r.peer].filter((v) => Number.isFinite(v));
  const max = Math.max(...vals, 1e-9);
  const bar = (v, yy, color, label) => {
    const w = Number.isFinite(v) ? Math.max(2, (v / max) * BARW) : 0;
    g.fillStyle = color;
    g.fillRect(X0, yy, w, 26);
    text(label, X0 + w + 8, yy + 19, 15, '#222');
  };
  bar(r.ours, y + 6, '#2f6fdd', `ours ${fmt(r.ours)}`);
  if (Number.isFinite(r.peer)) bar(r.peer, y + 40, '#9aa3ad', `${fmt(r.peer)}  ${r.peerName.length > 48 ? `${r.peerName.slice(0, 47)}…` : r.peerName}`);
  else text(r.peerName ?? 'no peer', X0, y + 60, 14, '#777');
  const ratio = r.ratio === null ? '' : `${r.ratio.toFixed(2)}×`;
  const met = d.meetsTarget === true ? 'target met' : d.meetsTarget === false ? 'target missed' : '';
  text(ratio, 1200, y + 28, 24, d.meetsTarget === true ? '#1a7f37' : d.meetsTarget === false ? '#c2410c' : '#222');
  text(`${d.target ?? ''}`, 1200, y + 52, 14, '#444');
  text(met, 1200, y + 72, 14, d.meetsTarget === false ? '#c2410c' : '#1a7f37');
});
await PImage.encodePNGToStream(img, createWriteStream(output));
