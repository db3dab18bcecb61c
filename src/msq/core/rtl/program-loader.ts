/**
 * Program loader (s_wgt, or the program ROM; docs/msq-core-rtl.md "Program loader"): parses the sections of a
 * job program into the job's bank (descriptor registers, per-lane weight RAMs, per-requantizer channel-map,
 * parameter and lookup-table RAMs), one item per clock (whole beats for packed weight sections); derives the tile's start address
 * (-(padT * rowStride + padL * cinGroups), adders only) after the descriptor.
 */
import { cat, lit, mux, type Signal } from '../../../hdl/index.js';
import { pick, type CoreCtx, type CorePorts } from './context.js';
import { abits, cbits } from './shape.js';
import type { BankFlags, BankMemories } from './banks.js';
import type { DescriptorBanks } from './descriptor.js';

/** Program loader state, counters and the per-section item decode (s_wgt, or the program ROM). */
export function loaderState(c: CoreCtx, io: CorePorts, dsc: DescriptorBanks, bkf: BankFlags) {
  const { m, cfg, PB } = c;
  const { N, Pf, Ps, Rq, WF } = c.cfg;
  const { W, L, G, AW, WAB, CMA, CB } = c.S;
  const { wgtValid, wgtReady } = io;
  const { D } = dsc;
  const { descOk, progOk } = bkf;
  const secs = ['WAIT', 'DESC', 'DERIVE', 'FIXED', 'SP2', 'CMAP', 'PARAM', 'LUT'] as const;
  const wst = m.fsm('wl_state_q', secs);
  const wj = m.reg('wl_job_q', 2, { reset: 0 }); // job counter mod 4: bank = bit 0, round = bit 1
  const wb = m.let('wl_bank', wj.bit(0));
  const kDesc = Math.floor(W / 32);
  const kFix8 = Math.floor(W / (N * WF));
  const kFix4 = Math.floor(W / (N * 4));
  const kSp2 = Math.floor(W / (N * cfg.m));
  const kCmap = Math.floor(W / 16);
  const kPar = Math.floor(W / 96);
  const KB = cbits(Math.max(kDesc, kFix8, kFix4, kSp2, kCmap, kPar));
  // Whole-beat weight writes: when a weight section packs k > 1 items per beat and its lane count is a multiple of
  // k, lane l always finds its item in slot l mod k of the beat, so one beat (k lanes, k RAMs) is written per clock.
  const fast = (k: number, P: number): boolean => k > 1 && P > 0 && P % k === 0;
  const fastF8 = fast(kFix8, Pf);
  const fastF4 = fast(kFix4, Pf);
  const fastS = fast(kSp2, Ps);
  const stepF8 = fastF8 ? kFix8 : 1; // lanes written per processed item
  const stepF4 = fastF4 ? kFix4 : 1;
  const stepS = fastS ? kSp2 : 1;
  const wbuf = m.reg('wl_buf_q', W, { reset: null });
  const wk = m.reg('wl_items_q', KB, { reset: 0 }); // items left in wl_buf_q
  const di = m.reg('wl_desc_i_q', 5, { reset: 0 });
  const fa = m.reg('wl_addr_q', WAB, { reset: 0 }); // weight address a
  const fl = m.reg('wl_lane_q', cbits(Math.max(Pf, Ps, 1)), { reset: 0 }); // lane l within the section (0..P: lane-group steps fit)
  const cp = m.reg('wl_pass_q', PB, { reset: 0 });
  const cj = m.reg('wl_j_q', abits(L), { reset: 0 });
  const cu = m.reg('wl_unit_q', abits(Rq), { reset: 0 });
  const ck = m.reg('wl_k_q', abits(G), { reset: 0 });
  const cbase = m.reg('wl_cbase_q', CMA, { reset: 0 });
  const pc = m.reg('wl_chan_q', CB, { reset: 0 });
  const li = m.reg('wl_lut_i_q', 8, { reset: 0 }); // lookup-table item
  const dvAcc = m.reg('wl_start_q', AW, { reset: 0 });
  const dvT = m.reg('wl_padt_q', 8, { reset: 0 });
  const dvL = m.reg('wl_padl_q', 8, { reset: 0 });

  const inSec = m.let('wl_in_sec', wst.is('DESC').or(wst.is('FIXED')).or(wst.is('SP2')).or(wst.is('CMAP')).or(wst.is('PARAM')).or(wst.is('LUT')));
  const itemGo = m.let('wl_item', inSec.and(wk.ne(0)));
  const wOp = D('op', wb);
  const wGemm = m.let('wl_gemm', wOp.eq(0));
  const wAvg = m.let('wl_avg', wOp.eq(2));
  const wF4 = D('fixed4', wb);
  const secLast = m.wire('wl_sec_last', 1);
  // the item processed is the last lane group of a weight address
  const fixedLaneEnd = Pf > 0 ? m.let('wl_fixed_lane_end', mux(wF4, fl.eq(Pf - stepF4), fl.eq(Pf - stepF8))) : lit(0, 1);
  m.comb((p) => {
    p.set(secLast, 0);
    wst.switch(p, {
      DESC: () => p.set(secLast, di.eq(23)),
      ...(Pf > 0 ? { FIXED: () => p.set(secLast, fa.eq(D('wplM1', wb)).and(fixedLaneEnd)) } : {}),
      ...(Ps > 0 ? { SP2: () => p.set(secLast, fa.eq(D('wplM1', wb)).and(fl.eq(Ps - stepS))) } : {}),
      CMAP: () => p.set(secLast, cp.eq(D('passesM1', wb)).and(cj.eq(L - 1))),
      PARAM: () => p.set(secLast, pc.eq(D('cout', wb).sub(1).trunc(CB))),
      LUT: () => p.set(secLast, li.eq(255)),
      default: () => {},
    });
  });
  const wReady = m.let('wl_ready', inSec.and(wk.eq(0).or(wk.eq(1).and(secLast.not()))));
  m.assign(wgtReady, wReady);
  const wFire = m.let('wl_fire', wReady.and(wgtValid));
  // items per beat of the current section
  const kNow = m.wire('wl_k_now', KB);
  m.comb((p) => {
    p.set(kNow, kDesc);
    wst.switch(p, {
      FIXED: () => p.set(kNow, mux(wF4, lit(fastF4 ? 1 : kFix4, KB), lit(fastF8 ? 1 : kFix8, KB))),
      SP2: () => p.set(kNow, fastS ? 1 : kSp2),
      CMAP: () => p.set(kNow, kCmap),
      PARAM: () => p.set(kNow, kPar),
      LUT: () => p.set(kNow, kCmap),
      default: () => {},
    });
  });
  // the buffer after one item: shift by the item width
  const wShift = m.wire('wl_shifted', W);
  m.comb((p) => {
    p.set(wShift, wbuf.shr(32));
    wst.switch(p, {
      FIXED: () => p.set(wShift, mux(wF4, wbuf.shr(N * 4), wbuf.shr(N * WF))),
      SP2: () => p.set(wShift, wbuf.shr(N * cfg.m)),
      CMAP: () => p.set(wShift, wbuf.shr(16)),
      PARAM: () => p.set(wShift, wbuf.shr(96)),
      LUT: () => p.set(wShift, wbuf.shr(16)),
      default: () => {},
    });
  });
  const item32 = wbuf.slice(31, 0);
  // fixed item of beat slot (s4 in fixed4 mode, s8 otherwise), sign-extended from 4 bits in fixed4 mode
  const fixedItems = new Map<string, Signal>();
  const fixedItem = (s4: number, s8: number): Signal => {
    const key = `${s4}_${s8}`;
    let v = fixedItems.get(key);
    if (!v) {
      const b4 = s4 * N * 4;
      const b8 = s8 * N * WF;
      v = m.let(
        `wl_fixed_item${fixedItems.size}`,
        mux(
          wF4,
          cat(...Array.from({ length: N }, (_, n) => wbuf.slice(b4 + n * 4 + 3, b4 + n * 4).asSigned().resize(WF).asUnsigned()).reverse()),
          wbuf.slice(b8 + N * WF - 1, b8),
        ),
      );
      fixedItems.set(key, v);
    }
    return v;
  };
  const descDone = m.wire('wl_desc_done', 1); // DERIVE finished: descriptor + start address valid
  const progDone = m.wire('wl_prog_done', 1); // last item of the program
  const wStart = m.let('wl_start', wst.is('WAIT').and(pick(descOk, wb).not()).and(pick(progOk, wb).not()));
  const deriveEnd = m.let('wl_derive_end', wst.is('DERIVE').and(dvT.eq(0)).and(dvL.eq(0)));

  // next section after DERIVE / FIXED / SP2 / CMAP (skipping empty ones); PARAM (LUT with the lut flag) and MAXPOOL end the program
  type Sec = (typeof secs)[number];
  const afterDerive: Sec = Pf > 0 ? 'FIXED' : Ps > 0 ? 'SP2' : 'CMAP';
  m.assign(descDone, deriveEnd);
  const endAfterDerive = m.let('wl_end_after_derive', wGemm.not().and(wAvg.not()));
  const secEnd = m.let('wl_sec_end', itemGo.and(secLast));
  const wLut = D('lut', wb);
  m.assign(progDone, deriveEnd.and(endAfterDerive).or(secEnd.and(wst.is('PARAM')).and(wLut.not())).or(secEnd.and(wst.is('LUT'))));

  return { wst, wj, wb, KB, kFix4, kFix8, kSp2, fastF8, fastF4, fastS, stepF8, stepF4, stepS, wbuf, wk, di, fa, fl, cp, cj, cu, ck, cbase, pc, li, wLut, dvAcc, dvT, dvL, itemGo, wGemm, wAvg, wF4, secLast, fixedLaneEnd, wFire, kNow, wShift, item32, fixedItem, descDone, progDone, wStart, deriveEnd, afterDerive, secEnd };
}
export type LoaderState = ReturnType<typeof loaderState>;

