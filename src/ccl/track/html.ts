/**
 * The trajectory page of `ccl track --html`: the first frame as a PNG data URI under an SVG of every track's path
 * with its ID and recognised label (templates/ccl/track.html.hbs).
 */
import { encodePng, type RasterImage } from '../../image/io.js';
import { renderTemplate } from '../../util/templates.js';
import type { TrackSummary } from './pipeline.js';

function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

export interface PageInput {
  source: string;
  frames: number;
  cell: number;
  labeler: string;
  first: RasterImage;
  tracks: readonly TrackSummary[];
}

export function trajectoryPage(p: PageInput): string {
  const png = Buffer.from(encodePng(p.first)).toString('base64');
  const { width, height } = p.first;
  const tracks = p.tracks.map((t) => {
    const hue = Math.round((t.id * 137.508) % 360);
    const last = t.path[t.path.length - 1]!;
    return {
      id: t.id, class: escapeXml(t.class), label: escapeXml(t.label),
      distance: t.distance === null ? '–' : t.distance.toFixed(3), first: t.first, last: t.last,
      color: `hsl(${hue}, 100%, 60%)`,
      points: t.path.map(([, x, y]) => `${x.toFixed(1)},${y.toFixed(1)}`).join(' '),
      endX: last[1].toFixed(1), endY: last[2].toFixed(1),
      labelX: Math.min(width - 60, last[1] + 5).toFixed(1), labelY: Math.max(12, last[2] - 5).toFixed(1),
    };
  });
  return renderTemplate('ccl/track.html.hbs', {
    source: escapeXml(p.source), frames: p.frames, width, height, cell: p.cell, labeler: escapeXml(p.labeler),
    trackCount: tracks.length, firstFrame: `data:image/png;base64,${png}`, tracks,
  });
}
