#!/usr/bin/env node
// Generates the IoT sample data: a device dimension and sensor readings with the defects a real
// feed has (nulls, duplicate deliveries, unparseable and out-of-range values). Deterministic: the
// same arguments always give the same files, so tests can assert exact outputs.
//
//   node generate.mjs [--readings N] [--devices N] [--out DIR]
import { createWriteStream, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { rng } from './rng.mjs';

const args = Object.fromEntries(process.argv.slice(2).reduce((acc, a, i, all) => (a.startsWith('--') ? [...acc, [a.slice(2), all[i + 1]]] : acc), []));
const READINGS = Number(args.readings ?? 2000);
const DEVICES = Number(args.devices ?? 12);
const OUT = path.resolve(args.out ?? path.join(path.dirname(fileURLToPath(import.meta.url)), 'data'));

const rand = rng(42);
const SITES = ['plant-north', 'plant-south', 'warehouse-east', 'office-hq'];
const MODELS = ['TX-100', 'TX-200', 'HX-9'];

mkdirSync(OUT, { recursive: true });
const devices = ['device_id,site,model,installed_on'];
for (let d = 1; d <= DEVICES; d++) {
  devices.push(`D${String(d).padStart(4, '0')},${SITES[d % SITES.length]},${MODELS[d % MODELS.length]},2024-0${1 + (d % 9)}-1${d % 10}`);
}
writeFileSync(path.join(OUT, 'devices.csv'), `${devices.join('\n')}\n`);

const start = Date.UTC(2025, 0, 1);
const spanMs = 30 * 24 * 3600 * 1000;
const tmp = path.join(OUT, '.readings.csv.tmp');
const out = createWriteStream(tmp);
const write = (s) => (out.write(s) ? Promise.resolve() : new Promise((r) => out.once('drain', r)));
await write('reading_id,device_id,ts,temperature_c,humidity_pct,battery_pct\n');
let batch = [];
for (let i = 1; i <= READINGS; i++) {
  const device = `D${String(1 + Math.floor(rand() * DEVICES)).padStart(4, '0')}`;
  const ts = new Date(start + Math.floor((i / READINGS) * spanMs)).toISOString().slice(0, 19).replace('T', ' ');
  const base = 18 + (device.charCodeAt(4) % 7) + Math.sin(i / 50) * 4;
  let temp = (base + rand() * 3).toFixed(2);
  let hum = (35 + rand() * 30).toFixed(1);
  const battery = (100 - (i / READINGS) * 40 - rand() * 5).toFixed(1);
  let dev = device;
  let when = ts;
  const r = rand();
  if (r < 0.02) temp = '';                 // missing temperature
  else if (r < 0.03) hum = '';             // missing humidity
  else if (r < 0.034) temp = 'ERR';        // sensor error code
  else if (r < 0.037) temp = '999.0';      // out-of-range glitch
  else if (r < 0.039) dev = '';            // unknown device
  else if (r < 0.041) when = 'not-a-date'; // broken clock
  const line = `${i},${dev},${when},${temp},${hum},${battery}\n`;
  batch.push(line);
  if (rand() < 0.01) batch.push(line);     // duplicate delivery
  if (batch.length >= 10000) { await write(batch.join('')); batch = []; }
}
await write(batch.join(''));
await new Promise((r) => out.end(r));
renameSync(tmp, path.join(OUT, 'readings.csv'));
console.log(`wrote ${READINGS} readings and ${DEVICES} devices to ${OUT}`);
