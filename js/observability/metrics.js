'use strict';
// Metrics of kafka-native clients for Prometheus (through prom-client) and OpenTelemetry
// (through a Meter of @opentelemetry/api), both optional peers: collectMetrics(client,
// {registry} or {meter}) registers a client; its figures are read when scraped or collected.
//
// Throughput, queue, failure and round-trip figures come from the statistics librdkafka emits
// every statistics_interval_ms (5 s by default; not 0). Consumer lag is asked of the
// partitions' leaders at each scrape (Consumer.lag()), so it moves while a consumer is paused.
// A client that is stopped or garbage-collected drops out at the next scrape.

const { fail } = require('../client/argument-error');

const PREFIX = 'kafka_native_';

// What a Producer or Consumer keeps for its metrics: its kind, whether librdkafka emits
// statistics (an interval above 0), the newest of them, the rebalances counted, whether it was
// stopped, and, once collectMetrics() registered it, each broker's latest round-trip times.
// A consumer with max_deliveries also counts the records it wrote to its dead-letter topic; a
// ShareConsumer (which has no librdkafka statistics) is read through its stats().
class ClientTelemetry {
  constructor(kind, statisticsIntervalMs) {
    this.kind = kind;
    this.statsOn = statisticsIntervalMs > 0;
    this.stats = null;
    this.rebalances = 0;
    this.deadLettered = 0;
    this.stopped = false;
    this.rtt = null;
  }

  keep(stats) {
    this.stats = stats;
    if (this.rtt) rememberRtt(this.rtt, stats);
  }
}

const statsValue = (read) => (c) => {
  const s = c._telemetry.stats;
  const v = s && read(s);
  return typeof v === 'number' ? [[{}, v]] : [];
};

// A ShareConsumer's figures, from its stats() (the core counts them as they happen).
const ACKNOWLEDGEMENT_TYPES = { accept: 'accepted', release: 'released', reject: 'rejected', renew: 'renewed' };
const acknowledgements = (c) => {
  const stats = c.stats();
  return Object.entries(ACKNOWLEDGEMENT_TYPES).map(([type, field]) => [{ type }, stats[field]]);
};
const shareStat = (field) => (c) => [[{}, c.stats()[field]]];

// Keeps, per broker, the round-trip times (librdkafka's rtt, in µs) of the latest statistics
// interval that had requests: an idle connection's interval has none.
function rememberRtt(rtt, stats) {
  const brokers = stats.rdkafkaStats && stats.rdkafkaStats.brokers;
  if (!brokers) return;
  for (const b of Object.values(brokers)) {
    if (b.nodeid >= 0 && b.rtt && b.rtt.cnt > 0) rtt.set(b.nodename, [b.rtt.p50, b.rtt.p99]);
  }
}

function brokerRtt(c) {
  const rows = [];
  for (const [broker, [p50, p99]] of c._telemetry.rtt) {
    rows.push([{ broker, quantile: '0.5' }, p50 / 1e6]);
    rows.push([{ broker, quantile: '0.99' }, p99 / 1e6]);
  }
  return rows;
}

async function consumerLag(c) {
  const partitions = await c.lag();
  return partitions.filter((p) => p.lag !== null).map((p) => [{ topic: p.topic, partition: String(p.partition) }, p.lag]);
}

