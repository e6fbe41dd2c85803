'use strict';
// A worker of the work queue (see README.md): a member of the share group WORKERS_GROUP that
// takes jobs from topic JOBS, works on each for its `ms` milliseconds, and writes what it did to
// topic DONE. A job is acknowledged once its receive_callback resolves; a worker that dies
// holding jobs loses none: the broker hands them to another worker when their lock expires.
// It tells its parent process (when there is one) each job it takes and finishes.
const { ShareConsumer, Producer } = require('kafka-native');

const broker = process.env.BROKER;
const name = process.env.WORKER_NAME || `worker-${process.pid}`;
const tell = (what) => process.send?.(what);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

const done = new Producer({ broker });
const worker = new ShareConsumer({
  broker,
  group_id: process.env.WORKERS_GROUP || 'workers',
  topic: process.env.JOBS || 'jobs',
  max_records: 1, // jobs take seconds: hold one at a time, leave the rest to the other workers
  receive_callback: async ({ messages }) => {
    for (const message of messages) {
      const job = JSON.parse(message.payload);
      tell({ took: job.id, delivery_count: message.delivery_count });
      await sleep(job.ms);
      await done.deliver(process.env.DONE || 'jobs-done', -1, [JSON.stringify({ id: job.id, worker: name, delivery_count: message.delivery_count })]);
      tell({ done: job.id });
    }
  },
});

worker.start().then(() => tell({ ready: name }));
process.once('SIGTERM', async () => {
  await worker.stop(); // finishes the job in hand, acknowledges, leaves the group
  await done.stop();
  process.exit(0);
});
