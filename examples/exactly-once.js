'use strict';
// Read-process-write, exactly once: each message of topic INPUT becomes one message of OUTPUT
// (its payload upper-cased, same partition and key), and the output and the consumer group's
// offsets are committed in one Kafka transaction. After a crash or a rebalance the batch whose
// transaction did not commit is read again, and read_committed readers of OUTPUT never see what
// an aborted or unfinished transaction wrote: every input shows up in OUTPUT exactly once.
//
//   BROKER=host:9092 INPUT=orders OUTPUT=orders-upper GROUP=upper node examples/exactly-once.js
//
// TRANSACTIONAL_ID (default: GROUP + '-1') must be stable across restarts of one instance and
// unique among instances: a restarted instance fences its predecessor (whose writes then fail)
// and aborts whatever transaction it left open. Without BROKER it runs a short demo on an
// embedded MockCluster (whose logs keep no transaction state: see docs/transactions.md).
const { Producer, Consumer, MockCluster, notProcessed } = require('../js/index.js');

async function main() {
  let cluster;
  let broker = process.env.BROKER;
  const input = process.env.INPUT || 'eos-input';
  const output = process.env.OUTPUT || 'eos-output';
  const group = process.env.GROUP || 'eos-example';
  const transactional_id = process.env.TRANSACTIONAL_ID || `${group}-1`;
  if (!broker) {
    cluster = new MockCluster(1);
    cluster.createTopic(input, 2, 1);
    cluster.createTopic(output, 2, 1);
    broker = cluster.bootstrapServers;
    const seed = new Producer({ broker });
    for (let i = 0; i < 20; i++) seed.send(input, i % 2, [`order ${i}`]);
    await seed.stop();
  }

  const producer = new Producer({ broker, transactional_id, queue_buffering_max_ms: 5 });
  await producer.initTransactions();

  let consumer;
  let processed = 0;
  const start = () => {
    consumer = new Consumer({
      broker,
      topic: input,
      group_id: group,
      auto_commit: false, // the transactions commit the offsets, and nothing else may
      isolation_level: 'read_committed', // the input may be written transactionally too
      fetch_wait_max_ms: 100,
      driver_options: {
        // A restarted instance takes its predecessor's place in the group at once.
        'group.instance.id': transactional_id,
        'session.timeout.ms': '6000',
      },
      receive_callback: async ({ messages }) => {
        producer.beginTransaction();
        try {
          const byPartition = new Map();
          for (const m of messages) {
            const records = byPartition.get(m.partition) ?? [];
            records.push({ key: m.key, payload: m.payload.toUpperCase() });
            byPartition.set(m.partition, records);
          }
          for (const [partition, records] of byPartition) producer.send(output, partition, records);
          await producer.sendOffsetsToTransaction(consumer); // its batch in hand
          await commit(producer);
          processed += messages.length;
          console.log(`committed ${messages.length} (${processed} in all)`);
        } catch (err) {
          if (err.fatal) {
            // Fenced by a newer instance, say: this one can do nothing more.
            console.error(`exactly-once: ${err.message}; exiting`);
            process.exit(1);
          }
          await producer.abortTransaction().catch(() => {});
          // Not recorded: read again, by a new consumer here or by the group's next member.
          setImmediate(restart);
          throw notProcessed(err.message);
        }
      },
    });
    return consumer.start();
  };
  let stopping = false;
  const restart = async () => {
    await consumer.stop().catch(() => {});
    if (!stopping) await start(); // not while shutting down: that would start a consumer again
  };
  await start();
  console.log(`exactly-once: reading ${input} in group ${group}, writing ${output} as ${transactional_id}`);

  if (cluster) {
    await new Promise((resolve) => {
      const check = setInterval(() => { if (processed >= 20) { clearInterval(check); resolve(); } }, 50);
    });
    await consumer.stop();
    await producer.stop();
    cluster.stop?.();
    console.log('demo done: 20 orders in, 20 upper-cased in one transaction per batch');
  } else {
    const shutdown = async () => {
      stopping = true;
      await consumer.stop();
      // An aborted transaction's sends were purged, and stop() says so: expected here.
      await producer.stop().catch((err) => console.error(`exactly-once: stopping: ${err.message}`));
      process.exit(0);
    };
    process.once('SIGINT', shutdown);
    process.once('SIGTERM', shutdown);
  }
}

// A commit that timed out (err.retriable) is still under way and cannot be aborted (the abort
// is refused, _CONFLICT): call it again until it ends (committed, or a fatal error).
async function commit(producer) {
  for (;;) {
    try {
      return await producer.commitTransaction();
    } catch (err) {
      if (!err.retriable) throw err;
    }
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
