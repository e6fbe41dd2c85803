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

test('js/integrations/socket.io.d.ts type-checks test/types/socket.io-usage.ts', () => typeCheck('socket.io-usage.ts'));

test('js/integrations/ws-proxy.d.ts type-checks test/types/ws-proxy-usage.ts', () => typeCheck('ws-proxy-usage.ts'));

test('js/integrations/deepstream.d.ts type-checks test/types/deepstream-usage.ts', () => typeCheck('deepstream-usage.ts'));

test('js/kafkajs/index.d.ts type-checks KafkaJS code: test/types/kafkajs-usage.ts', () => typeCheck('kafkajs-usage.ts'));

test('TypeScript with module and moduleResolution nodenext resolves each entry point\'s types: test/types/esm-usage.mts', () => {
  const tsc = require.resolve('typescript/bin/tsc');
  const r = spawnSync(process.execPath, [tsc, '--noEmit', '--strict', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2022', '--types', 'node',
    path.join(root, 'test/types/esm-usage.mts')], { encoding: 'utf8', cwd: root });
  assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
});

test('ESM: named imports from the package and each subpath, the same instances require() gives', () => {
  const script = `
    import { Producer, Consumer, Admin, MockCluster, notProcessed } from 'kafka-native';
    import kafkaNative from 'kafka-native';
    import { createAdapter, KafkaAdapter } from 'kafka-native/socket.io';
    import { KafkaProxy } from 'kafka-native/ws-proxy';
    import { Kafka, KafkaJSError, KafkaJSProtocolError, AssignerProtocol, logLevel } from 'kafka-native/kafkajs';
    import KafkaClusterNode, { KafkaClusterNode as named } from 'kafka-native/deepstream';
    import { createRequire } from 'node:module';
    const require = createRequire(import.meta.url);
    const checks = {
      Producer: Producer === require('kafka-native').Producer,
      Consumer: typeof Consumer === 'function' && kafkaNative.Consumer === Consumer,
      Admin: typeof Admin === 'function', MockCluster: typeof MockCluster === 'function', notProcessed: typeof notProcessed === 'function',
      createAdapter: createAdapter === require('kafka-native/socket.io').createAdapter, KafkaAdapter: typeof KafkaAdapter === 'function',
      KafkaProxy: KafkaProxy === require('kafka-native/ws-proxy').KafkaProxy,
      Kafka: Kafka === require('kafka-native/kafkajs').Kafka, KafkaJSError: typeof KafkaJSError === 'function',
      KafkaJSProtocolError: typeof KafkaJSProtocolError === 'function', AssignerProtocol: typeof AssignerProtocol.MemberAssignment.decode === 'function',
      logLevel: logLevel.NOTHING === 0, KafkaClusterNode: KafkaClusterNode === named && KafkaClusterNode === require('kafka-native/deepstream'),
    };
    // Each ESM entry names every export of its CommonJS module (the lists in js/esm/ are
    // written out, as ESM needs: a new CommonJS export must be added there too).
    for (const entry of ['kafka-native', 'kafka-native/socket.io', 'kafka-native/ws-proxy', 'kafka-native/kafkajs', 'kafka-native/deepstream']) {
      const named = Object.keys(await import(entry)).filter((k) => k !== 'default').sort();
      const exported = Object.keys(require(entry)).filter((k) => k !== 'default').sort();
      if (JSON.stringify(named) !== JSON.stringify(exported)) checks[entry + ' exports'] = false;
    }
    const failed = Object.entries(checks).filter(([, ok]) => !ok).map(([name]) => name);
    if (failed.length) { console.error('wrong:', failed.join(', ')); process.exit(1); }
    const cluster = new MockCluster(1);
    console.log('esm ok', cluster.bootstrapServers.length > 0);
  `;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: root, encoding: 'utf8' });
  assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
  assert.match(r.stdout, /esm ok true/);
});

test('the generated addon types declare the classes the JS layer uses', () => {
  const dts = fs.readFileSync(path.join(root, 'js/native/index.d.ts'), 'utf8');
  for (const declaration of [
    'export declare class MockCluster',
    'export declare class NativeProducer',
    'export declare class NativeConsumer',
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

// The defaults the hand-written types state are the addon's (the core's, which JS reads): every
// "Default …" of a ProducerOptions or ConsumerOptions field the addon gives a default for.
test('every default js/index.d.ts states for a Producer, Consumer or ShareConsumer option is the addon\'s', () => {
  const native = require('../js/native/index.js');
  const dts = fs.readFileSync(path.join(root, 'js/index.d.ts'), 'utf8');
  const stated = (name) => {
    const body = dts.slice(dts.indexOf(`export interface ${name}`));
    const fields = new Map(); // option -> the value its doc comment says is the default
    let comment = '';
    for (const line of body.slice(0, body.indexOf('\n}')).split('\n').slice(1)) {
      const field = /^\s*(\w+)\??:/.exec(line);
      if (field) {
        const said = /Default\s+('[^']*'|-?[\d,]+|true|false)/.exec(comment);
        if (said) fields.set(field[1], said[1].startsWith("'") ? said[1].slice(1, -1) : said[1] === 'true' || said[1] === 'false' ? said[1] === 'true' : Number(said[1].replace(/,/g, '')));
        comment = '';
      } else {
        comment += ` ${line.trim()}`;
      }
    }
    return fields;
  };
  let checked = 0;
  for (const [name, defaults] of [
    ['ProducerOptions', native.producerDefaults()],
    ['ConsumerOptions', native.consumerDefaults()],
    ['ShareConsumerOptions', native.shareConsumerDefaults()],
  ]) {
    for (const [option, value] of stated(name)) {
      if (!(option in defaults)) continue; // a default of librdkafka's, or of JS's own
      assert.deepEqual(value, defaults[option], `${name}.${option}: the types say ${value}, the addon ${defaults[option]}`);
      checked++;
    }
  }
  assert.ok(checked >= 15, `only ${checked} defaults found to check`);
});
