/**
 * The I-ViT nonlinear unit beside the MSQ core (src/msq/ivit/rtl): the configuration a core carries and the limits it
 * sets on a transformer (docs/ivit.md). One place for the figures the lowering (vit/lower.ts), the cycle model of a
 * ViT program and the benches use.
 */
import type { NlUnitConfig } from '../../ivit/rtl/index.js';

/** The unit of every preset core: 16-bit elements (Shiftmax takes the 16-bit requantized Q.K^T), rows up to 256. */
export const CORE_NL_UNIT: NlUnitConfig = { inBits: 16, maxLen: 256 };
