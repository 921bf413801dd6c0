// Classwork's number formats: points and shares as pupils and teachers read them.

/** Points without a needless ".0": 1 → "1", 1.5 → "1.5". */
export function points(value) {
  if (value === null || value === undefined) return '—';
  return String(Math.round(Number(value) * 100) / 100);
}

/** A share (0–1) as a whole percent: 0.833 → "83%". */
export function percent(share) {
  if (share === null || share === undefined) return '—';
  return `${Math.round(Number(share) * 100)}%`;
}
