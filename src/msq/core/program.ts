/**
 * The compiler's output (compile.ts): a Program is a list of CompiledJobs, each a JobSpec (job.ts) with where its
 * s_act / s_res beats come from and where its m_out beats go, as regions of host tensors ([C, H, W]).
 */
import { fail } from '../../util/errors.js';
import type { SeScales } from './lower-ops.js';
import type { CompileMemo } from './compile.js';
import { numel } from '../model.js';
import type { Geometry } from '../geometry.js';
import type { CoreConfig } from './config.js';
import { jobDdrBytes, type JobSpec } from './job.js';
import { ceilDiv } from '../../util/math.js';

export type Shape3 = [number, number, number];

/** A host tensor as the core sees it: [C, H, W] (flat tensors [F] are [F, 1, 1]). */
export interface HostTensor {
  name: string;
  shape: Shape3;
  bits: number;
  signed: boolean;
}

/** s_act of a job: a tile of a host tensor, or the im2col expansion of one. */
export type ActSource =
  | { kind: 'tile'; tensor: string; shape: Shape3; y0: number; rows: number; c0: number; cCount: number }
  /** im2col: the conv geometry (kh .. padL) is on the original tensor */
  | (Pick<Geometry, 'kh' | 'kw' | 'sh' | 'sw' | 'padT' | 'padL'> & {
      kind: 'im2col';
      tensor: string;
      shape: Shape3;
      /** output rows oy0 .. oy0+rows-1, outW columns; expanded channel k = (ky*kw + kx)*C + ci */
      oy0: number;
      rows: number;
      outW: number;
    })
  /** a tile of the nearest upsampling of `tensor` (shape = the source's) by factors f: rows / channels of the result */
  | { kind: 'upsample'; tensor: string; shape: Shape3; f: [number, number]; y0: number; rows: number; c0: number; cCount: number };

/** A region of a host tensor: rows y0.., all columns, channels c0 .. c0+cCount-1. */
export interface TensorRegion {
  tensor: string;
  shape: Shape3;
  y0: number;
  rows: number;
  c0: number;
  cCount: number;
  signed: boolean;
}

export interface CompiledJob {
  spec: JobSpec;
  act: ActSource;
  /** residual operand (fused add), rows / channels of the job's output */
  res?: TensorRegion;
  /** where m_out goes (job-local channel c → tensor channel c0 + c, c < cCount; pool pad lanes dropped) */
  out: TensorRegion;
  /** program + s_act + s_res + m_out bytes (W/8 bytes per beat) */
  ddrBytes: number;
  /** issue-work estimate: outH * outW * passes * passCycles */
  work: number;
  /** useful multiply-accumulates of the model layer done by this job (outH * outW * cout * fan-in; pools 0) */
  macs: number;
  /** an intermediate job of a global pool chain (lower-pool.ts): its m_out is all 0, the chain's last job overwrites it */
  partial?: true;
  /** squeeze-excite: the fixed weights are the gate's values, written into the program at run time (lower-ops.ts) */
  se?: SeScales;
}

export interface Program {
  cfg: CoreConfig;
  model: string;
  /** the model input as a host tensor */
  input: HostTensor;
  /** host tensor holding the model output (flatten aliases resolved) */
  output: HostTensor;
  /** every host tensor a job writes, by name */
  tensors: Map<string, HostTensor>;
  jobs: CompiledJob[];
  /** per layer: how it was lowered (jobs, im2col, fused into, ...) */
  layers: { layer: string; how: string; jobs: number }[];
}

export interface CompileOptions {
  /** im2col for thin inputs: 'auto' (when it cuts the steps * passes work), 'never', 'always' (every non-1x1 dense conv) */
  im2col?: 'auto' | 'never' | 'always';
  /** skip checkJob on every job (tests of malformed jobs); default false */
  unchecked?: boolean;
  /** false: a program for pricing, without its data: no weight words or GEMM channel parameters (fixedWords,
   *  sp2Words, a GEMM's params empty; every other field as compiled): the sizing search and `msq plan`,
   *  which read only the descriptor fields (cycle-model.ts JobFields); default true */
  weights?: boolean;
  /** reuse across compiles of the same, unchanged model (compile.ts compileMemo) */
  memo?: CompileMemo;
}

/** A model tensor's shape as a host tensor's: [C, H, W], flat [F] as [F, 1, 1]. */
export function shape3(s: readonly number[]): Shape3 {
  return s.length === 3 ? [s[0]!, s[1]!, s[2]!] : [numel(s), 1, 1];
}

/** A job output written inside a larger tensor (a concat's) at channel offset c0. */
export interface OutPlace {
  shape: Shape3;
  c0: number;
}

/** A job without a residual operand: the add fields all zero. */
export function emptyResidual(): Pick<JobSpec, 'residual' | 'resSigned' | 'addLo' | 'addHi' | 'Ma' | 'Mb' | 'addS'> {
  return { residual: false, resSigned: false, addLo: 0, addHi: 0, Ma: 0, Mb: 0, addS: 0 };
}

/** The CompiledJob of a finished JobSpec: DDR bytes, issue work and the layer's MACs it does (fan-in per output). */
export function finishJob(cfg: CoreConfig, spec: JobSpec, act: ActSource, out: TensorRegion, res: TensorRegion | undefined, fanIn: number): CompiledJob {
  if (spec.inH === 0) {
    // a band entirely in padding (possible only with huge padding): stream one zero row instead
    fail(`layer '${spec.layer}'`, 'an output band reads no input row (padding larger than the input); not supported');
  }
  return {
    spec,
    act,
    res,
    out,
    ddrBytes: jobDdrBytes(cfg, spec),
    work: spec.outH * spec.outW * spec.passes * spec.passCycles,
    macs: spec.outH * spec.outW * out.cCount * fanIn,
  };
}
