/**
 * The one command-line preamble of our subcommands: parse the options strictly (plus -h/--help), turn a parse error
 * into a one-line UserError naming the command, and print the usage for --help (then the caller returns).
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UserError } from './errors.js';

type Options = NonNullable<ParseArgsConfig['options']>;
const HELP = { help: { type: 'boolean', short: 'h' } } as const;

/** Parsed options (with `help`) and positionals; a bad option is a UserError naming `cmd`. */
export function parseOptions<O extends Options>(cmd: string, argv: string[], options: O) {
  try {
    return parseArgs({ args: argv, allowPositionals: true, strict: true, options: { ...options, ...HELP } });
  } catch (e) {
    const err = e as { code?: string; message?: string };
    const opt = /'([^']+)'/.exec(err.message ?? '')?.[1] ?? 'option';
    if (err.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') throw new UserError(`${opt}: unknown option for '${cmd}' (see 'accelforge ${cmd} --help')`);
    throw new UserError(`${cmd}: ${(err.message ?? String(e)).split('\n')[0]}`);
  }
}

/** Parsed options and positionals, or undefined after printing `usage` for --help. */
export function parseCommand<O extends Options>(cmd: string, argv: string[], options: O, usage: string) {
  const r = parseOptions(cmd, argv, options);
  if ((r.values as { help?: boolean }).help) {
    process.stdout.write(usage.endsWith('\n') ? usage : `${usage}\n`);
    return undefined;
  }
  return r;
}
