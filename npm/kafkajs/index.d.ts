// The types of kafka-native/kafkajs (KafkaJS 2.2's, with kafka-native's differences).
export * from 'kafka-native/kafkajs';
