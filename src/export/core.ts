/**
 * Export of an `msq build --core` folder (the MSQ core plus the compiled job program of a model): the design
 * manifest of the core (three input streams s_wgt, s_act, s_res and one output m_out), and the runtime data the
 * PYNQ driver runs the model with — program.json (jobs, tensors) and program.npz (the s_wgt beats and the
 * gather / scatter index tables; src/msq/core/export-data.ts). docs/export.md "The MSQ core".
 *
 * The build folder holds the RTL, the core configuration (report.json) and every job's s_wgt beats (s_wgt.hex), but
 * not the model's weights as a program: the model is recompiled here (`--model`, or `model.q.json` in the folder),
 * and the recompiled job programs must equal the folder's s_wgt.hex beat for beat, so a wrong model is refused.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fail } from '../util/errors.js';
import { GENERATOR_VERSION } from '../version.js';
import { parseQuantModel } from '../msq/model.js';
import { checkCoreConfig, streamWidth, type CoreConfig } from '../msq/core/config.js';
import { compileModel, type Program } from '../msq/core/compile.js';
import { encodeProgram } from '../msq/core/job.js';
import { runtimeProgram, type RuntimeArrays, type RuntimeProgram } from '../msq/core/export-data.js';
import { npzBytes } from './npz.js';
import { MANIFEST_SCHEMA_ID, parseDesignManifest, type DesignManifest } from './manifest.js';
import type { WrapperPlan } from './wrapper.js';

/** Runtime files written next to driver.py. */
export const CORE_PROGRAM_JSON = 'program.json';
export const CORE_PROGRAM_NPZ = 'program.npz';
/** The model file `export` looks for in a core build folder when --model is not given. */
export const CORE_MODEL_FILE = 'model.q.json';

interface CoreReport {
  kind: 'msq-core';
  top: string;
  hash: string;
  board?: string;
  model?: string | null;
  testbench?: string;
  jobs: number;
  core: CoreConfig;
}

/** True when `dir` is an `msq build --core` folder (report.json of kind msq-core). */
export function isCoreFolder(dir: string): boolean {
  const p = join(dir, 'report.json');
  if (!existsSync(p)) return false;
  try {
    return (JSON.parse(readFileSync(p, 'utf8')) as { kind?: string }).kind === 'msq-core';
  } catch {
    return false;
  }
}

export interface CoreDesign {
  manifest: DesignManifest;
  program: Program;
  runtime: { json: RuntimeProgram; arrays: RuntimeArrays };
  modelPath: string;
}

function readHexBeats(path: string): bigint[] {
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8').split('\n').filter((l) => l.trim() !== '').map((l) => BigInt(`0x${l.trim()}`));
}

