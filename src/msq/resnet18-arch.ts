/**
 * torchvision resnet18's shape (ImageNet 224x224), one place for the two builders that walk it: the shipped synthetic
 * example (scripts/make-resnet18.ts, float weights) and the sizing search's stand-in network
 * (src/msq/core/compiled-jobs.ts, quantized by structure). conv1 7x7/2 pad 3 on 3 channels, maxpool 3x3/2 pad 1,
 * 4 stages of 2 BasicBlocks (3x3 convs; the first block of stages 2-4 has stride 2 and a 1x1/2 downsample), global
 * average pool, fc 512 -> 1000.
 */
export interface Resnet18Block {
  /** `layer<stage>.<block>`, torchvision's module name */
  name: string;
  cin: number;
  cout: number;
  stride: number;
  /** the skip path is a 1x1 conv (stride or width change) */
  downsample: boolean;
}

/** The 8 BasicBlocks in order. */
export function resnet18Blocks(): Resnet18Block[] {
  const out: Resnet18Block[] = [];
  let cin = 64;
  [64, 128, 256, 512].forEach((c, stage) => {
    for (let b = 0; b < 2; b++) {
      const stride = stage > 0 && b === 0 ? 2 : 1;
      out.push({ name: `layer${stage + 1}.${b}`, cin, cout: c, stride, downsample: stride !== 1 || cin !== c });
      cin = c;
    }
  });
  return out;
}
