/**
 * Vivado project script (build.tcl) and constraints (constraints.xdc) of an exported design, filled into
 * templates/export/build.tcl.hbs and constraints.xdc.hbs. The block design: Zynq PS7 (FCLK0 = the achieved design
 * clock, src/export/clock.ts), proc_sys_reset, the wrapper `<top>_zynq` as a module reference, one AXI DMA (simple
 * mode) per pair of input/output streams, an AXI SmartConnect for the control path (GP0 → DMA registers,
 * s_axi_ctrl, interrupt controller) and one for the data path (DMA masters → HP0), and an AXI interrupt controller
 * collecting the DMA interrupts into IRQ_F2P (the PYNQ convention); then synthesis, implementation, bitstream,
 * reports, a check of clk_fpga_0's period, and the .bit/.hwh pair PYNQ loads.
 * NOT RUN HERE: Vivado is not installed on the build machines; the self-check runs the Tcl with stubbed commands.
 */
import type { Board } from '../board/index.js';
import { renderTemplate } from '../util/templates.js';
import { GENERATOR_VERSION } from '../version.js';
import type { DesignManifest } from '../design/manifest.js';
import { IO_PLL_MHZ, type FabricClock } from './clock.js';
import type { WrapperPlan } from './wrapper.js';

/** Vivado Tcl commands build.tcl uses (tests stub exactly these; anything else is a mistake). */
export const VIVADO_COMMANDS = [
  'create_project', 'set_property', 'get_board_parts', 'current_project', 'add_files', 'get_filesets', 'update_compile_order',
  'create_bd_design', 'create_bd_cell', 'get_bd_cells', 'get_bd_pins', 'get_bd_intf_pins', 'connect_bd_net', 'connect_bd_intf_net',
  'apply_bd_automation', 'assign_bd_address', 'validate_bd_design', 'save_bd_design', 'make_wrapper', 'get_files',
  'generate_target', 'launch_runs', 'wait_on_run', 'get_runs', 'open_run', 'report_utilization', 'report_timing_summary',
  'get_property', 'get_bd_addr_segs', 'set_msg_config', 'current_fileset', 'version', 'get_clocks',
] as const;

/** The Vivado versions build.tcl is written for (IP versions as of these releases). */
export const VIVADO_VERSIONS = '2020.2 to 2023.2';

export interface DmaPlan {
  name: string;
  mm2s?: { bus: string; width: number };
  s2mm?: { bus: string; width: number };
}

/** Pair input and output streams onto DMAs: dma0 = (1st in, 1st out), dma1 = (2nd in, 2nd out), ... */
export function planDmas(plan: WrapperPlan): DmaPlan[] {
  const ins = plan.streams.filter((s) => s.stream.direction === 'in');
  const outs = plan.streams.filter((s) => s.stream.direction === 'out');
  const dmas: DmaPlan[] = [];
  for (let i = 0; i < Math.max(ins.length, outs.length); i++) {
    const d: DmaPlan = { name: `dma${i}` };
    if (ins[i]) d.mm2s = { bus: ins[i]!.bus, width: ins[i]!.busWidth };
    if (outs[i]) d.s2mm = { bus: outs[i]!.bus, width: outs[i]!.busWidth };
    dmas.push(d);
  }
  return dmas;
}

const brace = (v: string | number) => `{${v}}`;

/**
 * Board presets: the Vivado board part (used when its board files are installed) and the PS7 settings written when
 * they are not, so the hardware description (and a first-stage bootloader built from it) matches the board.
 */
export const PS_PRESETS: Record<string, { boardPart: string; note: string; ps: Array<[string, string]> }> = {
  'pynq-z2': {
    boardPart: 'tul.com.tw:pynq-z2:part0:1.0',
    note: 'from TUL; install them for the full PS preset',
    ps: [
      ['PCW_CRYSTAL_PERIPHERAL_FREQMHZ', '50.000000'], ['PCW_APU_PERIPHERAL_FREQMHZ', '650'],
      ['PCW_UIPARAM_DDR_PARTNO', 'MT41K256M16 RE-125'], ['PCW_UIPARAM_DDR_BUS_WIDTH', '16 Bit'], ['PCW_UIPARAM_DDR_FREQ_MHZ', '525'],
      ['PCW_UART0_PERIPHERAL_ENABLE', '1'], ['PCW_UART0_UART0_IO', 'MIO 14 .. 15'],
      ['PCW_SD0_PERIPHERAL_ENABLE', '1'], ['PCW_SD0_SD0_IO', 'MIO 40 .. 45'],
    ],
  },
  zc706: {
    boardPart: 'xilinx.com:zc706:part0:1.4',
    note: 'they ship with Vivado',
    ps: [
      ['PCW_CRYSTAL_PERIPHERAL_FREQMHZ', '33.333333'],
      ['PCW_UIPARAM_DDR_PARTNO', 'MT41J256M8 HX-15E'], ['PCW_UIPARAM_DDR_BUS_WIDTH', '32 Bit'], ['PCW_UIPARAM_DDR_FREQ_MHZ', '533.333333'],
      ['PCW_UART1_PERIPHERAL_ENABLE', '1'], ['PCW_UART1_UART1_IO', 'MIO 48 .. 49'],
    ],
  },
};

