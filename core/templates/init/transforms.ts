// A TypeScript step: ODIBI calls it with the step's inputs as Arrow tables and runs it without a
// build step. Return an Arrow table or an array of row objects.
export function flagReadings(
  inputs: { readings: { toArray(): { toJSON(): Record<string, unknown> }[] } },
  ctx: { params: { hot_above_c?: number }; log: (message: string) => void },
) {
  const limit = ctx.params.hot_above_c ?? 25;
  const rows = inputs.readings.toArray().map((r) => r.toJSON());
  const flagged = rows.map((r) => ({ ...r, hot: typeof r.temperature_c === 'number' && r.temperature_c > limit }));
  ctx.log(`${flagged.filter((r) => r.hot).length} of ${flagged.length} readings above ${limit} °C`);
  return flagged;
}
