// Presentation only: durations and file sizes. Quantities are core's (ingredient and grocery
// lines come formatted).
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
