// One abuser process (signal-abuses.ts): takes its order over IPC, says when it begins, abuses,
// reports and exits.
import { runAbuse, type AbuseOrder } from './signal-abuses';

process.once('message', (order: AbuseOrder) => {
  process.send!({ type: 'started' });
  void runAbuse(order).then((report) =>
    process.send!({ type: 'report', report }, () => process.exit(0)),
  );
});
