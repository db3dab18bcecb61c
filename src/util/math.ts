/** Small integer arithmetic shared across the project. */

/** ⌈a / b⌉ for non-negative integers a and positive b. */
export const ceilDiv = (a: number, b: number): number => Math.floor((a + b - 1) / b);
