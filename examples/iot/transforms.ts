// TypeScript transforms for the IoT example, called by ODIBI as
// fn(inputs: Record<alias, arrow.Table>, ctx: { params, log }). No build step: ODIBI compiles it.
import type { Table } from 'apache-arrow';

interface DailyRow {
  device_id: string;
  site: string;
  model: string;
  day: number;
  readings: bigint | number;
  temperature_readings: bigint | number;
  avg_temperature_c: number | null;
  max_temperature_c: number | null;
  avg_humidity_pct: number | null;
  min_battery_pct: number | null;
}

/** Grades each device-day and adds a comfort index (100 = 21 °C at 45 % humidity). */
export function rateDevices(inputs: { daily: Table }, ctx: { params: { hot_above_c?: number; min_readings?: number }; log: (m: string) => void }) {
  const hot = ctx.params.hot_above_c ?? 25;
  const minReadings = ctx.params.min_readings ?? 1;
  const rows = inputs.daily.toArray().map((r) => r.toJSON() as DailyRow);
  const out = rows.map((r) => {
    const temp = r.avg_temperature_c;
    const hum = r.avg_humidity_pct;
    const status = Number(r.temperature_readings) < minReadings ? 'sparse' : temp !== null && temp > hot ? 'hot' : 'ok';
    const comfort = temp === null || hum === null ? null : Math.round(Math.max(0, 100 - Math.abs(temp - 21) * 6 - Math.abs(hum - 45) * 1.2) * 100) / 100;
    return { ...r, status, comfort_index: comfort };
  });
  ctx.log(`rated ${out.length} device-days, ${out.filter((r) => r.status === 'hot').length} hot`);
  return out;
}
