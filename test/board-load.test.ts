import { describe, it, expect } from 'vitest';
import { mkdtempSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadBoard, knownBoards, parseBoard, BOARDS_DIR } from '../src/board/index.js';
import { boardSchemaText } from '../src/board/write-schema.js';
import { UserError } from '../src/util/errors.js';

function errorOf(f: () => unknown): UserError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(UserError);
    return e as UserError;
  }
  throw new Error('expected a UserError');
}

const base = () => JSON.parse(readFileSync(join(BOARDS_DIR, 'xc7z020.json'), 'utf8')) as Record<string, unknown>;

describe('board files', () => {
  it('lists the built-in boards', () => {
    expect(knownBoards()).toEqual(['xc7z020', 'xc7z045']);
  });

  it('loads the PYNQ-Z2 by id and by board name with the data-sheet capacities', () => {
    const a = loadBoard('xc7z020');
    const b = loadBoard('pynq-z2');
    expect(b).toEqual(a);
    expect(a.part).toBe('xc7z020clg400-1');
    expect(a.resources).toEqual({ lut: 53200, lutram: 17400, ff: 106400, dsp48e1: 220, bram36: 140 });
    expect(a.defaultClockMHz).toBe(100);
    expect(a.msq.sp2PerFixedRatio).toBe(2.2);
  });

  it('loads the ZC706', () => {
    const z = loadBoard('ZC706');
    expect(z.id).toBe('xc7z045');
    expect(z.part).toBe('xc7z045ffg900-2');
    expect(z.speedGrade).toBe('-2');
    expect(z.resources).toEqual({ lut: 218600, lutram: 70400, ff: 437200, dsp48e1: 900, bram36: 545 });
    expect(z.msq.sp2PerFixedRatio).toBe(40 / 24);
    expect(z.ddr.busWidthBits).toBe(32);
  });

  it('names the known boards when the name is unknown, on one line', () => {
    const e = errorOf(() => loadBoard('zedboard'));
    expect(e.message).toMatch(/unknown board 'zedboard'/);
    expect(e.message).toContain('xc7z020 (pynq-z2)');
    expect(e.message).toContain('xc7z045 (zc706)');
    expect(e.message).not.toContain('\n');
  });

  it('loads a board file by path and reports malformed files with the JSON path', () => {
    const dir = mkdtempSync(join(tmpdir(), 'af-board-'));
    const good = join(dir, 'mine.json');
    writeFileSync(good, JSON.stringify({ ...base(), id: 'mine' }));
    expect(loadBoard(good).id).toBe('mine');

    const b1 = base();
    (b1.resources as Record<string, unknown>).dsp48e1 = '220';
    const p1 = join(dir, 'bad1.json');
    writeFileSync(p1, JSON.stringify(b1));
    const e1 = errorOf(() => loadBoard(p1));
    expect(e1.message).toContain(p1);
    expect(e1.message).toMatch(/resources\.dsp48e1: .*number/i);

    const p2 = join(dir, 'bad2.json');
    writeFileSync(p2, '{ "id": ');
    expect(errorOf(() => loadBoard(p2)).message).toMatch(/not valid JSON/);

    expect(errorOf(() => loadBoard(join(dir, 'missing.json'))).message).toMatch(/cannot read board file/);
  });

  it('rejects inconsistent values', () => {
    const b = base();
    b.speedGrade = '-2';
    expect(errorOf(() => parseBoard(b, 'x.json')).message).toMatch(/x\.json: speedGrade: must match .*'-1'/);
    const c = base();
    (c.ddr as Record<string, unknown>).peakGBps = 5;
    expect(errorOf(() => parseBoard(c, 'x.json')).message).toMatch(/ddr\.peakGBps: expected 2\.132/);
    const d = base();
    d.extra = 1;
    expect(errorOf(() => parseBoard(d, 'x.json')).message).toMatch(/\(top level\): unknown field.*'extra'/);
    const f = base();
    delete f.part;
    expect(errorOf(() => parseBoard(f, 'x.json')).message).toMatch(/x\.json: part: missing: add it \(expected string\)/);
  });

  it('boards/board.schema.json is up to date with the zod schema', () => {
    expect(readFileSync(join(BOARDS_DIR, 'board.schema.json'), 'utf8')).toBe(boardSchemaText());
  });
});
