'use strict';
// Who may do what through kafka-native/ws-proxy: deny by default, beyond what the operator
// grants. Four actions, each asked of the grants for one client:
//   read    a topic (any connection: its query's topic)
//   group   use a consumer group (consumerGroup=; the Kafka group is groupPrefix + that name)
//   offset  choose where to start reading (offset=: history, not just what comes next)
//   write   send to a topic (each topic of a produce frame)
// The static options grant the common cases:
//   topics: {read: patterns, write: patterns}, groups: patterns, offsets: boolean
// where a pattern is a topic or group name, a prefix ending in '*' ('chat.*'; '*' alone is
// everything), or a RegExp. `authorize(request)`, when given, decides instead: it is called with
// {action, topic, group, offset, partition, identity, req, granted} (`granted`: what the static
// options say) and returns a boolean or a Promise of one. Internal topics (`__*`, such as
// __consumer_offsets and __transaction_state) are never reachable, whatever is granted.
const { checkOptions } = require('./integration-options');

const ACTIONS = ['read', 'write', 'group', 'offset'];
const GRANT = {
  read: 'topics.read',
  write: 'topics.write',
  group: 'groups',
  offset: 'offsets: true',
};

const isInternalTopic = (topic) => topic.startsWith('__');

function checkedPatterns(what, name, patterns) {
  if (patterns === undefined) return [];
  if (!Array.isArray(patterns) || !patterns.every((p) => (typeof p === 'string' && p !== '') || p instanceof RegExp)) {
    throw new TypeError(`${what}: option ${name} must be a list of names, prefixes ending in '*', or RegExps`);
  }
  // A RegExp is copied without its g and y flags: with them, test() starts where the last
  // match ended (lastIndex), so one grant would allow and refuse connections in turn.
  return patterns.map((p) => (p instanceof RegExp ? new RegExp(p.source, p.flags.replace(/[gy]/g, '')) : p));
}

function matches(patterns, name) {
  return patterns.some((p) => {
    if (p instanceof RegExp) return p.test(name);
    if (p.endsWith('*')) return name.startsWith(p.slice(0, -1));
    return p === name;
  });
}

// The access options of a KafkaProxy, checked: a function (request) => Promise<string | null>
// that gives the reason a request is refused, or null when it is allowed; and the group prefix.
function accessControl(what, o) {
  const topics = o.topics ?? {};
  if (topics === null || typeof topics !== 'object' || Array.isArray(topics)) {
    throw new TypeError(`${what}: option topics must be {read: [...], write: [...]}`);
  }
  checkOptions(what, 'topics', topics, ['read', 'write']);
  const grants = {
    read: checkedPatterns(what, 'topics.read', topics.read),
    write: checkedPatterns(what, 'topics.write', topics.write),
    group: checkedPatterns(what, 'groups', o.groups),
  };
  for (const name of ['offsets', 'createTopics']) {
    if (o[name] !== undefined && typeof o[name] !== 'boolean') throw new TypeError(`${what}: option ${name} must be true or false`);
  }
  if (o.authorize !== undefined && typeof o.authorize !== 'function') {
    throw new TypeError(
      `${what}: option authorize must be a function ({action, topic, group, offset, identity, req, granted}) => boolean | Promise<boolean>`,
    );
  }
  const prefix = o.groupPrefix ?? '';
  if (typeof prefix !== 'string' && typeof prefix !== 'function') {
    throw new TypeError(`${what}: option groupPrefix must be a string or a function (identity, req) => string`);
  }
  const granted = ({ action, topic, group }) => {
    if (action === 'offset') return o.offsets === true;
    return matches(grants[action], action === 'group' ? group : topic);
  };
  async function refusal(request) {
    if (request.topic !== undefined && isInternalTopic(request.topic)) {
      return `topic ${request.topic} is internal to Kafka: never reachable through the proxy`;
    }
    const staticVerdict = granted(request);
    const allowed = o.authorize ? (await o.authorize({ ...request, granted: staticVerdict })) === true : staticVerdict;
    if (allowed) return null;
    const deed = {
      read: `read topic ${request.topic}`,
      write: `write topic ${request.topic}`,
      group: `use consumer group ${request.group}`,
      offset: `start from an offset of ${request.topic}`,
    }[request.action];
    const how = o.authorize ? 'refused by authorize' : `not granted (option ${GRANT[request.action]})`;
    return `may not ${deed}: ${how}`;
  }
  // The Kafka consumer group a client's consumerGroup stands for.
  function kafkaGroup(group, identity, req) {
    const p = typeof prefix === 'function' ? prefix(identity, req) : prefix;
    if (typeof p !== 'string') throw new TypeError(`${what}: groupPrefix returned ${typeof p}, not a string`);
    return `${p}${group}`;
  }
  return { refusal, kafkaGroup, createTopics: o.createTopics === true };
}

module.exports = { accessControl, ACTIONS, isInternalTopic };
