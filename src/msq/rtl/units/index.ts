/**
 * MSQ streaming layer units (docs/msq-units.md): pooling, residual add and the stream fork, built with the HDL
 * builder, streaming activations in the engine's packing (src/msq/rtl/index.ts packActivations).
 */
export { poolUnit, poolOutShape, globalAvgPoolUnit, type PoolUnitSpec, type GlobalAvgPoolSpec } from './pool.js';
export { addUnit, type AddUnitSpec } from './add.js';
export { forkUnit } from './fork.js';
export { type LaneFormat } from './common.js';
