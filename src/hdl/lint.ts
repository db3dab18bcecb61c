/** Run `verilator --lint-only -Wall` and `iverilog -g2005` on files; throws with the diagnostics. */
export async function lintVerilog(files: Map<string, string>, top: string): Promise<void> {
  void files; void top;
  throw new Error('lintVerilog: not implemented yet');
}

/** Read the files in yosys (embedded @yowasp/yosys) and run `hierarchy -check -top top`; throws with the log. */
export async function yosysRead(files: Map<string, string>, top: string): Promise<void> {
  void files; void top;
  throw new Error('yosysRead: not implemented yet');
}
