// Small, deterministic e-commerce data for the sample notebook: customers and orders, with the
// usual mess (duplicate orders, missing amounts, refunds, unknown customers).
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { rng } from '../iot/rng.mjs';

const out = path.join(path.dirname(fileURLToPath(import.meta.url)), 'data');
mkdirSync(out, { recursive: true });
const r = rng(4242);
const pick = (xs) => xs[Math.floor(r() * xs.length)];
const countries = ['FR', 'DE', 'ES', 'IT', 'NL'];
const customers = Array.from({ length: 60 }, (_, i) => ({ customer_id: `C${String(i + 1).padStart(3, '0')}`, country: pick(countries), signup: `2025-0${1 + Math.floor(r() * 6)}-1${Math.floor(r() * 9)}` }));
writeFileSync(path.join(out, 'customers.csv'), `customer_id,country,signup\n${customers.map((c) => `${c.customer_id},${c.country},${c.signup}`).join('\n')}\n`);
const orders = [];
for (let i = 1; i <= 1500; i++) {
  const day = 1 + Math.floor(r() * 28);
  const c = r() < 0.02 ? 'C999' : pick(customers).customer_id;
  const amount = r() < 0.02 ? '' : (5 + r() * 195).toFixed(2);
  const status = r() < 0.06 ? 'refunded' : 'paid';
  const o = `${i},${c},2025-07-${String(day).padStart(2, '0')} ${String(Math.floor(r() * 24)).padStart(2, '0')}:${String(Math.floor(r() * 60)).padStart(2, '0')}:00,${amount},${status},${pick(['web', 'app', 'web', 'store'])}`;
  orders.push(o);
  if (r() < 0.03) orders.push(o);
}
writeFileSync(path.join(out, 'orders.csv'), `order_id,customer_id,ts,amount,status,channel\n${orders.join('\n')}\n`);
console.log(`wrote ${customers.length} customers and ${orders.length} orders to ${out}`);
