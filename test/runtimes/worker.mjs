// A worker thread of the acceptance subset: loads the package, delivers one message, reports
// its offset and ends (the thread must end by itself once its producer is stopped).
import { Producer } from 'kafka-native';
import { parentPort, workerData } from 'node:worker_threads';

const producer = new Producer({ broker: workerData.broker, queue_buffering_max_ms: 5, logger: { error() {}, warn() {}, info() {}, debug() {} } });
const [{ offset }] = await producer.deliver('grouped', 0, ['from a worker']);
await producer.stop();
parentPort.postMessage([offset]);
