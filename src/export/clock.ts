/**
 * The fabric clock a Zynq-7000 PS7 can make on FCLK_CLK0. FCLK0 is a PLL output divided by two cascaded 6-bit
 * integer dividers (FPGA0_CLK_CTRL DIVISOR0 and DIVISOR1, 1..63 each; Zynq-7000 TRM UG585, "PL Clocks"); Vivado's
 * PS7 configuration takes it from the IO PLL, which the PYNQ-Z2 and ZC706 presets run at 1000 MHz. So FCLK0 =
 * 1000 MHz / (d0 · d1): 100, 125, 142.857, 166.667, 200, 250 MHz, … — `--clock 150` becomes 142.857 MHz.
 * The export rounds a request to the nearest such clock, says so, and writes the achieved value everywhere (PS7
 * setting, XDC period, wrapper FREQ_HZ, reports, driver CLOCK_MHZ).
 */
import { fail } from '../util/errors.js';

/** IO PLL frequency of the PS7 presets (MHz). */
export const IO_PLL_MHZ = 1000;
/** Each FCLK divider is 6 bits. */
export const MAX_DIVISOR = 63;
/** The range the export accepts (PL clocks above 250 MHz are not timing-closable for these designs; below 10 MHz is not useful). */
export const MIN_CLOCK_MHZ = 10;
export const MAX_CLOCK_MHZ = 250;

export interface FabricClock {
  /** the clock FCLK0 makes (MHz), rounded to 6 decimals for the artifacts */
  mhz: number;
  /** its exact frequency in Hz (integer, as FREQ_HZ takes it) */
  hz: number;
  /** the two divisors (d0 ≤ d1), d0 · d1 = total */
  divisors: [number, number];
  total: number;
  /** the request, when it differed from `mhz` */
  requestedMHz?: number;
}

const round6 = (x: number) => Math.round(x * 1e6) / 1e6;

/** Total divisors the two 6-bit dividers can make, within the accepted clock range. */
export function achievableDivisors(): number[] {
  const out: number[] = [];
  const lo = Math.ceil(IO_PLL_MHZ / MAX_CLOCK_MHZ), hi = Math.floor(IO_PLL_MHZ / MIN_CLOCK_MHZ);
  for (let n = lo; n <= hi; n++) if (splitDivisor(n)) out.push(n);
  return out;
}

function splitDivisor(n: number): [number, number] | undefined {
  for (let d0 = 1; d0 <= MAX_DIVISOR; d0++) {
    if (n % d0 === 0 && n / d0 <= MAX_DIVISOR && d0 <= n / d0) return [d0, n / d0];
  }
  return undefined;
}

function clockOf(n: number): FabricClock {
  return { mhz: round6(IO_PLL_MHZ / n), hz: Math.round((IO_PLL_MHZ * 1e6) / n), divisors: splitDivisor(n)!, total: n };
}

/** Every FCLK0 clock in [MIN_CLOCK_MHZ, MAX_CLOCK_MHZ], fastest first. */
export function achievableClocks(): number[] {
  return achievableDivisors().map((n) => clockOf(n).mhz);
}

/** The achievable clock nearest `requestMHz` (ties: the slower one, which times more easily). */
export function nearestClock(requestMHz: number): FabricClock {
  let best: FabricClock | undefined;
  for (const n of achievableDivisors()) {
    const c = clockOf(n);
    if (!best || Math.abs(c.mhz - requestMHz) < Math.abs(best.mhz - requestMHz) - 1e-9) best = c;
  }
  return best!;
}

/**
 * The fabric clock for a `--clock` request (MHz). Outside [10, 250] MHz: a one-line error naming the nearest
 * achievable clocks. Otherwise the nearest achievable clock, with `requestedMHz` set when it was rounded.
 */
export function planFabricClock(requestMHz: number, field = '--clock'): FabricClock {
  if (!Number.isFinite(requestMHz) || requestMHz <= 0) fail(field, `must be a frequency in MHz, got '${requestMHz}'`);
  if (requestMHz < MIN_CLOCK_MHZ || requestMHz > MAX_CLOCK_MHZ) {
    const all = achievableClocks();
    const near = requestMHz > MAX_CLOCK_MHZ ? all.slice(0, 3) : all.slice(-3).reverse();
    fail(field, `${requestMHz} MHz is outside what the PS7's FCLK0 can make for the fabric (${MIN_CLOCK_MHZ}..${MAX_CLOCK_MHZ} MHz, IO PLL ${IO_PLL_MHZ} MHz / integer divisors): the nearest achievable clocks are ${near.map((x) => `${x} MHz`).join(', ')}`);
  }
  const c = nearestClock(requestMHz);
  return Math.abs(c.mhz - requestMHz) > 1e-6 ? { ...c, requestedMHz: requestMHz } : c;
}
