// Numbers as they leave the engine. The DSP holds many values as f32 (a kernel's read, a smoothed value close
// to its target), and an f32 printed as an f64 shows noise: 0.3f is 0.30000001192092896. A value is printed as
// the shortest decimal that rounds to the same f32, so 0.3f reads 0.3 and 329.63f reads 329.63.

/** The shortest decimal that rounds to the same f32 as `x` (non-finite values as they are). */
export function shortestF32(x: number): number {
  if (!Number.isFinite(x)) return x;
  const f = Math.fround(x);
  for (let digits = 1; digits <= 9; digits++) {
    const d = Number(f.toPrecision(digits));
    if (Math.fround(d) === f) return d;
  }
  return f; // nine significant digits always identify an f32: not reached
}

/** `v` with every number in it (objects and arrays, deeply) replaced by its shortestF32. */
export function shortestNumbers<T>(v: T): T {
  if (typeof v === "number") return shortestF32(v) as T;
  if (Array.isArray(v)) return v.map((x) => shortestNumbers(x)) as T;
  if (v !== null && typeof v === "object") {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, shortestNumbers(x)])) as T;
  }
  return v;
}
