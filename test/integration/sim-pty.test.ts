/**
 * `ve-direct simulate` on one end of a socat pty pair, a host on the other end through the real
 * serialport bindings: what arrives must look like what real devices send (block structure,
 * checksums, field order of the captures, reply formats and flags, async frames), and
 * `ve-direct decode` must read the same stream from the pty.
 */

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, openSync, closeSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { SerialPort } from 'serialport';
import { Framer, type FramerEvent, type TextBlockEvent } from '../../lib/protocol/framer';
import { decodeFrame, getFrame, interpretResponse, setFrame } from '../../lib/protocol/hex-codec';
import { loadCapture } from '../helpers/captures';

const ROOT = join(__dirname, '..', '..');
const WAIT_MS = 10_000;

const children: ChildProcess[] = [];
let dir = '';

function requireSocat(): void {
  const probe = spawnSync('socat', ['-V'], { stdio: 'ignore' });
  if (probe.error || probe.status !== 0) {
    throw new Error('These tests need socat, which is not installed. Install it (Debian/Raspberry Pi OS: sudo apt-get install -y socat) and run again.');
  }
}

async function until(what: string, check: () => boolean, timeoutMs = WAIT_MS): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

/** A linked pty pair; resolves once both links exist (polling the file system). */
async function ptyPair(name: string): Promise<{ a: string; b: string }> {
  const a = join(dir, `${name}-a`);
  const b = join(dir, `${name}-b`);
  const socat = spawn('socat', ['-d', '-d', `pty,raw,echo=0,link=${a}`, `pty,raw,echo=0,link=${b}`], { stdio: 'ignore' });
  children.push(socat);
  await until(`socat links ${a} and ${b}`, () => existsSync(a) && existsSync(b));
  return { a, b };
}

interface Simulator {
  readonly child: ChildProcess;
  stderr(): string;
  exited: Promise<number | null>;
}

/** `ve-direct simulate <device> <path> …` as a child process, once it reports it is running. */
async function simulate(device: string, path: string, ...args: string[]): Promise<Simulator> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'lib/cli/main.ts', 'simulate', device, path, ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  children.push(child);
  let err = '';
  child.stderr!.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  await until(`the simulator on ${path} to start (stderr: ${err})`, () => err.includes('Ctrl-C to stop') || child.exitCode !== null, 20_000);
  assert.equal(child.exitCode, null, `simulator exited early: ${err}`);
  return { child, stderr: () => err, exited };
}

interface Host {
  readonly port: SerialPort;
  readonly events: FramerEvent[];
  blocks(): TextBlockEvent[];
  frames(): string[];
  /** Waits for a HEX frame (after `from` frames) that satisfies `match`. */
  frame(match: (text: string) => boolean, from?: number): Promise<string>;
  /** Sends a request and returns the first non-async frame after it. */
  request(frame: string): Promise<string>;
  close(): Promise<void>;
}

async function host(path: string): Promise<Host> {
  const port = new SerialPort({ path, baudRate: 19200, autoOpen: false });
  await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())));
  const framer = new Framer();
  const events: FramerEvent[] = [];
  port.on('data', (chunk: Buffer) => events.push(...framer.push(chunk)));
  const frames = (): string[] => events.flatMap((e) => (e.kind === 'hex-frame' ? [e.text] : []));
  const frame = async (match: (text: string) => boolean, from = 0): Promise<string> => {
    let found: string | undefined;
    await until('a matching HEX frame', () => (found = frames().slice(from).find(match)) !== undefined);
    return found!;
  };
  return {
    port,
    events,
    blocks: () => events.filter((e): e is TextBlockEvent => e.kind === 'text-block'),
    frames,
    frame,
    async request(text) {
      const from = frames().length;
      port.write(`${text}\n`);
      return frame((f) => !f.startsWith(':A'), from);
    },
    close: () => new Promise<void>((resolve) => (port.isOpen ? port.close(() => resolve()) : resolve())),
  };
}

function captureLabels(file: string): string[][] {
  return new Framer()
    .push(loadCapture(file).received)
    .filter((e): e is TextBlockEvent => e.kind === 'text-block')
    .map((b) => Object.keys(b.fields));
}

