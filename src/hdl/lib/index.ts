export { skidBuffer, type SkidOptions } from './skid.js';
export { syncFifo, type FifoOptions } from './fifo.js';
export { axisSlave, axisMaster, axisFire, type AxisOptions, type AxisBundle } from './axis.js';