/** Manifest, recompiled program and runtime data of a core build folder. */
export function loadCoreDesign(dir: string, opts: { model?: string; clockMHz?: number } = {}): CoreDesign {
  const repPath = join(dir, 'report.json');
  const rep = JSON.parse(readFileSync(repPath, 'utf8')) as CoreReport;
  if (!rep.core || !rep.top || !rep.hash) fail(repPath, 'is not a complete msq build --core report (core, top, hash): rebuild the folder');
  const cfg = rep.core;
  checkCoreConfig(cfg);
  const modelPath = opts.model ?? join(dir, CORE_MODEL_FILE);
  if (!existsSync(modelPath)) {
    fail('--model', opts.model
      ? `'${opts.model}' does not exist`
      : `missing: ${dir} is an msq build --core folder; give the model it was built from (--model <model.q.json>${rep.model ? `, model '${rep.model}'` : ''})`);
  }
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(modelPath, 'utf8'));
  } catch (e) {
    fail(modelPath, `cannot read the model (${(e as Error).message.split('\n')[0]})`);
  }
  const model = parseQuantModel(data);
  const program = compileModel(model, cfg);
  // the recompiled job programs must be the folder's s_wgt.hex (same model, same compiler)
  const folderWgt = readHexBeats(join(dir, 's_wgt.hex'));
  const wgt = program.jobs.flatMap((j) => encodeProgram(cfg, j.spec));
  const sameBeats = folderWgt.length === wgt.length && wgt.every((b, i) => b === folderWgt[i]);
  if (program.jobs.length !== rep.jobs || !sameBeats) {
    fail('--model', `${modelPath} compiles to ${program.jobs.length} jobs / ${wgt.length} s_wgt beats that differ from the build folder's (${rep.jobs} jobs, ${folderWgt.length} beats in s_wgt.hex): give the model the folder was built from, or rebuild the folder`);
  }
  const runtime = runtimeProgram(program);
  const W = streamWidth(cfg);
  const most = (f: (j: RuntimeProgram['jobs'][number]) => number) => Math.max(1, ...runtime.json.jobs.map(f));
  const testbench = rep.testbench ?? `tb_${rep.top}.v`;
  const files = readdirSync(dir).filter((f) => /\.v$/.test(f) && f !== testbench && !f.startsWith('tb_')).sort();
  if (!files.includes(`${rep.top}.v`)) fail(dir, `the core's top file ${rep.top}.v is missing: rebuild the folder`);
  const lanes = { count: cfg.N, bits: cfg.A, signed: true };
  const manifest = parseDesignManifest({
    schema: MANIFEST_SCHEMA_ID,
    kind: 'msq-core',
    top: rep.top,
    files,
    clock: { port: 'clk', mhz: opts.clockMHz ?? 100 },
    reset: { port: 'rst', activeLow: false, synchronous: true },
    streams: [
      { prefix: 's_wgt', direction: 'in', dataWidth: W, last: false, maxBeats: most((j) => j.wgt.beats), description: 'job programs (descriptor, weights, channel map, parameters)' },
      { prefix: 's_act', direction: 'in', dataWidth: W, last: false, lanes, maxBeats: most((j) => j.act.beats), description: 'input tile / im2col expansion of each job' },
      { prefix: 's_res', direction: 'in', dataWidth: W, last: false, lanes, maxBeats: most((j) => j.res?.beats ?? 0), description: 'residual operand of fused-add jobs' },
      { prefix: 'm_out', direction: 'out', dataWidth: W, last: true, lanes, maxBeats: most((j) => j.out.beats), description: 'job outputs, tlast on each job\'s last beat' },
    ],
    controls: [],
    ...(rep.board ? { board: rep.board } : {}),
    generator: `accelforge ${GENERATOR_VERSION}`,
    configHash: rep.hash,
    description: `MSQ core ${rep.top} with the compiled program of ${program.model} (${program.jobs.length} jobs)`,
    params: { N: cfg.N, A: cfg.A, Pf: cfg.Pf, Ps: cfg.Ps, Rq: cfg.Rq, jobs: program.jobs.length },
  }, `${dir} (msq build --core)`);
  return { manifest, program, runtime, modelPath };
}

/** Write program.json and program.npz into the export folder. */
export async function writeCoreRuntime(dir: string, d: CoreDesign, plan: WrapperPlan): Promise<string[]> {
  const { json, arrays } = d.runtime;
  const N = json.core.N;
  const bus = (prefix: string) => plan.streams.find((s) => s.stream.prefix === prefix)!.bus;
  const out = {
    ...json,
    generator: `accelforge ${GENERATOR_VERSION}`,
    designHash32: plan.hash32,
    data: CORE_PROGRAM_NPZ,
    streams: { wgt: bus('s_wgt'), act: bus('s_act'), res: bus('s_res'), out: bus('m_out') },
  };
  await writeFile(join(dir, CORE_PROGRAM_JSON), JSON.stringify(out, null, 1) + '\n');
  const npz = npzBytes([
    { name: 'wgt', dtype: 'u1', shape: [json.totals.wgtBeats, json.wordBytes], data: arrays.wgt },
    { name: 'act_idx', dtype: 'i4', shape: [json.totals.actBeats, N], data: arrays.actIdx },
    { name: 'res_idx', dtype: 'i4', shape: [json.totals.resBeats, N], data: arrays.resIdx },
    { name: 'out_idx', dtype: 'i4', shape: [json.totals.outBeats, N], data: arrays.outIdx },
  ]);
  await writeFile(join(dir, CORE_PROGRAM_NPZ), npz);
  return [CORE_PROGRAM_JSON, CORE_PROGRAM_NPZ];
}

