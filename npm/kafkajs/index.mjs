// ESM entry: kafka-native/kafkajs's own, named exports and the default (KafkaJS's module object).
export * from 'kafka-native/kafkajs';
export { default } from 'kafka-native/kafkajs';
