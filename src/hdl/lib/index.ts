export { skidBuffer, type SkidOptions } from './skid.js';
export { syncFifo, type FifoOptions } from './fifo.js';
