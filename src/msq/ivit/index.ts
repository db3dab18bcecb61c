/** I-ViT integer operators (golden) and the nonlinear unit: see docs/ivit.md. */
export * from './conventions.js';
export { ISQRT_ITERS, isqrtNewton } from './isqrt.js';
export { shiftmax, shiftmaxExps } from './shiftmax.js';
export { shiftGelu, shiftSigmoid1702, sigmoidOfExp } from './shiftgelu.js';
export { iLayerNorm, layerNormParams, layerNormStats, layerNormZ, type LayerNormInt } from './layernorm.js';
export * from './job.js';