// Each metric: its Prometheus name (less the prefix), OpenTelemetry name, kind, unit, help,
// the labels beyond `client`, which clients have it, and how to read it from one client:
// [[labels, value]], or a Promise of them.
const METRICS = [
  {
    name: 'messages_sent_total',
    otel: 'messaging.client.sent.messages',
    kind: 'counter',
    unit: '{message}',
    help: 'Messages sent to the brokers (librdkafka txmsgs)',
    on: 'producer',
    read: statsValue((s) => s.rdkafkaStats.txmsgs),
  },
  {
    name: 'sent_bytes_total',
    otel: 'kafka_native.sent.bytes',
    kind: 'counter',
    unit: 'By',
    help: 'Message bytes sent to the brokers (librdkafka txmsg_bytes)',
    on: 'producer',
    read: statsValue((s) => s.rdkafkaStats.txmsg_bytes),
  },
  {
    name: 'messages_received_total',
    otel: 'messaging.client.consumed.messages',
    kind: 'counter',
    unit: '{message}',
    help: 'Messages received from the brokers (librdkafka rxmsgs)',
    on: 'consumer',
    read: statsValue((s) => s.rdkafkaStats.rxmsgs),
  },
  {
    name: 'received_bytes_total',
    otel: 'kafka_native.received.bytes',
    kind: 'counter',
    unit: 'By',
    help: 'Message bytes received from the brokers (librdkafka rxmsg_bytes)',
    on: 'consumer',
    read: statsValue((s) => s.rdkafkaStats.rxmsg_bytes),
  },
  {
    name: 'delivery_failures_total',
    otel: 'kafka_native.delivery.failures',
    kind: 'counter',
    unit: '{message}',
    help: 'Messages that were not delivered, by librdkafka error name',
    labels: ['error'],
    on: 'producer',
    read: (c) => (c._telemetry.stats ? c._telemetry.stats.deliveryFailures.map((f) => [{ error: f.name }, f.count]) : []),
  },
  {
    name: 'producer_queue_messages',
    otel: 'kafka_native.producer.queue.messages',
    kind: 'gauge',
    unit: '{message}',
    help: 'Messages waiting to be delivered',
    on: 'producer',
    read: statsValue((s) => s.sendQueueLength),
  },
  {
    name: 'producer_queue_bytes',
    otel: 'kafka_native.producer.queue.bytes',
    kind: 'gauge',
    unit: 'By',
    help: 'Bytes of the messages waiting to be delivered (librdkafka msg_size)',
    on: 'producer',
    read: statsValue((s) => s.rdkafkaStats.msg_size),
  },
  {
    name: 'consumer_queue_messages',
    otel: 'kafka_native.consumer.queue.messages',
    kind: 'gauge',
    unit: '{message}',
    help: 'Messages fetched and not yet handed to the handler',
    on: 'consumer',
    read: statsValue((s) => s.waitingLocal),
  },
  {
    name: 'consumer_lag_messages',
    otel: 'kafka_native.consumer.lag',
    kind: 'gauge',
    unit: '{message}',
    help: 'Messages in each partition not yet handed to the handler (high watermark asked of the leader, less the next offset)',
    labels: ['topic', 'partition'],
    on: 'consumer',
    read: consumerLag,
  },
  {
    name: 'rebalances_total',
    otel: 'kafka_native.consumer.rebalances',
    kind: 'counter',
    unit: '{rebalance}',
    help: "Group rebalances that changed this consumer's partitions",
    on: 'consumer',
    read: (c) => (c._inGroup ? [[{}, c._telemetry.rebalances]] : []),
  },
  {
    name: 'dead_lettered_messages_total',
    otel: 'kafka_native.consumer.dead_lettered',
    kind: 'counter',
    unit: '{message}',
    help: 'Messages written to the dead-letter topic after max_deliveries tries',
    on: ['consumer', 'share-consumer'],
    read: (c) => [[{}, c._telemetry.deadLettered]],
  },
  {
    name: 'share_acknowledgements_total',
    otel: 'kafka_native.share_consumer.acknowledgements',
    kind: 'counter',
    unit: '{message}',
    help: 'Records of a share group acknowledged, by type (accept, release, reject, renew: a lock renewed)',
    labels: ['type'],
    on: 'share-consumer',
    read: acknowledgements,
  },
  {
    name: 'share_records_acquired_total',
    otel: 'kafka_native.share_consumer.acquired',
    kind: 'counter',
    unit: '{message}',
    help: 'Records of a share group acquired by this member (handed over under a lock)',
    on: 'share-consumer',
    read: shareStat('acquired'),
  },
  {
    name: 'share_records_redelivered_total',
    otel: 'kafka_native.share_consumer.redelivered',
    kind: 'counter',
    unit: '{message}',
    help: 'Of the records acquired, those delivered before (released, or a lock that ran out)',
    on: 'share-consumer',
    read: shareStat('redelivered'),
  },
  {
    name: 'share_acknowledgement_failures_total',
    otel: 'kafka_native.share_consumer.acknowledgement_failures',
    kind: 'counter',
    unit: '{message}',
    help: 'Records whose acknowledgement the broker refused (a lock that had run out) or that could not be sent',
    on: 'share-consumer',
    read: shareStat('failed'),
  },
  {
    name: 'share_record_locks_expired_total',
    otel: 'kafka_native.share_consumer.locks_expired',
    kind: 'counter',
    unit: '{message}',
    help: 'Records whose acquisition lock ran out before this member acknowledged them',
    on: 'share-consumer',
    read: shareStat('expired'),
  },
  {
    name: 'broker_rtt_seconds',
    otel: 'kafka_native.broker.rtt',
    kind: 'gauge',
    unit: 's',
    help: 'Round-trip time to each broker over the latest statistics interval with requests (librdkafka rtt), by quantile',
    labels: ['broker', 'quantile'],
    on: 'any',
    read: brokerRtt,
  },
];

// OpenTelemetry attribute names for the labels.
const OTEL_ATTRIBUTES = {
  type: 'kafka_native.acknowledgement.type',
  client: 'kafka_native.client',
  topic: 'messaging.destination.name',
  partition: 'messaging.destination.partition.id',
  error: 'error.type',
  broker: 'server.address',
  quantile: 'kafka_native.quantile',
};

// The clients registered with one registry or meter, each under its name.
class Clients {
  constructor() {
    this.entries = new Map();
  }

