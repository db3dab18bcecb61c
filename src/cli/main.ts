/**
 * accelforge command line. Thin: each command lives in its own module exporting `run(argv)`, loaded on demand.
 * A UserError prints as one line `accelforge: error: ...` and exits 1; `--debug` prints the stack too.
 */
import { UserError } from '../util/errors.js';

export interface CommandModule {
  run(argv: string[]): Promise<void>;
}

interface CommandEntry {
  summary: string;
  load: () => Promise<CommandModule>;
}

const commands: Record<string, CommandEntry> = {
  doctor: { summary: 'print tool versions and which yosys will be used', load: () => import('./doctor.js') },
  demo: { summary: 'generate, simulate, synthesize and report the built-in examples', load: () => import('./demo.js') },
  synth: { summary: 'synthesize Verilog files with yosys and report resources and estimated fmax', load: () => import('../synth/cli.js') },
  quantize: { summary: 'quantize an ONNX model (MSQ / fixed / SP2) into a model.q.json', load: () => import('../msq/cli-quantize.js') },
  infer: { summary: 'run a quantized model on an input through the golden model', load: () => import('../msq/cli-infer.js') },
  accuracy: { summary: 'accuracy of a float ONNX and/or a quantized model on MNIST / Fashion-MNIST / IDX images (--table: scheme comparison)', load: () => import('../msq/cli-accuracy.js') },
  msq: { summary: 'MSQ accelerator: build | sweep', load: () => import('../msq/cli.js') },
  ccl: { summary: 'connected-component labeling core: gen | label', load: () => import('../ccl/cli.js') },
  export: { summary: 'export a generated design to a Vivado project and PYNQ driver', load: () => import('../export/cli.js') },
};

function usage(): string {
  const width = Math.max(...Object.keys(commands).map((k) => k.length));
  const lines = Object.entries(commands).map(([k, c]) => `  ${k.padEnd(width)}  ${c.summary}`);
  return `usage: accelforge <command> [options]   (add --debug for stack traces)\n\ncommands:\n${lines.join('\n')}\n`;
}

export async function main(argvIn: string[]): Promise<number> {
  const debug = argvIn.includes('--debug');
  const argv = argvIn.filter((a) => a !== '--debug');
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage());
    return name ? 0 : 1;
  }
  const entry = commands[name];
  try {
    if (!entry) throw new UserError(`unknown command '${name}': run 'accelforge --help' for the list`);
    let mod: CommandModule;
    try {
      mod = await entry.load();
    } catch (e) {
      if (debug) throw e;
      const code = (e as { code?: string }).code;
      if (code === 'ERR_MODULE_NOT_FOUND') throw new UserError(`command '${name}' is not available in this build yet`);
      throw e;
    }
    await mod.run(rest);
    return 0;
  } catch (e) {
    // node:util parseArgs errors (unknown option, missing value, stray positional) are user errors too.
    if (e instanceof UserError || String((e as { code?: unknown }).code ?? '').startsWith('ERR_PARSE_ARGS_')) {
      process.stderr.write(`accelforge: error: ${(e as Error).message.split('\n')[0]}\n`);
      if (debug) process.stderr.write(`${(e as Error).stack}\n`);
      return 1;
    }
    if (debug) process.stderr.write(`${(e as Error).stack}\n`);
    else process.stderr.write(`accelforge: internal error: ${(e as Error).message.split('\n')[0]} (run with --debug for details)\n`);
    return 2;
  }
}

const isEntry = process.argv[1] && /(main\.ts|accelforge(\.mjs)?)$/.test(process.argv[1]);
if (isEntry) {
  main(process.argv.slice(2)).then((code) => process.exit(code));
}
