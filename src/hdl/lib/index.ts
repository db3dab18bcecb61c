export { skidBuffer, type SkidOptions } from './skid.js';
export { syncFifo, type FifoOptions } from './fifo.js';
export { axisSlave, axisMaster, axisFire, axisOutputRegs, type AxisOptions, type AxisBundle } from './axis.js';
export { adderTree, muxSelect, muxTree, type TreeOptions, type AdderTreeOptions, type TreeResult } from './tree.js';
export { Struct, type FieldSpec, type FieldLayout } from './struct.js';