/** Length register width covering `bytes` (the AXI DMA allows 8..26 bits). */
function lengthWidth(bytes: number): number {
  let w = 14;
  while (2 ** w - 1 < bytes && w < 26) w++;
  return w;
}

export function projectName(m: DesignManifest): string {
  return `accelforge_${m.top}`;
}

/** Template fields shared by the Tcl, the XDC, the driver and the README: the clock as the PS7 makes it. */
export function clockFields(clock: FabricClock): Record<string, unknown> {
  return {
    clockMHz: clock.mhz, periodNs: (1000 / clock.mhz).toFixed(3), ioPllMHz: IO_PLL_MHZ,
    divisors: `${clock.divisors[0]} / ${clock.divisors[1]}`, requestedMHz: clock.requestedMHz ?? null,
  };
}

/** build.tcl text. `maxTransferBytes` sizes the DMA length register. */
export function vivadoTcl(m: DesignManifest, board: Board, plan: WrapperPlan, clock: FabricClock, maxTransferBytes: number): string {
  const dmas = planDmas(plan);
  const preset = PS_PRESETS[board.board];
  const lw = lengthWidth(maxTransferBytes);
  const clkPins = ['rst0/slowest_sync_clk', 'acc/clk', 'ctrl_ic/aclk', 'mem_ic/aclk', 'intc/s_axi_aclk'];
  const dataLinks: Array<[string, string]> = [];
  const irqPins: string[] = [];
  const mi = (i: number) => `M${String(i).padStart(2, '0')}_AXI`;
  const si = (i: number) => `S${String(i).padStart(2, '0')}_AXI`;
  let k = 0;
  const dmaCells = dmas.map((d) => {
    clkPins.push(`${d.name}/s_axi_lite_aclk`);
    const props = ['CONFIG.c_include_sg {0}', 'CONFIG.c_sg_include_stscntrl_strm {0}', `CONFIG.c_sg_length_width {${lw}}`,
      `CONFIG.c_include_mm2s {${d.mm2s ? 1 : 0}}`, `CONFIG.c_include_s2mm {${d.s2mm ? 1 : 0}}`];
    // The DMA's memory-map side must be at least as wide as its stream (AXI DataMover rule, PG022): 32..1024 bits.
    if (d.mm2s) {
      clkPins.push(`${d.name}/m_axi_mm2s_aclk`);
      props.push(`CONFIG.c_m_axi_mm2s_data_width {${Math.max(32, d.mm2s.width)}}`, `CONFIG.c_m_axis_mm2s_tdata_width {${d.mm2s.width}}`, 'CONFIG.c_mm2s_burst_size {16}');
      dataLinks.push([`${d.name}/M_AXI_MM2S`, `mem_ic/${si(k++)}`], [`${d.name}/M_AXIS_MM2S`, `acc/${d.mm2s.bus}`]);
      irqPins.push(`${d.name}/mm2s_introut`);
    }
    if (d.s2mm) {
      clkPins.push(`${d.name}/m_axi_s2mm_aclk`);
      props.push(`CONFIG.c_m_axi_s2mm_data_width {${Math.max(32, d.s2mm.width)}}`, `CONFIG.c_s_axis_s2mm_tdata_width {${d.s2mm.width}}`, 'CONFIG.c_s2mm_burst_size {16}');
      dataLinks.push([`${d.name}/M_AXI_S2MM`, `mem_ic/${si(k++)}`], [`acc/${d.s2mm.bus}`, `${d.name}/S_AXIS_S2MM`]);
      irqPins.push(`${d.name}/s2mm_introut`);
    }
    return { ...d, props: props.join(' ') };
  });
  const ctrlLinks: Array<[string, string]> = dmas.map((d, i) => [mi(i), `${d.name}/S_AXI_LITE`]);
  ctrlLinks.push([mi(dmas.length), 'acc/s_axi_ctrl'], [mi(dmas.length + 1), 'intc/s_axi']);
  return renderTemplate('export/build.tcl.hbs', {
    top: m.top, board: board.board, part: board.part, generator: `accelforge ${GENERATOR_VERSION}`, vivadoVersions: VIVADO_VERSIONS,
    project: projectName(m), ...clockFields(clock),
    boardPart: preset ? brace(preset.boardPart) : null, boardNote: preset?.note ?? '',
    psSettings: (preset?.ps ?? []).map(([key, v]) => [key, brace(v)]),
    files: [...m.files.map((f) => `rtl/${f}`), `rtl/${plan.file}`],
    wrapper: plan.module, ctrlMasters: brace(dmas.length + 2), memSlaves: brace(k), irqCount: brace(Math.max(1, irqPins.length)),
    dmas: dmaCells, clkPins, rstPins: ['ctrl_ic/aresetn', 'mem_ic/aresetn', 'intc/s_axi_aresetn', ...dmas.map((d) => `${d.name}/axi_resetn`)],
    ctrlLinks, dataLinks, irqPins,
  });
}

/** constraints.xdc text: the clock as comments (the PS7 IP constrains clk_fpga_0; build.tcl checks its period). */
export function constraintsXdc(m: DesignManifest, board: Board, clock: FabricClock): string {
  return renderTemplate('export/constraints.xdc.hbs', { top: m.top, board: board.board, part: board.part, generator: `accelforge ${GENERATOR_VERSION}`, ...clockFields(clock) });
}
