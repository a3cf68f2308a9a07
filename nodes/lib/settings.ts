/** Editor fields as the runtime receives them: numbers arrive as text, blanks mean "default". */

/** A non-negative number of seconds as milliseconds; `fallback` for blank or invalid text. */
export function secondsSetting(value: string | number | undefined, fallbackSeconds: number): number {
  if (value === undefined || value === '') return fallbackSeconds * 1000;
  const n = Number(value);
  return Number.isFinite(n) && n >= 0 ? n * 1000 : fallbackSeconds * 1000;
}

/** A checkbox (saved as a boolean; old flows may hold "true"). */
export function flagSetting(value: boolean | string | undefined): boolean {
  return value === true || value === 'true';
}
