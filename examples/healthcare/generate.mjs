// Small, deterministic, entirely synthetic clinic data for the healthcare sample notebook:
// patients and visits with vital signs (some missing, some implausible).
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { rng } from '../iot/rng.mjs';

const out = path.join(path.dirname(fileURLToPath(import.meta.url)), 'data');
mkdirSync(out, { recursive: true });
const r = rng(1234);
const pick = (xs) => xs[Math.floor(r() * xs.length)];
const patients = Array.from({ length: 120 }, (_, i) => ({ id: `P${String(i + 1).padStart(4, '0')}`, birth_year: 1940 + Math.floor(r() * 65), sex: pick(['F', 'M']) }));
writeFileSync(path.join(out, 'patients.csv'), `patient_id,birth_year,sex\n${patients.map((p) => `${p.id},${p.birth_year},${p.sex}`).join('\n')}\n`);
const visits = [];
for (let v = 1; v <= 900; v++) {
  const p = pick(patients);
  const age = 2025 - p.birth_year;
  const sys = r() < 0.03 ? '' : r() < 0.01 ? '400' : String(Math.round(100 + age * 0.5 + r() * 35));
  const dia = sys === '' ? '' : String(Math.round(60 + r() * 30));
  visits.push(`${v},${p.id},2025-0${1 + Math.floor(r() * 9)}-${String(1 + Math.floor(r() * 28)).padStart(2, '0')},${pick(['cardiology', 'general', 'general', 'endocrinology', 'emergency'])},${sys},${dia},${Math.round(55 + r() * 50)}`);
}
writeFileSync(path.join(out, 'visits.csv'), `visit_id,patient_id,visit_date,department,systolic,diastolic,heart_rate\n${visits.join('\n')}\n`);
console.log(`wrote ${patients.length} patients and ${visits.length} visits to ${out}`);