  add(client, name) {
    if (this.entries.has(name)) throw new TypeError(`kafka-native: collectMetrics() option name: "${name}" is already registered here`);
    this.entries.set(name, new WeakRef(client));
  }

  // The live clients of a metric's kind, with their names; stopped or collected ones leave.
  live(on) {
    const rows = [];
    for (const [name, ref] of this.entries) {
      const client = ref.deref();
      if (!client || client._telemetry.stopped) {
        this.entries.delete(name);
        continue;
      }
      const kind = client._telemetry.kind;
      if (on === 'any' || kind === on || (Array.isArray(on) && on.includes(kind))) rows.push([name, client]);
    }
    return rows;
  }

  // [[labels with client, value]] of one metric across the clients; a client whose figure
  // cannot be read now (a lag request that failed) is left out of this scrape.
  async read(metric) {
    const rows = await Promise.all(
      this.live(metric.on).map(async ([name, client]) => {
        try {
          return (await metric.read(client)).map(([labels, value]) => [{ client: name, ...labels }, value]);
        } catch {
          return [];
        }
      }),
    );
    return rows.flat();
  }
}

const registered = new WeakMap(); // registry or meter → Clients
let unnamed = 0;

// Registers `client` (a Producer, Consumer or ShareConsumer of this package) with a prom-client Registry
// (options.registry, default prom-client's global one) or an OpenTelemetry Meter
// (options.meter). options.name labels its figures (`client`), default "producer-1", ...
function collectMetrics(client, options = {}) {
  // Every Producer, Consumer and ShareConsumer of this package, and nothing else, carries a
  // ClientTelemetry.
  if (!(client !== null && typeof client === 'object' && client._telemetry instanceof ClientTelemetry))
    throw fail('collectMetrics() argument client', 'a kafka-native Producer, Consumer or ShareConsumer', client);
  if (options === null || typeof options !== 'object')
    throw fail('collectMetrics() argument options', 'an object like {registry} or {meter}', options);
  const { registry, meter } = options;
  if (registry !== undefined && meter !== undefined)
    throw new TypeError('kafka-native: collectMetrics() takes options.registry or options.meter, not both: call it once for each');
  if (!client._telemetry.statsOn && client._telemetry.kind !== 'share-consumer') {
    throw new TypeError(
      "kafka-native: collectMetrics() needs a client whose option statistics_interval_ms is not 0 (its default is 5000): the throughput, queue, failure and round-trip figures come from librdkafka's statistics",
    );
  }
  const name = options.name ?? `${client._telemetry.kind}-${++unnamed}`;
  if (typeof name !== 'string' || name === '') throw fail('collectMetrics() option name', 'a non-empty string', name);
  const target = meter ?? registry ?? promClient('registry').register;
  let clients = registered.get(target);
  if (!clients) {
    clients = new Clients();
    if (meter) registerWithMeter(meter, clients);
    else registerWithPrometheus(target, clients);
    registered.set(target, clients);
  }
  clients.add(client, name);
  client._telemetry.rtt ??= new Map();
}

function promClient(option) {
  try {
    return require('prom-client');
  } catch {
    throw new TypeError(
      `kafka-native: collectMetrics() without options.${option} needs the package prom-client (npm install prom-client), or pass options.meter`,
    );
  }
}

function registerWithPrometheus(registry, clients) {
  if (typeof registry.registerMetric !== 'function') throw fail('collectMetrics() option registry', 'a prom-client Registry', registry);
  const prom = promClient('registry');
  for (const metric of METRICS) {
    const Kind = metric.kind === 'counter' ? prom.Counter : prom.Gauge;
    new Kind({
      name: PREFIX + metric.name,
      help: metric.help,
      labelNames: ['client', ...(metric.labels ?? [])],
      registers: [registry],
      async collect() {
        const rows = await clients.read(metric);
        this.reset();
        for (const [labels, value] of rows) {
          if (metric.kind === 'counter') this.inc(labels, value);
          else this.set(labels, value);
        }
      },
    });
  }
}

function registerWithMeter(meter, clients) {
  if (typeof meter.createObservableGauge !== 'function') throw fail('collectMetrics() option meter', 'an OpenTelemetry Meter', meter);
  for (const metric of METRICS) {
    const create = metric.kind === 'counter' ? 'createObservableCounter' : 'createObservableGauge';
    const instrument = meter[create](metric.otel, { description: metric.help, unit: metric.unit });
    instrument.addCallback(async (result) => {
      for (const [labels, value] of await clients.read(metric)) {
        const attributes = { 'messaging.system': 'kafka' };
        for (const [label, v] of Object.entries(labels)) attributes[OTEL_ATTRIBUTES[label]] = v;
        result.observe(value, attributes);
      }
    });
  }
}

module.exports = { collectMetrics, ClientTelemetry };
