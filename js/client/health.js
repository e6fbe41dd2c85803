'use strict';
// health(): how a client is doing as it sees it, from the addon's record (no request is made),
// in the package's snake_case. Times are Dates.
const { kafkaError } = require('./options');

const date = (ms) => (ms === null || ms === undefined ? null : new Date(ms));

function healthObject(h) {
  const health = {
    status: h.status,
    reasons: h.reasons,
    brokers: h.brokers.map((b) => ({
      id: b.id,
      address: b.address,
      connection: b.connection,
      down: b.down,
      not_answering: b.notAnswering,
      down_since: date(b.downSince),
      last_error: b.lastError ?? null,
      waiting_requests: b.waitingRequests,
      throttle_ms: b.throttleMs,
      rtt_ms: b.rttMs,
    })),
    fatal_error: h.fatalError ? kafkaError(h.fatalError) : null,
    updated: date(h.updated),
  };
  if (h.partitions) {
    health.partitions = h.partitions.map((p) => ({
      topic: p.topic,
      partition: p.partition,
      lag: p.lag ?? null,
      next_offset: p.nextOffset ?? null,
      stalled_since: date(p.stalledSince),
      stuck: p.stuck,
    }));
    health.group = h.group
      ? {
          state: h.group.state,
          join_state: h.group.joinState,
          rebalances: h.group.rebalances,
          since_rebalance_ms: h.group.sinceRebalanceMs ?? null,
          assigned: h.group.assigned,
        }
      : null;
  }
  return health;
}

module.exports = { healthObject };
