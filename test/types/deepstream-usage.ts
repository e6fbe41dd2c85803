// Compiled with tsc --noEmit by test/types.test.js: kafka-native/deepstream's types fit
// deepstream's ClusterNodePlugin and reject misuse (the @ts-expect-error lines).
import type { ClusterNodePlugin, DeepstreamServices, DeepstreamConfig } from '@deepstream/types';
import KafkaClusterNode = require('../../js/integrations/deepstream.js');

const plugin: ClusterNodePlugin<KafkaClusterNode.KafkaClusterNodeOptions> = KafkaClusterNode;
declare const services: DeepstreamServices;
declare const config: DeepstreamConfig;
const node = new plugin({ broker: 'localhost:9092', topic: 'deepstream', consumer: { fetch_wait_max_ms: 5 } }, services, config);
node.whenReady().then(() => node.close());

// @ts-expect-error: broker is required
new KafkaClusterNode({ topic: 'x' }, services, config);
// @ts-expect-error: the node owns its consumer's topic
new KafkaClusterNode({ broker: 'b', consumer: { topic: 'other' } }, services, config);