/** Program loader: beat buffer and section state machine. */
export function loaderFsm(c: CoreCtx, io: CorePorts, dsc: DescriptorBanks, wl: LoaderState) {
  const { m, PB } = c;
  const { Pf, Ps, Rq } = c.cfg;
  const { L, G, AW, WAB, CMA, CB } = c.S;
  // noSp2 matters only with both lane kinds (a core without SP2 lanes or fixed lanes has no choice to make)
  if (Pf === 0 || Ps === 0) dsc.desc.noSp2.forEach((r) => r.markUnused());
  const { wgtData } = io;
  const { D } = dsc;
  const { wst, wj, wb, KB, stepF8, stepF4, stepS, wbuf, wk, di, fa, fl, cp, cj, cu, ck, cbase, pc, li, wLut, dvAcc, dvT, dvL, itemGo, wGemm, wAvg, wF4, secLast, fixedLaneEnd, wFire, kNow, wShift, wStart, afterDerive, secEnd } = wl;
  m.sync((p) => {
    // beat buffer
    p.if(wFire, () => {
      p.set(wbuf, wgtData);
      p.set(wk, kNow);
    }).elif(itemGo, () => {
      p.set(wbuf, wShift);
      p.set(wk, mux(secLast, lit(0, KB), wk.sub(1).trunc(KB)));
    });
    p.if(secEnd, () => p.set(wk, 0));
    wst.switch(p, {
      WAIT: () =>
        p.if(wStart, () => {
          wst.goto(p, 'DESC');
          p.set(di, 0);
        }),
      DESC: () =>
        p.if(itemGo, () => {
          p.set(di, di.add(1).trunc(5));
          p.if(secLast, () => {
            wst.goto(p, 'DERIVE');
            p.set(dvAcc, 0);
            p.set(dvT, D('padT', wb));
            p.set(dvL, D('padL', wb));
          });
        }),
      DERIVE: () => {
        p.if(dvT.ne(0), () => {
          p.set(dvT, dvT.sub(1).trunc(8));
          p.set(dvAcc, dvAcc.sub(D('rowStride', wb)).trunc(AW));
        }).elif(dvL.ne(0), () => {
          p.set(dvL, dvL.sub(1).trunc(8));
          p.set(dvAcc, dvAcc.sub(D('cg', wb)).trunc(AW));
        }).else(() => {
          p.set(fa, 0);
          p.set(fl, 0);
          p.set(cp, 0);
          p.set(cj, 0);
          p.set(cu, 0);
          p.set(ck, 0);
          p.set(cbase, 0);
          p.set(pc, 0);
          p.set(li, 0);
          p.if(wGemm, () => wst.goto(p, afterDerive))
            .elif(wAvg, () => wst.goto(p, 'PARAM'))
            .else(() => {
              wst.goto(p, 'WAIT');
              p.set(wj, wj.add(1).trunc(2));
            });
        });
      },
      FIXED: () => {
        if (Pf === 0) return;
        p.if(itemGo, () => {
          p.if(fixedLaneEnd, () => {
            p.set(fl, 0);
            p.set(fa, fa.add(1).trunc(WAB));
          }).else(() => p.set(fl, fl.add(mux(wF4, lit(stepF4, fl.width), lit(stepF8, fl.width))).trunc(fl.width)));
          p.if(secLast, () => {
            p.set(fa, 0);
            p.set(fl, 0);
            if (Ps > 0) p.if(D('noSp2', wb), () => wst.goto(p, 'CMAP')).else(() => wst.goto(p, 'SP2'));
            else wst.goto(p, 'CMAP');
          });
        });
      },
      SP2: () => {
        if (Ps === 0) return;
        p.if(itemGo, () => {
          p.if(fl.eq(Ps - stepS), () => {
            p.set(fl, 0);
            p.set(fa, fa.add(1).trunc(WAB));
          }).else(() => p.set(fl, fl.add(stepS).trunc(fl.width)));
          p.if(secLast, () => wst.goto(p, 'CMAP'));
        });
      },
      CMAP: () =>
        p.if(itemGo, () => {
          p.if(cj.eq(L - 1), () => {
            p.set(cj, 0);
            p.set(cu, 0);
            p.set(ck, 0);
            p.set(cp, cp.add(1).trunc(PB));
            p.set(cbase, cbase.add(G).trunc(CMA));
          }).else(() => {
            p.set(cj, cj.add(1).trunc(cj.width));
            // lane j -> unit j mod Rq, item j div Rq
            if (Rq === 1) p.set(ck, ck.add(1).trunc(ck.width));
            else {
              p.if(cu.eq(Rq - 1), () => {
                p.set(cu, 0);
                p.set(ck, ck.add(1).trunc(ck.width));
              }).else(() => p.set(cu, cu.add(1).trunc(cu.width)));
            }
          });
          p.if(secLast, () => wst.goto(p, 'PARAM'));
        }),
      PARAM: () =>
        p.if(itemGo, () => {
          p.set(pc, pc.add(1).trunc(CB));
          p.if(secLast, () => {
            p.if(wLut, () => wst.goto(p, 'LUT')).else(() => {
              wst.goto(p, 'WAIT');
              p.set(wj, wj.add(1).trunc(2));
            });
          });
        }),
      LUT: () =>
        p.if(itemGo, () => {
          p.set(li, li.add(1).trunc(8));
          p.if(secLast, () => {
            wst.goto(p, 'WAIT');
            p.set(wj, wj.add(1).trunc(2));
          });
        }),
    });
  });
}
export type LoaderFsm = ReturnType<typeof loaderFsm>;

