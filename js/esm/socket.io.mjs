// ESM entry of kafka-native/socket.io: the CommonJS module's own exports, named (one instance
// of the module whether it is imported or required).
import cjs from '../integrations/socket.io.js';

export const { createAdapter, KafkaAdapter } = cjs;
export default cjs;
