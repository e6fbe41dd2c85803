'use strict';
// The shipped TypeScript definitions type-check real usage, and the generated addon types are
// the ones checked in (napi-rs regenerates js/native/index.d.ts on every build).
const test = require('node:test');
const assert = require('node:assert/strict');
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');

function typeCheck(file) {
  const tsc = require.resolve('typescript/bin/tsc');
  const r = spawnSync(process.execPath, [tsc, '--noEmit', '--strict', '--module', 'commonjs', '--esModuleInterop', '--types', 'node',
    path.join(root, 'test/types', file)], { encoding: 'utf8' });
  assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
}

test('js/index.d.ts type-checks test/types/usage.ts', () => typeCheck('usage.ts'));

test('js/socket.io.d.ts type-checks test/types/socket.io-usage.ts', () => typeCheck('socket.io-usage.ts'));

test('js/ws-proxy.d.ts type-checks test/types/ws-proxy-usage.ts', () => typeCheck('ws-proxy-usage.ts'));

test('js/deepstream.d.ts type-checks test/types/deepstream-usage.ts', () => typeCheck('deepstream-usage.ts'));

test('js/kafkajs/index.d.ts type-checks KafkaJS code: test/types/kafkajs-usage.ts', () => typeCheck('kafkajs-usage.ts'));

test('the generated addon types declare the classes the JS layer uses', () => {
  const dts = fs.readFileSync(path.join(root, 'js/native/index.d.ts'), 'utf8');
  for (const declaration of [
    'export declare class MockCluster',
    'export declare class NativeProducer',
    'export declare class NativeConsumer',
    'sendText(topic: string, partition: number, text: string, lengths: Uint32Array): SendResult | null',
    'sendBytes(topic: string, partition: number, bytes: Buffer, lengths: Uint32Array): SendResult',
    'sendRecords(topic: string, partition: number, records: Array<RecordInput>): SendResult',
    'partitionCount(topic: string, timeoutMs: number): Promise<number>',
    'start(): Promise<TopicPartitionInfo[]>',
    'assignment(): Array<TopicPartitionInfo>',
    'export declare class NativeAdmin',
    'groupOffsets(groupId: string): Promise<GroupOffsetInfo[]>',
    'settle(processed?: boolean | undefined | null): void',
    'export declare function librdkafkaVersion(): string',
  ]) {
    assert.ok(dts.includes(declaration), `missing: ${declaration}`);
  }
});
