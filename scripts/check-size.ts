/**
 * The size limits of the house (docs/architecture.md): no source file in src/ over 600 lines, no function over 150
 * lines. Lists every breach (file, or file:line and the function's name) with its length; exits 1 when there is one
 * that docs/architecture.md does not name as an exception ("`path`" or "`path` `name`" in its size-limits list).
 *   npx tsx scripts/check-size.ts [--all]   (--all: also list the named exceptions)
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';

const ROOT = join(import.meta.dirname, '..');
const FILE_MAX = 600;
const FN_MAX = 150;

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? sources(p) : /\.ts$/.test(n) && !n.endsWith('.d.ts') ? [p] : [];
  });
}

function fnName(n: ts.Node, sf: ts.SourceFile): string {
  const named = n as ts.Node & { name?: ts.Node };
  if (named.name) return named.name.getText(sf);
  const p = n.parent;
  if (p && ts.isVariableDeclaration(p)) return p.name.getText(sf);
  if (p && ts.isPropertyAssignment(p)) return p.name.getText(sf);
  return '(anonymous)';
}

const docs = readFileSync(join(ROOT, 'docs', 'architecture.md'), 'utf8');
const named = (what: string): boolean => docs.includes(`\`${what}\``);
const breaches: { what: string; lines: number; excepted: boolean }[] = [];
for (const path of sources(join(ROOT, 'src'))) {
  const rel = relative(ROOT, path);
  const text = readFileSync(path, 'utf8');
  const lines = text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
  if (lines > FILE_MAX) breaches.push({ what: rel, lines, excepted: named(rel) });
  const sf = ts.createSourceFile(path, text, ts.ScriptTarget.Latest, true);
  const visit = (n: ts.Node): void => {
    if (ts.isFunctionDeclaration(n) || ts.isMethodDeclaration(n) || ts.isFunctionExpression(n) || ts.isArrowFunction(n) || ts.isConstructorDeclaration(n)) {
      const a = sf.getLineAndCharacterOfPosition(n.getStart(sf)).line;
      const b = sf.getLineAndCharacterOfPosition(n.getEnd()).line;
      const name = fnName(n, sf);
      if (b - a + 1 > FN_MAX) breaches.push({ what: `${rel}:${a + 1} ${name}`, lines: b - a + 1, excepted: named(`${rel}\` \`${name}`) });
    }
    ts.forEachChild(n, visit);
  };
  visit(sf);
}
const all = process.argv.includes('--all');
const open = breaches.filter((b) => !b.excepted);
for (const b of breaches) if (all || !b.excepted) process.stdout.write(`${b.excepted ? 'exception' : 'OVER'} ${b.lines} lines: ${b.what}\n`);
process.stdout.write(`${open.length} over the limits (files ${FILE_MAX} lines, functions ${FN_MAX}), ${breaches.length - open.length} named exceptions\n`);
process.exitCode = open.length > 0 ? 1 : 0;
