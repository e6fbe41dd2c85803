// ESM entry of kafka-native/deepstream: the CommonJS module's own exports, named (one instance
// of the module whether it is imported or required).
import cjs from '../integrations/deepstream.js';

export const { KafkaClusterNode } = cjs;
export default cjs;
