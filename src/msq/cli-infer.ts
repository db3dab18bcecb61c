/**
 * `accelforge infer model.q.json --input <image.pgm|png | tensor.json> [--dump dir] [--json]`
 * Runs the quantized model through the golden model and prints the output tensor and its argmax.
 *  - Image input (PGM/PBM/PNG, read by src/image/io.ts): must already have the model's H x W; gray images feed a
 *    3-channel model by repetition, colour images a 1-channel model through luma. Pixels go through
 *    pixel/255 and the model's input.normalize, then the input quantization (docs/msq-numerics.md).
 *  - JSON input: an (optionally nested) array of real values in the model's input layout [C][H][W], or
 *    {"data": [...], "quantized": true} with integer input codes.
 *  - --dump dir: every intermediate tensor as JSON (index.json + one file per tensor), written atomically.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { fail, UserError } from '../util/errors.js';
import { writeDirAtomic } from '../util/fsx.js';
import { readImage, toGray } from '../image/io.js';
import { argmax, pixelsToReal, prepareModel, quantizeInput, runGolden } from './golden.js';
import { numel, parseQuantModel, type QuantModel } from './model.js';

const USAGE = 'usage: accelforge infer <model.q.json> --input <image.pgm|png | tensor.json> [--dump <dir>] [--json]';

export function readQuantModelFile(path: string): QuantModel {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as { code?: string }).code;
    fail(path, code === 'ENOENT' ? 'no such file' : `cannot read (${code ?? 'error'})`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    fail(path, `not valid JSON (${(e as Error).message.split('\n')[0]})`);
  }
  try {
    return parseQuantModel(data);
  } catch (e) {
    if (e instanceof UserError) throw new UserError(`${path}: ${e.message}`);
    throw e;
  }
}

function flatten(v: unknown, out: number[], field: string): void {
  if (Array.isArray(v)) v.forEach((x, i) => flatten(x, out, `${field}[${i}]`));
  else if (typeof v === 'number' && Number.isFinite(v)) out.push(v);
  else fail(field, `expected a finite number, got ${JSON.stringify(v)}`);
}

/** Quantized input codes for the model from an image or JSON file. */
export function loadInput(model: QuantModel, path: string): Int32Array {
  const shape = model.input.shape;
  if (/\.json$/i.test(path)) {
    let data: unknown;
    try {
      data = JSON.parse(readFileSync(path, 'utf8'));
    } catch (e) {
      fail(path, `cannot read JSON tensor (${(e as Error).message.split('\n')[0]})`);
    }
    const values: number[] = [];
    const quantized = typeof data === 'object' && data !== null && !Array.isArray(data) && (data as { quantized?: unknown }).quantized === true;
    const body = typeof data === 'object' && data !== null && !Array.isArray(data) ? (data as { data?: unknown }).data : data;
    if (body === undefined) fail(path, 'expected an array of numbers or {"data": [...]}');
    flatten(body, values, `${path}: data`);
    if (values.length !== numel(shape)) fail(path, `has ${values.length} values, the model expects ${numel(shape)} (shape [${shape.join(', ')}])`);
    if (quantized) {
      if (!values.every(Number.isInteger)) fail(path, 'quantized input codes must be integers');
      return Int32Array.from(values);
    }
    return quantizeInput(model, values);
  }
  if (shape.length !== 3) fail('--input', `the model input has shape [${shape.join(', ')}], not an image; give a JSON tensor`);
  const [c, h, w] = shape as [number, number, number];
  let img = readImage(path);
  if (img.width !== w || img.height !== h) fail(path, `image is ${img.width}x${img.height}, the model expects ${w}x${h}; resize it first`);
  if (c !== 1 && c !== 3) fail('--input', `images feed 1- or 3-channel inputs, the model has ${c} channels; give a JSON tensor`);
  if (c === 1 || img.format !== 'rgb24') img = toGray(img);
  const n = h * w;
  const pixels = new Uint8Array(c * n);
  for (let ch = 0; ch < c; ch++) {
    for (let i = 0; i < n; i++) pixels[ch * n + i] = img.format === 'rgb24' ? img.data[3 * i + ch]! : img.data[i]!;
  }
  return quantizeInput(model, pixelsToReal(model, pixels));
}

const fileName = (i: number, name: string): string => `${String(i).padStart(3, '0')}-${name.replace(/[^A-Za-z0-9._-]+/g, '_')}.json`;

export async function run(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: { input: { type: 'string', short: 'i' }, dump: { type: 'string' }, json: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h' } },
    allowPositionals: true,
    strict: true,
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  if (positionals.length !== 1) throw new UserError(`model: give exactly one model.q.json (${USAGE})`);
  if (!values.input) throw new UserError(`--input: missing; give an image (PGM/PNG) or a JSON tensor (${USAGE})`);
  const model = readQuantModelFile(positionals[0]!);
  const x = loadInput(model, values.input);
  const pm = prepareModel(model);
  const res = runGolden(pm, x, { dump: values.dump !== undefined });
  const data = Array.from(res.output.data);
  const top = argmax(data);
  if (values.dump !== undefined) {
    await writeDirAtomic(values.dump, async (tmp) => {
      const { writeFile } = await import('node:fs/promises');
      const index: unknown[] = [];
      let i = 0;
      for (const [name, t] of res.tensors!) {
        const info = pm.infos.get(name)!;
        const file = fileName(i++, name);
        index.push({ name, file, shape: t.shape, bits: info.bits, signed: info.signed, scale: info.scale });
        await writeFile(join(tmp, file), JSON.stringify({ name, shape: t.shape, bits: info.bits, signed: info.signed, scale: info.scale, data: Array.from(t.data) }) + '\n');
      }
      await writeFile(join(tmp, 'index.json'), JSON.stringify({ model: positionals[0], input: values.input, tensors: index }, null, 2) + '\n');
    });
  }
  if (values.json) {
    process.stdout.write(JSON.stringify({ output: res.outputName, shape: res.output.shape, scale: res.scale, data, argmax: top }) + '\n');
    return;
  }
  const lines = [
    `output '${res.outputName}' shape [${res.output.shape.join(', ')}], real = integer x ${res.scale}`,
    `integers: [${data.join(', ')}]`,
    `real:     [${data.map((v) => +(v * res.scale).toPrecision(5)).join(', ')}]`,
    `argmax: ${top} (integer ${data[top]}, real ${+(data[top]! * res.scale).toPrecision(5)})`,
  ];
  if (data.length > 10) {
    const order = data.map((v, i) => [v, i] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1]).slice(0, 5);
    lines.push(`top-5: ${order.map(([v, i]) => `${i} (${v})`).join(', ')}`);
  }
  if (values.dump !== undefined) lines.push(`dumped ${res.tensors!.size} tensors to ${values.dump}`);
  process.stdout.write(lines.join('\n') + '\n');
}
