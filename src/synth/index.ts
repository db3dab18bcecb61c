export { synthesize, synthCommand, type SynthOptions, type SynthReport } from './synthesize.js';
export { synthesizeMany, reportsOrThrow, type SynthJob, type SynthResult, type ManyOptions } from './many.js';
export { findYosys, yosysInfo, describeYosys, runYosysScript, type YosysTool, type YosysInfo } from '../tools/yosys.js';
export { parseStatJson, resourcesFromCells, statCellCounts, type Resources } from './stat.js';
export { estimateTiming, DELAY_MODEL, type TimingEstimate, type PathStep, type DelayModel } from './timing.js';
export { utilization, type Utilization, type UtilRow } from './utilization.js';
export { formatSynthReport, synthReportJson } from './report.js';
