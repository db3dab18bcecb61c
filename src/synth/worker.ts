/** Child process for synthesizeMany: receives jobs over IPC, runs them one at a time, replies with reports. */
import { synthesize } from './synthesize.js';
import { UserError } from '../util/errors.js';
import type { FromWorker, ToWorker } from './many.js';

process.on('message', (msg: ToWorker) => {
  void (async () => {
    let reply: FromWorker;
    try {
      reply = { id: msg.id, ok: true, report: await synthesize(msg.job) };
    } catch (e) {
      reply = { id: msg.id, ok: false, error: (e as Error).message, userError: e instanceof UserError };
    }
    process.send?.(reply);
  })();
});
process.on('disconnect', () => process.exit(0));
