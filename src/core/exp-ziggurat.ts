// Tables of the ziggurat method for the standard exponential distribution (Marsaglia & Tsang, "The
// Ziggurat Method for Generating Random Variables", J. Stat. Softw. 5(8), 2000), 256 strips of equal
// area V under f(x) = e^-x, built here from the paper's two constants rather than copied:
//   strip 0 is the base, the rectangle [0, R] × [0, f(R)] plus the tail beyond R (area V = (R + 1)e^-R),
//   drawn as the rectangle [0, X[0]] with X[0] = V / f(R);
//   strip i >= 1 spans [0, X[i]] × [f(X[i]), f(X[i+1])], with X[1] = R and X[i+1] = f⁻¹(V / X[i] + f(X[i])),
//   closing at the mode: X[256] = 0 (the recursion lands there to ~1e-15, checked in the tests).
// A draw picks a strip and a point x = u·X[i]; when x < X[i+1] (about 98.9 % of draws) it lies under
// the curve whatever its height, so no logarithm or exponential is computed: roughly twice the speed
// of the inverse transform -ln(1 - u), whose Math.log dominated the simulator's event-loop benchmark.
export const ZIG_STRIPS = 256;
/** Start of the tail (the paper's r). */
// biome-ignore lint/correctness/noPrecisionLoss: the paper's digits as published (rounded to the nearest double)
export const ZIG_R = 7.69711747013104972;
/** Area of each strip (the paper's v). */
// biome-ignore lint/correctness/noPrecisionLoss: the paper's digits as published (rounded to the nearest double)
export const ZIG_V = 0.0039496598225815571993;

/** Strip edges X[0..256]. */
export const ZIG_X = new Float64Array(ZIG_STRIPS + 1);
/** f(X[i]) = e^-X[i]. */
export const ZIG_F = new Float64Array(ZIG_STRIPS + 1);
/** X[i+1] / X[i]: a uniform u below it is accepted at once (x = u·X[i] < X[i+1]). */
export const ZIG_K = new Float64Array(ZIG_STRIPS);

ZIG_X[0] = ZIG_V / Math.exp(-ZIG_R);
ZIG_X[1] = ZIG_R;
for (let i = 1; i < ZIG_STRIPS - 1; i++) ZIG_X[i + 1] = -Math.log(ZIG_V / ZIG_X[i]! + Math.exp(-ZIG_X[i]!));
ZIG_X[ZIG_STRIPS] = 0;
for (let i = 0; i <= ZIG_STRIPS; i++) ZIG_F[i] = Math.exp(-ZIG_X[i]!);
for (let i = 0; i < ZIG_STRIPS; i++) ZIG_K[i] = ZIG_X[i + 1]! / ZIG_X[i]!;
