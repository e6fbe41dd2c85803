// ESM entry of kafka-native: the CommonJS module's own exports, named (one instance
// of the module whether it is imported or required).
import cjs from '../index.js';

export const {
  Producer,
  Consumer,
  ShareConsumer,
  notProcessed,
  Admin,
  MockCluster,
  collectMetrics,
  librdkafkaVersion,
  PRODUCER_DEFAULTS,
  CONSUMER_DEFAULTS,
} = cjs;
export default cjs;
