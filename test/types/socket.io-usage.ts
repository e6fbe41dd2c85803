// Compiled with tsc --noEmit by test/types.test.js: kafka-native/socket.io's types accept both
// call shapes and reject misuse (the @ts-expect-error lines).
import { Server } from 'socket.io';
import { createAdapter } from '../../js/integrations/socket.io.js';

const io = new Server();
io.adapter(createAdapter({ broker: 'localhost:9092', topic: 'socket.io', heartbeatInterval: 1000, producer: { queue_buffering_max_ms: 1 } }));
io.adapter(createAdapter({ broker: 'localhost:9092', createTopics: { partitions: 4, replication_factor: 2 }, consumer: { fetch_wait_max_ms: 5 } }));
new Server({ adapter: createAdapter('localhost:9092', { key: 'old-topic', createTopics: true, partition: 0 }) });

// @ts-expect-error: broker is required
createAdapter({ topic: 'x' });
// @ts-expect-error: the adapter owns the consumer's topic
createAdapter({ broker: 'b', consumer: { topic: 'other' } });
// @ts-expect-error: heartbeatInterval is in milliseconds
createAdapter({ broker: 'b', heartbeatInterval: '1s' });
