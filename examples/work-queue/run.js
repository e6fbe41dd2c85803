'use strict';
// The work-queue demo (see README.md): one producer of jobs, WORKERS worker processes sharing
// them through a share group, and one worker killed (SIGKILL) midway while it holds a job. It
// ends once every job is done and says whether the queue kept its promise: every job done, and
// none done twice unless the worker that did it first died holding it.
//
//   BROKER=localhost:9092 node examples/work-queue/run.js
//
// Needs Apache Kafka 4.2 or newer (share groups are Kafka's; `npx kafka-native kafka --port 9092`
// starts one). Settings: WORKERS (3), JOBS (12), JOB_MS (how long each job takes, 1000), LOCK_MS
// (how long a worker may hold a job before it is given to another, 15000: stock Kafka's smallest,
// group.share.min.record.lock.duration.ms), PARTITIONS (of the jobs topic, 1).
const path = require('node:path');
const { fork } = require('node:child_process');
const { Admin, Producer, Consumer } = require('kafka-native');

const broker = process.env.BROKER;
const WORKERS = Number(process.env.WORKERS || 3);
const JOBS = Number(process.env.JOBS || 12);
const JOB_MS = Number(process.env.JOB_MS || 1000);
const LOCK_MS = Number(process.env.LOCK_MS || 15000);
const PARTITIONS = Number(process.env.PARTITIONS || 1);
const run = `work-queue-${Date.now()}`;
const topics = { JOBS: `${run}-jobs`, DONE: `${run}-done`, WORKERS_GROUP: `${run}-workers` };

async function main() {
  if (!broker) throw new Error('set BROKER to an Apache Kafka 4.2+ broker (npx kafka-native kafka starts one)');
  const admin = new Admin({ broker });
  await admin.createTopics([{ topic: topics.JOBS, partitions: PARTITIONS, replication_factor: 1 }, { topic: topics.DONE, partitions: 1, replication_factor: 1 }]);
  // A share group starts at the latest offset; this one reads the jobs written before it too,
  // and gives a job to another worker LOCK_MS after its worker stopped answering.
  await admin.setConfigs([{ kind: 'group', name: topics.WORKERS_GROUP, config: { 'share.auto.offset.reset': 'earliest', 'share.record.lock.duration.ms': LOCK_MS } }]);
  admin.stop();

  const workers = Array.from({ length: WORKERS }, (_, i) => {
    const child = fork(path.join(__dirname, 'worker.js'), [], { env: { ...process.env, ...topics, WORKER_NAME: `worker-${i}` } });
    return { name: `worker-${i}`, child, holding: new Set(), killed: false };
  });
  const heldByKilled = new Set();
  let doneCount = 0;
  // Midway, the first worker seen holding a job dies with it (which worker a share group hands
  // jobs to is the broker's choice: on several partitions one may get none for a while).
  let victim = null;
  for (const w of workers) {
    w.child.on('message', (m) => {
      if (m.took !== undefined) w.holding.add(m.took);
      if (m.done !== undefined) {
        w.holding.delete(m.done);
        doneCount++;
      }
      if (!victim && doneCount >= JOBS / 3) victim = workers.find((v) => v.holding.size > 0) ?? null;
      if (victim && !victim.killed) {
        victim.killed = true;
        for (const id of victim.holding) heldByKilled.add(id);
        victim.child.kill('SIGKILL');
        console.log(`killed ${victim.name} holding job(s) ${[...heldByKilled].join(', ')}`);
      }
    });
  }

  // Every job in one call (one record batch per partition): a worker acquires only as many as it
  // takes at once (max_records, with the share consumer's acquire_mode 'record_limit'), so the
  // broker hands the others to the other workers.
  const producer = new Producer({ broker });
  await producer.deliver(topics.JOBS, -1, Array.from({ length: JOBS }, (_, id) => JSON.stringify({ id, ms: JOB_MS })));
  await producer.stop();
  console.log(`${JOBS} jobs queued for ${WORKERS} workers`);

  const done = new Map(); // job id -> [{worker, delivery_count}]
  await new Promise((resolve) => {
    const reader = new Consumer({
      broker, topic: topics.DONE, offset_directory: null, fetch_wait_max_ms: 100,
      receive_callback: async ({ messages }) => {
        for (const m of messages) {
          const r = JSON.parse(m.payload);
          if (!done.has(r.id)) done.set(r.id, []);
          done.get(r.id).push(r);
          console.log(`job ${r.id} done by ${r.worker}${r.delivery_count > 1 ? ` (delivery ${r.delivery_count})` : ''}`);
        }
        if (done.size === JOBS) reader.stop().then(resolve);
      },
    });
    reader.start();
  });
  await Promise.all(workers.filter((w) => !w.killed).map((w) => new Promise((resolve) => {
    w.child.once('exit', resolve);
    w.child.kill('SIGTERM');
  })));

  const twice = [...done].filter(([, rs]) => rs.length > 1).map(([id]) => id);
  const redelivered = [...done].filter(([, rs]) => rs.some((r) => r.delivery_count > 1)).map(([id]) => id);
  const unexplained = twice.filter((id) => !heldByKilled.has(id));
  const summary = { jobs: JOBS, done: done.size, twice, redelivered, held_by_killed: [...heldByKilled], ok: done.size === JOBS && unexplained.length === 0 && Boolean(victim?.killed) };
  console.log(JSON.stringify(summary));
  process.exitCode = summary.ok ? 0 : 1;
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
