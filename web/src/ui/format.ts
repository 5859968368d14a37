// Presentation only: how numbers and durations read on screen. Quantities come from core.
// No digit grouping: core writes "1200 g" in ingredient lines, and so does the grocery list.
const number = new Intl.NumberFormat(undefined, { maximumFractionDigits: 2, useGrouping: false });

export function formatNumber(value: number): string {
  return number.format(value);
}

export function formatMinutes(minutes: number): string {
  if (minutes < 60) return `${minutes} min`;
  const h = Math.floor(minutes / 60);
  const m = minutes % 60;
  return m ? `${h} h ${m} min` : `${h} h`;
}

export function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${formatNumber(bytes / 1024)} KB`;
  return `${formatNumber(bytes / 1024 / 1024)} MB`;
}

/** "2–3 cup flour": a row's quantity range (already scaled), unit and name. */
export function quantityText(quantity: number | null, quantityMax: number | null, unit: string): string {
  if (quantity === null) return unit;
  const range = quantityMax !== null ? `${formatNumber(quantity)}–${formatNumber(quantityMax)}` : formatNumber(quantity);
  return unit ? `${range} ${unit}` : range;
}
