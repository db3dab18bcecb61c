/** Reports: JSON + Markdown + one self-contained HTML page with inline SVG charts (docs/reports.md). */
export { barChart, groupedBarChart, lineChart, niceTicks, fmtNum, esc, PALETTE, type BarChartSpec, type GroupedBarSpec, type LineChartSpec, type Bar, type Series, type LineSeries } from './svg.js';
export { makeReport, toMarkdown, toHtml, writeReport, mdTable, chartTable, renderChart, type ReportDoc, type Section, type Table, type Chart, type Cell } from './doc.js';
export { utilizationSection, sweepSection, layersSection, cclFpsSection, accuracySection, type UtilizationLike, type SweepLike, type SweepCandidateLike, type LayerLike, type CclFpsPoint, type AccuracyRow } from './sections.js';
export { folderReport, writeFolderReport } from './from-folder.js';
