// Compiled with tsc --noEmit by test/types.test.js: kafka-native/ws-proxy's types accept
// kafka-proxy's options and reject misuse (the @ts-expect-error lines).
import { createServer } from 'node:http';
import { KafkaProxy, ProxyEntry } from '../../js/integrations/ws-proxy.js';

const proxy = new KafkaProxy({ wsPort: 9999, kafka: 'localhost:9092/', idleTimeout: 100, maxBytes: 1 << 20, partition: 0, auth: 'secret' });
proxy.listen().then(({ port }: { port: number }) => port);
new KafkaProxy({ server: createServer(), kafka: 'b:9092', verifyClient: async (req) => req.headers['x-team'] === 'blue', consumer: { fetch_wait_max_ms: 5 } });
const inFlight: number | undefined = proxy.clients()[0]?.inFlight?.[0]?.from;
const entry: ProxyEntry = { message: 'm', offset: 1, partition: 0, key: null };
void inFlight;
void entry;
proxy.close().then(() => undefined);

// @ts-expect-error: kafka (the broker list) is required
new KafkaProxy({ wsPort: 1 });
// @ts-expect-error: the proxy places its consumers itself
new KafkaProxy({ wsPort: 1, kafka: 'b', consumer: { group_id: 'g' } });
// @ts-expect-error: idleTimeout is in milliseconds
new KafkaProxy({ wsPort: 1, kafka: 'b', idleTimeout: '1s' });
