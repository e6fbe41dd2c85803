'use strict';
// Writes a benchmark's report into BENCHMARKS.md between its markers (`<!-- NAME:begin -->` and
// `<!-- NAME:end -->`), and the machine line every report starts with.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const file = path.join(__dirname, '..', 'BENCHMARKS.md');

function machine() {
  return `${os.cpus().length} × ${os.cpus()[0].model}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${os.type()} ${os.release()}`;
}

function writeSection(name, report) {
  const doc = fs.readFileSync(file, 'utf8');
  const begin = `<!-- ${name}:begin -->`;
  const end = `<!-- ${name}:end -->`;
  if (!doc.includes(begin)) throw new Error(`BENCHMARKS.md has no ${begin} marker`);
  fs.writeFileSync(file, doc.replace(new RegExp(`${begin}[\\s\\S]*${end}`), () => `${begin}\n${report}\n${end}`));
}

// Prints a report (its lines, then the notes as a list) and, for a full run, writes it into
// BENCHMARKS.md; a shortened run (its environment override set) only prints.
function publish(name, lines, notes, fullRun) {
  const report = [...lines, ...notes.map((n) => `- ${n}`)].join('\n');
  console.log(report);
  if (fullRun) writeSection(name, report);
}

// The `p`th percentile (0-100) of `sorted` (ascending): the value below which p % of them lie.
function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

const median = (xs) => { const s = xs.filter((x) => x !== undefined).sort((a, b) => a - b); return s.length ? s[s.length >> 1] : undefined; };
const fmt = (x, digits = 0) => (x === undefined || x === null || Number.isNaN(x) ? '–' : x.toFixed(digits));

module.exports = { machine, writeSection, publish, median, percentile, fmt };
