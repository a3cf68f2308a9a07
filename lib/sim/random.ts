/**
 * Seeded pseudo-random numbers for the simulator, so that a test (or a user reporting a
 * simulator run) replays the same drift, noise and faults from the same seed.
 */

/** Mulberry32: small, fast, good enough for noise; not for anything secret. */
export class Random {
  private state: number;

  constructor(seed = 1) {
    this.state = seed >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Uniform in [min, max). */
  between(min: number, max: number): number {
    return min + (max - min) * this.next();
  }

  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return p > 0 && this.next() < p;
  }

  /** Roughly normal (sum of uniforms), mean 0, standard deviation `sd`. */
  gauss(sd: number): number {
    return (this.next() + this.next() + this.next() - 1.5) * 2 * sd;
  }

  /** A new generator whose sequence does not depend on how much this one is used later. */
  fork(salt: number): Random {
    return new Random((this.state ^ Math.imul(salt + 1, 0x9e3779b1)) >>> 0);
  }
}

/** A stable 32-bit seed from a text (device name, serial number). */
export function seedFromText(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 16777619);
  }
  return h >>> 0;
}
