/** The design manifest (design.json): the seam between cores and flows. */
export * from './manifest.js';
export { manifestFromModule, writeDesignManifest, type ManifestOptions, type StreamExtra } from './from-module.js';
export { designFromFolder, simDesignOf, type DesignFolder } from './folder.js';
