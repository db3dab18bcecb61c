/**
 * The float classifiers of models/zoo/ that scripts/train-zoo.py trains: 4 architectures × MNIST and Fashion-MNIST,
 * named `<architecture>-<data set>`. Shared by the accuracy benches (msq-accuracy, msq-accuracy-free, msq-plan).
 */
export const TRAINED_ZOO: readonly { name: string; data: string }[] = ['plain', 'resgap', 'dwsep', 'widefc'].flatMap((a) =>
  ['mnist', 'fashion-mnist'].map((d) => ({ name: `${a}-${d}`, data: d })),
);
