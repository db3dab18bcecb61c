import { readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { z } from 'zod';
import { PROJECT_ROOT } from '../version.js';
import { fail, UserError } from '../util/errors.js';
import { BoardSchema, type Board } from './schema.js';

/** Folder holding the built-in board files. */
export const BOARDS_DIR = join(PROJECT_ROOT, 'boards');

/** Names of the built-in boards: file ids (xc7z020) — board names (pynq-z2) are accepted too by loadBoard. */
export function knownBoards(): string[] {
  return readdirSync(BOARDS_DIR)
    .filter((f) => f.endsWith('.json') && !f.endsWith('.schema.json'))
    .map((f) => f.slice(0, -'.json'.length))
    .sort();
}

function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let s = '';
  for (const p of path) s += typeof p === 'number' ? `[${p}]` : s ? `.${String(p)}` : String(p);
  return s || '(top level)';
}

function firstIssue(error: z.ZodError): { path: string; message: string } {
  const issue = error.issues[0]!;
  let message = issue.message;
  if (issue.code === 'invalid_type' && /received undefined/.test(message)) message = `missing: add it (expected ${issue.expected})`;
  if (issue.code === 'unrecognized_keys') message = `unknown field(s) ${issue.keys.map((k) => `'${k}'`).join(', ')}: remove them`;
  return { path: formatPath(issue.path), message };
}

/** Validate a parsed board object; `origin` names the file in error messages. */
export function parseBoard(data: unknown, origin: string): Board {
  const r = BoardSchema.safeParse(data);
  if (!r.success) {
    const { path, message } = firstIssue(r.error);
    const more = r.error.issues.length > 1 ? ` (+${r.error.issues.length - 1} more problem(s))` : '';
    throw new UserError(`${origin}: ${path}: ${message}${more}`);
  }
  return r.data;
}

/** Read and validate a board file by path. */
export function loadBoardFile(path: string): Board {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    fail(path, `cannot read board file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    fail(path, `not valid JSON (${(e as Error).message.split('\n')[0]})`);
  }
  return parseBoard(data, path);
}

/**
 * Load a board by id (`xc7z020`), board name (`pynq-z2`) or path to a JSON file (anything containing '/' or
 * ending in .json). Unknown names give a one-line error listing the known boards.
 */
export function loadBoard(nameOrPath: string): Board {
  if (nameOrPath.includes('/') || nameOrPath.includes('\\') || nameOrPath.endsWith('.json')) {
    return loadBoardFile(resolve(nameOrPath));
  }
  const key = nameOrPath.toLowerCase();
  const ids = knownBoards();
  if (ids.includes(key)) return loadBoardFile(join(BOARDS_DIR, `${key}.json`));
  for (const id of ids) {
    const b = loadBoardFile(join(BOARDS_DIR, `${id}.json`));
    if (b.board.toLowerCase() === key || b.part.toLowerCase() === key) return b;
  }
  const names = ids.map((id) => {
    const f = join(BOARDS_DIR, `${id}.json`);
    try {
      return `${id} (${loadBoardFile(f).board})`;
    } catch {
      return id;
    }
  });
  fail('board', `unknown board '${nameOrPath}': known boards are ${names.join(', ')}, or give a path to a board .json file`);
}