/** driver.py lines of the core runtime (after the Accelerator class's generic methods). */
export function coreDriverMethods(): string[] {
  return `
    def _send(self, bus, data):
        src = np.frombuffer(bytes(data), dtype=np.uint8)
        buf = allocate(shape=(len(src),), dtype=np.uint8)
        buf[:] = src
        self.dmas[bus].sendchannel.transfer(buf)
        return (bus, buf)

    def _send_done(self, handle):
        bus, buf = handle
        self.dmas[bus].sendchannel.wait()
        buf.freebuffer()

    def run_model(self, x, program=None, prefetch=True):
        """Run the compiled model on the core: x = the quantized model input (ints, the model input shape).
        Returns (output tensor [C, H, W], every host tensor by name). Per job: the m_out receive is started, then the
        s_act (and s_res) sends; the job ends with the core's tlast on m_out, and its output is scattered into the host
        tensors before the next job gathers its input. With prefetch, job j + 1's program (s_wgt) is sent while job j
        computes (the core loads it into its other bank); without, each job's program is sent with its activations."""
        prog = program if program is not None else CoreProgram()
        tensors = prog.new_tensors(x)
        wgt_bus, out_bus = prog.buses["wgt"], prog.buses["out"]
        jobs = len(prog.jobs)
        pending = self._send(wgt_bus, prog.job_wgt(0)) if prefetch and jobs else None
        for j in range(jobs):
            ins = prog.job_inputs(tensors, j, wgt=False)
            rbuf = allocate(shape=(prog.out_bytes(j),), dtype=np.uint8)
            self.dmas[out_bus].recvchannel.transfer(rbuf)
            wgt = pending if prefetch else self._send(wgt_bus, prog.job_wgt(j))
            sends = [self._send(bus, data) for bus, data in ins.items()]
            self._send_done(wgt)
            pending = self._send(wgt_bus, prog.job_wgt(j + 1)) if prefetch and j + 1 < jobs else None
            for h in sends:
                self._send_done(h)
            dma = self.dmas[out_bus]
            dma.recvchannel.wait()
            nbytes = dma.mmio.read(0x58)  # S2MM_LENGTH: bytes actually written (simple mode)
            data = np.array(rbuf[:nbytes])
            rbuf.freebuffer()
            prog.scatter(tensors, j, data)
        return prog.tensor(tensors, prog.meta["output"]), tensors`.split('\n');
}

