'use strict';
// Child processes of the fan-out benchmarks: started, driven over IPC, measured, stopped.
const { fork, spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const readline = require('node:readline');

// A child process driven over IPC: it sends {port} once it serves; call(op, args) → its answer.
async function startChild(script, env) {
  const child = fork(script, [], { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  const pending = new Map();
  let next = 0;
  const port = await new Promise((resolve, reject) => {
    child.on('message', (m) => {
      if (m.port) return resolve(m.port);
      pending.get(m.id)(m.result);
      pending.delete(m.id);
    });
    child.once('exit', (code) => reject(new Error(`${path.basename(script)} exited (${code})`)));
  });
  return {
    child,
    url: `http://127.0.0.1:${port}`,
    call: (op, args) => new Promise((resolve) => {
      const id = ++next;
      pending.set(id, resolve);
      child.send({ id, op, args });
    }),
  };
}

// Clock ticks per second, the unit of /proc/PID/stat's CPU times (100 on Linux, but asked).
let ticksPerSecond;

// CPU seconds a process has used so far (user + system), from /proc.
function cpuSeconds(pid) {
  ticksPerSecond ??= Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout) || 100;
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond;
}

// A process and all its descendants, from /proc: a broker's CPU is its whole tree's (the
// `kafka-native kafka` CLI is a Node process whose node is a JVM under a shell).
function processTree(pid) {
  const children = new Map();
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat;
    try {
      stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // gone meanwhile
    }
    const ppid = Number(stat.slice(stat.lastIndexOf(') ') + 2).split(' ')[1]);
    if (!children.has(ppid)) children.set(ppid, []);
    children.get(ppid).push(Number(entry));
  }
  const tree = [pid];
  for (let i = 0; i < tree.length; i++) tree.push(...(children.get(tree[i]) ?? []));
  return tree;
}

// CPU use of groups of processes ({name: [pid, ...]}), in % of one core, from now until
// percent() is called.
function cpuMeter(groups) {
  const read = () => Object.fromEntries(Object.entries(groups).map(([name, pids]) => [name, pids.reduce((sum, pid) => sum + cpuSeconds(pid), 0)]));
  const before = read();
  const started = Date.now();
  return {
    percent() {
      const after = read();
      const seconds = (Date.now() - started) / 1000;
      return Object.fromEntries(Object.keys(groups).map((name) => [name, ((after[name] - before[name]) / seconds) * 100]));
    },
  };
}

// The receiving side of a fan-out benchmark (bench/clients/*/clients.js; see
// clients/deliveries.js): `ready` resolves once its clients are connected, and
// results(window, expected) hands it the window of sends that count and resolves with the
// figures it prints.
function startClients(script, env) {
  const child = spawn(process.execPath, [script], { env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = readline.createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const ready = lines.next().then(({ value }) => {
    if (value !== 'ready') throw new Error('the clients did not connect');
  });
  return {
    child,
    ready,
    async results(window, expected) {
      child.stdin.write(`${JSON.stringify({ ...window, expected })}\n`);
      return JSON.parse((await lines.next()).value);
    },
  };
}

async function until(what, check, timeoutMs = 30000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function stop(child) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10000);
  await exited;
  clearTimeout(timer);
}

module.exports = { startChild, startClients, cpuMeter, cpuSeconds, processTree, until, stop };