/** Weight, channel-map and parameter writes (registered item data and counters). */
export function loaderWrites(c: CoreCtx, bkm: BankMemories, wl: LoaderState) {
  const { m, cfg } = c;
  const { N, Pf, Ps } = c.cfg;
  const { CMA, CB } = c.S;
  const { fixedMem, sp2Mem, cmMem, parMem, lutMem } = bkm;
  const { wst, wb, kFix4, kFix8, kSp2, fastF8, fastF4, fastS, wbuf, fa, fl, cu, ck, cbase, pc, li, itemGo, wF4, fixedItem } = wl;
  // weight, channel-map and parameter writes (registered item data and counters)
  if (Pf > 0) {
    const fixedWe = m.let('wl_fixed_we', wst.is('FIXED').and(itemGo));
    fixedMem.forEach((mem, l) => {
      const s4 = fastF4 ? l % kFix4 : 0;
      const s8 = fastF8 ? l % kFix8 : 0;
      const mine = mux(wF4, fl.eq(l - s4), fl.eq(l - s8));
      mem.write(fixedWe.and(mine), cat(wb, fa), fixedItem(s4, s8));
    });
  }
  if (Ps > 0) {
    const sp2We = m.let('wl_sp2_we', wst.is('SP2').and(itemGo));
    sp2Mem.forEach((mem, l) => {
      const s = fastS ? l % kSp2 : 0;
      mem.write(sp2We.and(fl.eq(l - s)), cat(wb, fa), wbuf.slice((s + 1) * N * cfg.m - 1, s * N * cfg.m));
    });
  }
  const cmWe = m.let('wl_cmap_we', wst.is('CMAP').and(itemGo));
  const cmAddr = m.let('wl_cmap_addr', cbase.add(ck.resize(CMA)).trunc(CMA));
  cmMem.forEach((mem, u) => mem?.write(cmWe.and(cu.eq(u)), cat(wb, cmAddr), cat(wbuf.bit(15), wbuf.slice(CB - 1, 0))));
  const parWe = m.let('wl_param_we', wst.is('PARAM').and(itemGo));
  const parItem = m.let('wl_param_item', cat(wbuf.slice(69, 64), wbuf.slice(62, 32), wbuf.slice(31, 0)));
  parMem.forEach((mem) => mem.write(parWe, cat(wb, pc), parItem));
  const lutWe = m.let('wl_lut_we', wst.is('LUT').and(itemGo));
  lutMem.forEach((mem) => mem.write(lutWe, cat(wb, li), wbuf.slice(cfg.A - 1, 0)));

  return { cmWe };
}
export type LoaderWrites = ReturnType<typeof loaderWrites>;
