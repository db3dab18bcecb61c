/** The tracking system around the CCL core (docs/ccl-track.md). */
export { makeScene, renderFrame, sceneClassFile, sceneLabels, type Scene, type SeqOptions } from './seqgen.js';
export { openSequence, memorySequence, type Sequence } from './frames.js';
export { recordSequence, trackRecords, motRows, plainRows, recordConfig, type RecordOptions, type TrackSummary } from './pipeline.js';
export { Tracker, trackSequence, TRACKER_DEFAULTS, type TrackerParams, type TrackRow } from './tracker.js';
export { evaluate, type MotMetrics } from './metrics.js';
export { formatMot, parseMot, type GtRow } from './mot.js';
export { trajectoryPage } from './html.js';
export { learnTemplates, readTemplates, recognize, sampleOf, meanSample, type TemplateLibrary } from './recognize.js';