function setReply(frame: string): { register: number; flags: number; value: number[] } {
  const decoded = decodeFrame(frame);
  assert.ok(decoded.ok, frame);
  const response = interpretResponse(decoded.frame);
  assert.ok(response.type === 'set' || response.type === 'get', frame);
  return { register: response.register, flags: response.flags, value: [...response.value] };
}

interface Rig {
  readonly a: string;
  readonly sim: Simulator;
}

let mpptRig: Rig;
let bmvRig: Rig;
let shuntRig: Rig;

async function start(name: string, device: string, ...args: string[]): Promise<Rig> {
  const { a, b } = await ptyPair(name);
  return { a, sim: await simulate(device, b, ...args) };
}

before(async () => {
  requireSocat();
  dir = mkdtempSync(join(tmpdir(), 've-direct-sim-'));
  // Started together: each child needs a moment to compile and start.
  [mpptRig, bmvRig, shuntRig] = await Promise.all([
    start('mppt', 'smartsolar-100-30', '--serial', 'HQ19499RHC5', '--time-of-day', '12:00'),
    start('bmv', 'bmv712'),
    start('decode', 'smartshunt'),
  ]);
});

after(async () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await sleep(50);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('a simulated SmartSolar MPPT 100/30 over a real pty', () => {
  let sim: Simulator;
  let mppt: Host;

  before(async () => {
    sim = mpptRig.sim;
    mppt = await host(mpptRig.a);
  });

  after(async () => {
    await mppt?.close();
  });

  test('Text blocks: checksums hold, fields and order as the real 100/30 capture, one a second', async () => {
    await until('2 blocks', () => mppt.blocks().length >= 2);
    const captured = captureLabels('koestler-go-victron__vedirect-test-smartsolar-100-30-rx.bin')[0];
    for (const block of mppt.blocks()) {
      assert.deepEqual(Object.keys(block.fields), captured);
      assert.equal(block.fields.PID, '0xA056');
      assert.equal(block.fields['SER#'], 'HQ19499RHC5');
    }
    // The first block may be cut by opening the port; nothing else is rejected.
    assert.ok(mppt.events.filter((e) => e.kind === 'frame-error').length <= 1);
    const start = mppt.blocks().length;
    const t0 = Date.now();
    await until('2 more blocks', () => mppt.blocks().length >= start + 2);
    const perBlock = (Date.now() - t0) / 2;
    assert.ok(perBlock > 400 && perBlock < 1500, `${perBlock} ms per block`);
  });

  test('HEX replies as the real device and the documents: ping, product id, Get, Set, flags', async () => {
    assert.equal(await mppt.request(':154'), ':56141AE');
    assert.equal(await mppt.request(':451'), ':156A05E');
    assert.equal(await mppt.request(':7F0ED0071'), ':7F0ED002C0144');
    assert.equal(await mppt.request(':70A010043'), ':70A01004851313934393952484335000000000088');
    assert.equal(await mppt.request(':70B010042'), ':70B0100536D617274536F6C61722043686172676572204D505054203130302F333000BA');
    assert.equal(await mppt.request(':777770060'), ':77777015F', 'unknown id');
    assert.equal(await mppt.request(':253'), ':3020050', 'unknown command');
    assert.equal(await mppt.request(':452'), ':4AAAAFD', 'bad checksum');
    // 100 A on a 30 A charger: parameter error with the nearest valid value.
    assert.deepEqual(setReply(await mppt.request(setFrame(0xedf0, [0xe8, 0x03]))), { register: 0xedf0, flags: 0x04, value: [0x2c, 0x01] });
    assert.deepEqual(setReply(await mppt.request(setFrame(0xedd5, [0x00, 0x05]))).flags, 0x02, 'read-only');
  });

  test('remote sense: 0x2002 echoed and in use (0x200F bit 7); release with 0xFFFF', async () => {
    const block = mppt.blocks().at(-1)!;
    const raw = Math.round(Number(block.fields.V) / 10) - 10;
    const sent = setFrame(0x2002, [raw & 0xff, raw >> 8]);
    assert.equal(await mppt.request(sent), sent);
    assert.deepEqual(setReply(await mppt.request(getFrame(0x200f))).value, [0x84]);
    assert.equal(await mppt.request(':8022000FFFF2D'), ':8022000FFFF2D');
    assert.deepEqual(setReply(await mppt.request(getFrame(0x200f))).value, [0x04]);
  });

  test('async frames follow HEX traffic, between or inside blocks, without breaking them', async () => {
    // The first burst announces every async register, 0x2003 "not available" among them.
    assert.equal(await mppt.frame((f) => f === ':A032000FF7FAA'), ':A032000FF7FAA');
    const count = mppt.frames().filter((f) => f.startsWith(':A')).length;
    // Then changed registers (panel power, …) keep coming.
    await until('more async frames', () => mppt.frames().filter((f) => f.startsWith(':A')).length > count);
    const blocks = mppt.blocks().length;
    await until('another block', () => mppt.blocks().length > blocks);
    assert.ok(mppt.events.filter((e) => e.kind === 'frame-error').length <= 1);
  });

  test('Ctrl-C stops the simulator cleanly with a summary', async () => {
    await mppt.close();
    sim.child.kill('SIGINT');
    assert.equal(await sim.exited, 0);
    assert.match(sim.stderr(), /\d+ Text blocks, \d+ HEX replies, \d+ async frames; host sent \d+ frames \(1 unreadable\)/);
    assert.doesNotMatch(sim.stderr(), /writes to flash-backed settings/, 'the rejected 0xEDF0 write did not reach flash');
  });
});

describe('a simulated BMV-712 over a real pty', () => {
  let bmv: Host;

  before(async () => {
    bmv = await host(bmvRig.a);
  });

  after(async () => {
    await bmv?.close();
  });

  test('two blocks per cycle (main with T, history), checksums hold', async () => {
    await until('4 blocks', () => bmv.blocks().length >= 4);
    const kinds = new Set(bmv.blocks().map((b) => Object.keys(b.fields)[0]));
    assert.deepEqual([...kinds].sort(), ['H1', 'PID']);
    const main = bmv.blocks().find((b) => b.fields.PID !== undefined)!;
    assert.deepEqual(Object.keys(main.fields), ['PID', 'V', 'T', 'I', 'P', 'CE', 'SOC', 'TTG', 'Alarm', 'Relay', 'AR', 'BMV', 'FW']);
    assert.equal(main.fields.BMV, '712 Smart');
  });

  test('the BMV-7xx HEX protocol worked examples', async () => {
    assert.equal(await bmv.request(':154'), ':501440B');
    assert.equal(await bmv.request(':352'), ':101440F');
    assert.equal(await bmv.request(':451'), ':181A330');
    assert.equal(await bmv.request(':70010003E'), ':7001000C80076');
    assert.equal(await bmv.request(':800100000003D'), ':8001004010038');
    assert.equal(await bmv.request(':70010003E'), ':7001000C80076', 'the refused value was not stored');
  });
});

describe('ve-direct decode reading the pty, beside ve-direct simulate', () => {
  test('NDJSON lines of the SmartShunt blocks', async () => {
    const { a, sim } = shuntRig;
    const fd = openSync(a, 'r');
    const decode = spawn(process.execPath, ['--import', 'tsx', 'lib/cli/main.ts', 'decode'], { cwd: ROOT, stdio: [fd, 'pipe', 'pipe'] });
    children.push(decode);
    closeSync(fd);
    let out = '';
    decode.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
    await until('3 decoded blocks', () => out.split('\n').filter((l) => l.includes('"type":"text"')).length >= 3, 20_000);
    const lines = out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string; fields?: Record<string, string> });
    const main = lines.find((l) => l.type === 'text' && l.fields?.PID !== undefined);
    assert.ok(main, out);
    assert.equal(main.fields!.PID, '0xA389');
    assert.equal(main.fields!.BMV, 'SmartShunt 500A/50mV');
    assert.ok(lines.some((l) => l.type === 'text' && l.fields?.H1 !== undefined), 'history block too');
    assert.ok(lines.filter((l) => l.type === 'error').length <= 1);
    decode.kill('SIGINT');
    sim.child.kill('SIGINT');
    assert.equal(await sim.exited, 0);
  });
});
