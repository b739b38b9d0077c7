// Small, deterministic card transactions for the fraud sample notebook: mostly ordinary spending,
// plus bursts of fast, far-apart, high-value transactions on a few cards (labelled is_fraud).
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { rng } from '../iot/rng.mjs';

const out = path.join(path.dirname(fileURLToPath(import.meta.url)), 'data');
mkdirSync(out, { recursive: true });
const r = rng(777);
const pick = (xs) => xs[Math.floor(r() * xs.length)];
const merchants = ['grocer', 'fuel', 'cafe', 'books', 'pharmacy', 'electronics', 'travel'];
const rows = [];
let id = 1;
const stamp = (t) => new Date(Date.UTC(2025, 8, 1) + t * 1000).toISOString().replace('T', ' ').slice(0, 19);
for (let card = 1; card <= 80; card++) {
  const home = pick(['FR', 'DE', 'ES']);
  let t = Math.floor(r() * 3600 * 24);
  for (let k = 0; k < 20 + Math.floor(r() * 20); k++) {
    t += 3600 + Math.floor(r() * 3600 * 30);
    rows.push(`${id++},K${String(card).padStart(3, '0')},${stamp(t)},${(3 + r() * 80).toFixed(2)},${pick(merchants)},${home},0`);
  }
  if (card % 16 === 0) {
    for (let k = 0; k < 5; k++) {
      t += 60 + Math.floor(r() * 240);
      rows.push(`${id++},K${String(card).padStart(3, '0')},${stamp(t)},${(400 + r() * 1600).toFixed(2)},${pick(['electronics', 'travel'])},${pick(['BR', 'TH', 'US'])},1`);
    }
  }
}
writeFileSync(path.join(out, 'transactions.csv'), `tx_id,card_id,ts,amount,merchant,country,is_fraud\n${rows.join('\n')}\n`);
console.log(`wrote ${rows.length} transactions to ${out}`);
