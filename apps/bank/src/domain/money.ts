/**
 * Money as decimal strings ("1500.00"), compared exactly as BigInt minor units: never a float.
 * The core database stores NUMERIC(18,2) and Debezium hands it over as a string
 * (decimal.handling.mode=string), so no value is ever rounded on its way to an alert.
 */

/** Currencies the bank knows, with their minor-unit exponent (ISO 4217). */
export const CURRENCIES: Readonly<Record<string, number>> = { USD: 2, EUR: 2, GBP: 2, CHF: 2, JPY: 0 };

export const isKnownCurrency = (code: string): boolean => Object.prototype.hasOwnProperty.call(CURRENCIES, code);

const DECIMAL = /^-?\d{1,15}(\.\d{1,6})?$/;

/** True for a plain decimal string such as "1000", "1000.5" or "-20.00". */
export const isDecimal = (value: unknown): value is string => typeof value === 'string' && DECIMAL.test(value);

/** Scales a decimal string to an integer with `scale` fraction digits (truncation never happens: scale is the max used). */
function scaled(value: string, scale: number): bigint {
  const negative = value.startsWith('-');
  const [whole, fraction = ''] = (negative ? value.slice(1) : value).split('.');
  const digits = BigInt(whole + fraction.padEnd(scale, '0'));
  return negative ? -digits : digits;
}

/** Sign of a - b for two decimal strings, exact whatever their number of fraction digits. */
export function compareDecimal(a: string, b: string): -1 | 0 | 1 {
  if (!isDecimal(a) || !isDecimal(b)) throw new RangeError(`not decimal strings: "${a}", "${b}"`);
  const scale = Math.max(a.split('.')[1]?.length ?? 0, b.split('.')[1]?.length ?? 0);
  const d = scaled(a, scale) - scaled(b, scale);
  return d === 0n ? 0 : d < 0n ? -1 : 1;
}

/** The amount in minor units of its currency, e.g. ("12.34", "USD") → "1234"; null when it has more fraction digits than the currency. */
export function toMinorUnits(amount: string, currency: string): string | null {
  const exponent = CURRENCIES[currency];
  if (exponent === undefined || !isDecimal(amount)) return null;
  if ((amount.split('.')[1]?.length ?? 0) > exponent) return null;
  return scaled(amount, exponent).toString();
}

/** A canonical decimal string with the currency's exponent ("1000" USD → "1000.00"). */
export function normalizeAmount(amount: string, currency: string): string {
  const minor = toMinorUnits(amount, currency);
  if (minor === null) throw new RangeError(`${amount} is not a valid ${currency} amount`);
  const exponent = CURRENCIES[currency];
  if (exponent === 0) return minor;
  const negative = minor.startsWith('-');
  const digits = (negative ? minor.slice(1) : minor).padStart(exponent + 1, '0');
  return `${negative ? '-' : ''}${digits.slice(0, -exponent)}.${digits.slice(-exponent)}`;
}
