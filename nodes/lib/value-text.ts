/**
 * Values as a badge shows them: "13.38 V", "81 %", "−12.0 A", "Bulk". Decimals by unit, as the
 * VictronConnect app shows them (voltages to 10 mV, currents to 0.1 A, power to the watt), a
 * real minus sign, and the text of an enumeration rather than its code.
 */

const DECIMALS: Readonly<Record<string, number>> = {
  V: 2,
  A: 1,
  W: 0,
  '%': 0,
  '°C': 1,
  Ah: 1,
  kWh: 2,
  VA: 0,
  Hz: 1,
};

export type ShownValue = number | string | boolean | null;

/** One value with its unit; `text` (an enumeration's meaning) wins over the number. */
export function valueText(value: ShownValue, unit: string, text?: string): string {
  if (text !== undefined && text !== '') return text;
  if (value === null) return '–';
  if (typeof value === 'boolean') return value ? 'on' : 'off';
  if (typeof value === 'string') return unit ? `${value} ${unit}` : value;
  const decimals = DECIMALS[unit] ?? (Number.isInteger(value) ? 0 : 2);
  const digits = Math.abs(value).toFixed(decimals);
  // "-0.0" is not a reading anyone wants to see.
  const sign = value < 0 && Number(digits) !== 0 ? '\u2212' : '';
  return unit ? `${sign}${digits} ${unit}` : `${sign}${digits}`;
}

/** Several values on one badge line. */
export function valuesText(values: ReadonlyArray<{ value: ShownValue; unit: string; text?: string }>): string {
  return values.map((v) => valueText(v.value, v.unit, v.text)).join(' ');
}
