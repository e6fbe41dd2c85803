// ESM entry of kafka-native/ws-proxy: the CommonJS module's own exports, named (one instance
// of the module whether it is imported or required).
import cjs from '../integrations/ws-proxy.js';

export const { KafkaProxy } = cjs;
export default cjs;