/** driver.py module-level helpers of the core runtime (CoreProgram, pack_beats, unpack_beats). */
export function coreDriverHelpers(): string[] {
  return `

# ---- MSQ core runtime --------------------------------------------------------------------------------------------
# program.json: the jobs and host tensors; program.npz (np.load): wgt [beats, word bytes] uint8 = every job's s_wgt
# beats; act_idx / res_idx / out_idx [beats, N] int32 = per beat and lane the flat index into the job's act / residual /
# output tensor ([C, H, W] row-major), -1 = zero pad lane (inputs) or dropped lane (output). Format: docs/export.md.
PROGRAM_JSON = os.path.join(HERE, ${JSON.stringify(CORE_PROGRAM_JSON)})


def pack_beats(values, bits, nbytes):
    """[beats, lanes] ints -> [beats, nbytes] uint8: lane 0 in the low bits, each lane \`bits\` bits two's complement,
    little-endian bytes, zero bytes above lanes * bits (DMA bus padding)."""
    v = np.asarray(values, dtype=np.int64)
    beats, lanes = v.shape
    u = v & ((1 << bits) - 1)
    if bits in (8, 16, 32):
        raw = u.astype("<u%d" % (bits // 8)).view(np.uint8).reshape(beats, lanes * bits // 8)
    else:
        bit = ((u[:, :, None] >> np.arange(bits, dtype=np.int64)) & 1).astype(np.uint8).reshape(beats, -1)
        bit = np.concatenate([bit, np.zeros((beats, (-bit.shape[1]) % 8), dtype=np.uint8)], axis=1)
        raw = np.packbits(bit.reshape(beats, -1, 8)[:, :, ::-1], axis=2).reshape(beats, -1)
    out = np.zeros((beats, nbytes), dtype=np.uint8)
    out[:, :raw.shape[1]] = raw
    return out


def unpack_beats(data, lanes, bits, signed, nbytes):
    """bytes (nbytes per beat) -> [beats, lanes] int64 (inverse of pack_beats)."""
    raw = np.frombuffer(bytes(data), dtype=np.uint8).reshape(-1, nbytes)
    used = (lanes * bits + 7) // 8
    bit = np.unpackbits(raw[:, :used].reshape(raw.shape[0], used, 1), axis=2)[:, :, ::-1].reshape(raw.shape[0], -1)
    bit = bit[:, :lanes * bits].reshape(raw.shape[0], lanes, bits).astype(np.int64)
    v = (bit << np.arange(bits, dtype=np.int64)).sum(axis=2)
    if signed:
        v = np.where(v >= (1 << (bits - 1)), v - (1 << bits), v)
    return v


class CoreProgram:
    """A compiled model as data (program.json + program.npz): gathers each job's streams from the host tensors and
    scatters its output back. Needs numpy only; the board is reached through a transfer function."""

    def __init__(self, path=PROGRAM_JSON):
        with open(path) as f:
            self.meta = json.load(f)
        if self.meta.get("schema") != "accelforge-core-program/1":
            raise ValueError("%s: not an accelforge core program" % path)
        if self.meta["designHash32"] != DESIGN_HASH:
            raise ValueError("%s was exported for another design (hash 0x%08x, driver 0x%08x)" % (path, self.meta["designHash32"], DESIGN_HASH))
        data = np.load(os.path.join(os.path.dirname(os.path.abspath(path)), self.meta["data"]))
        self.wgt = data["wgt"]
        self.act_idx = data["act_idx"]
        self.res_idx = data["res_idx"]
        self.out_idx = data["out_idx"]
        core = self.meta["core"]
        self.N, self.A = core["N"], core["A"]
        self.jobs = self.meta["jobs"]
        self.buses = self.meta["streams"]
        self.bus_bytes = {k: STREAMS[b]["bus_width"] // 8 for k, b in self.buses.items()}

    def new_tensors(self, x):
        """Host tensors: the model input (checked against its shape and range), every other tensor zero."""
        spec = self.meta["tensors"]
        inp = spec[self.meta["input"]]
        a = np.asarray(x).astype(np.int64).reshape(-1)
        size = int(np.prod(inp["shape"]))
        if a.size != size:
            raise ValueError("input has %d values, the model expects %d (%s)" % (a.size, size, inp["shape"]))
        lo = -(1 << (inp["bits"] - 1)) if inp["signed"] else 0
        hi = (1 << (inp["bits"] - 1)) - 1 if inp["signed"] else (1 << inp["bits"]) - 1
        if a.size and (a.min() < lo or a.max() > hi):
            raise ValueError("input values outside [%d, %d]" % (lo, hi))
        tensors = {name: np.zeros(int(np.prod(t["shape"])), dtype=np.int64) for name, t in spec.items()}
        tensors[self.meta["input"]] = a.copy()
        return tensors

    def tensor(self, tensors, name):
        return tensors[name].reshape(self.meta["tensors"][name]["shape"])

    def _gather(self, flat, idx):
        return np.where(idx >= 0, flat[np.maximum(idx, 0)], 0)

    def job_wgt(self, j):
        """Job j's program (s_wgt) as bytes at the DMA bus width."""
        w = self.jobs[j]["wgt"]
        raw = self.wgt[w["offset"]:w["offset"] + w["beats"]]
        wgt = np.zeros((w["beats"], self.bus_bytes["wgt"]), dtype=np.uint8)
        wgt[:, :raw.shape[1]] = raw
        return wgt.reshape(-1)

    def job_inputs(self, tensors, j, wgt=True):
        """{bus: uint8 bytes} of job j (empty streams left out), each at its DMA bus width; wgt=False leaves s_wgt out."""
        job = self.jobs[j]
        a = job["act"]
        ins = {self.buses["wgt"]: self.job_wgt(j)} if wgt else {}
        idx = self.act_idx[a["offset"]:a["offset"] + a["beats"]]
        ins[self.buses["act"]] = pack_beats(self._gather(tensors[a["tensor"]], idx), self.A, self.bus_bytes["act"]).reshape(-1)
        r = job["res"]
        if r is not None and r["beats"] > 0:
            idx = self.res_idx[r["offset"]:r["offset"] + r["beats"]]
            ins[self.buses["res"]] = pack_beats(self._gather(tensors[r["tensor"]], idx), self.A, self.bus_bytes["res"]).reshape(-1)
        return ins

    def out_bytes(self, j):
        return self.jobs[j]["out"]["beats"] * self.bus_bytes["out"]

    def scatter(self, tensors, j, data):
        """Job j's m_out bytes -> its output tensor."""
        o = self.jobs[j]["out"]
        if len(data) != o["beats"] * self.bus_bytes["out"]:
            raise RuntimeError("job %d (%s): received %d bytes, expected %d beats" % (j, self.jobs[j]["name"], len(data), o["beats"]))
        vals = unpack_beats(data, self.N, self.A, o["signed"], self.bus_bytes["out"])
        idx = self.out_idx[o["offset"]:o["offset"] + o["beats"]]
        keep = idx >= 0
        tensors[o["tensor"]][idx[keep]] = vals[keep]

    def run(self, x, transfer):
        """Every job in order: transfer(j, {bus: bytes}, out_bytes) -> the job's m_out bytes. Returns the tensors."""
        tensors = self.new_tensors(x)
        for j in range(len(self.jobs)):
            self.scatter(tensors, j, transfer(j, self.job_inputs(tensors, j), self.out_bytes(j)))
        return tensors
`.split('\n');
}
