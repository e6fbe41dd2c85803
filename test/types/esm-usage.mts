// ESM TypeScript (module and moduleResolution nodenext) imports the package by name, as a user's
// code does: the types of each entry point resolve through package.json's exports.
import { Producer, Consumer, Admin, MockCluster, type ReceivedBatch } from 'kafka-native';
import { createAdapter } from 'kafka-native/socket.io';
import { KafkaProxy } from 'kafka-native/ws-proxy';
import { Kafka, logLevel } from 'kafka-native/kafkajs';
import KafkaClusterNode from 'kafka-native/deepstream';

const cluster = new MockCluster(1);
const producer = new Producer({ broker: cluster.bootstrapServers });
const consumer = new Consumer({ broker: cluster.bootstrapServers, topic: 't' });
for await (const batch of consumer.batches()) {
  const received: ReceivedBatch = batch;
  void received;
  break;
}
await producer.stop();
void Admin; void createAdapter; void KafkaProxy; void KafkaClusterNode;
const kafka = new Kafka({ brokers: [cluster.bootstrapServers], logLevel: logLevel.NOTHING });
void kafka;
