/**
 * Each fault mode on a ManualClock, with the real Framer as the host: what arrives, what the
 * counters say was injected, and that no corrupted unit ever passes as a valid one.
 */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeFrame, Response } from '../../../lib/protocol/hex-codec';
import { simRig, type SimRig } from '../../helpers/sim';

/** Every block the device sent intact, to check that each valid block received is one of them. */
function sentBlocks(rig: SimRig): Set<string> {
  const sent = new Set<string>();
  rig.device.onUnit((unit) => {
    if (unit.kind === 'text') sent.add(Buffer.from(unit.bytes).toString('latin1'));
  });
  return sent;
}

function blockBytes(fields: Record<string, string>, checksum: number): string {
  return Object.entries(fields).map(([l, v]) => `\r\n${l}\t${v}`).join('') + '\r\nChecksum\t' + String.fromCharCode(checksum);
}

test('line noise (bit flips): corrupted blocks are counted and none passes the host', () => {
  const rig = simRig('smartshunt', { faults: { bitErrorRate: 0.002 } });
  const sent = sentBlocks(rig);
  rig.advance(120_000);
  const { stats } = rig.device;
  const injected = rig.device.faults.stats;
  assert.ok(injected.blocksCorrupted > 20, `corrupted ${injected.blocksCorrupted}`);
  assert.ok(injected.bytesFlipped >= injected.blocksCorrupted);
  const valid = rig.blocks();
  for (const block of valid) assert.ok(sent.has(blockBytes(block.fields, block.checksum)), 'a received block is one that was sent intact');
  // Every intact block arrives, apart from a few lost next to a corrupted one.
  assert.ok(valid.length <= stats.textBlocks - injected.blocksCorrupted);
  assert.ok(valid.length >= stats.textBlocks - 1.2 * injected.blocksCorrupted, `valid ${valid.length}`);
  const rejects = rig.framer.stats.errors['text-checksum'] + rig.framer.stats.errors['text-framing'];
  assert.ok(rejects <= injected.blocksCorrupted && rejects >= 0.8 * injected.blocksCorrupted, `rejects ${rejects}`);
  rig.dispose();
});

test('line noise (dropped bytes) on Text and HEX, counted per unit', () => {
  const rig = simRig('smartsolar-100-30', { faults: { dropRate: 0.002 } });
  const sent = sentBlocks(rig);
  rig.advance(1500);
  for (let i = 0; i < 60; i++) {
    rig.send(':154');
    rig.advance(1000);
  }
  const injected = rig.device.faults.stats;
  assert.ok(injected.bytesDropped > 0 && injected.blocksCorrupted > 0);
  assert.ok(injected.framesCorrupted > 0, 'async frames and replies lose bytes too');
  for (const block of rig.blocks()) assert.ok(sent.has(blockBytes(block.fields, block.checksum)));
  const pings = rig.frames().filter((f) => f === ':56141AE').length;
  assert.ok(pings < 60 && pings > 40, `pings ${pings}`);
  rig.dispose();
});

test('noise from the host: the device answers :4AAAAFD to the frames it cannot read', () => {
  const rig = simRig('smartsolar-100-30', { faults: { hostBitErrorRate: 0.05 } });
  rig.advance(1500);
  for (let i = 0; i < 40; i++) {
    rig.send(':7F0ED0071');
    rig.advance(500);
  }
  const injected = rig.device.faults.stats;
  assert.ok(injected.hostFramesCorrupted > 5);
  const errors = rig.frames().filter((f) => f === ':4AAAAFD').length;
  assert.ok(errors > 0 && errors <= injected.hostFramesCorrupted);
  assert.equal(rig.device.stats.hostFrameErrors, errors);
  assert.equal(rig.device.hostLog.filter((f) => !f.valid).length, errors);
  rig.dispose();
});

test('garbage bursts: counted, and the blocks around them still decode', () => {
  const rig = simRig('bmv712');
  rig.advance(1500);
  rig.device.injectGarbage(40);
  rig.device.faults.set({ garbageIntervalMs: 3000, garbageLength: 24 });
  rig.advance(30_000);
  const injected = rig.device.faults.stats;
  assert.equal(injected.garbageBursts, 11);
  assert.equal(injected.garbageBytes, 40 + 10 * 24);
  assert.ok(rig.framer.stats.skippedBytes > 0 || Object.values(rig.framer.stats.errors).some((n) => n > 0));
  // A burst can land inside a block (it goes out at the next record boundary) and spoil it.
  assert.ok(rig.blocks().length >= rig.device.stats.textBlocks - 2 * injected.garbageBursts);
  rig.dispose();
});

test('silence: an unplugged cable passes nothing either way, then resumes', () => {
  const rig = simRig('smartsolar-100-30');
  rig.advance(2000);
  rig.device.faults.unplug();
  const before = rig.bytes().length;
  rig.send(':154');
  rig.advance(10_000);
  assert.equal(rig.bytes().length, before);
  assert.equal(rig.device.hostLog.length, 0, 'the request never arrived');
  assert.ok(rig.device.faults.stats.bytesLostUnplugged > 1000);
  rig.device.faults.replug();
  rig.advance(2000);
  rig.send(':154');
  rig.advance(300);
  assert.ok(rig.frames().includes(':56141AE'));
  rig.dispose();
});

test('silence: a "pv only" charger is off at night and boots at sunrise', () => {
  const rig = simRig('bluesolar-100-30-pvonly', { systemOptions: { timeOfDay: 22 * 60, seed: 3 } });
  rig.advance(5000);
  rig.send(':154');
  rig.advance(1000);
  assert.equal(rig.bytes().length, 0, 'no Text, no reply at night');
  assert.equal(rig.device.hostLog.length, 0);
  rig.system.setTimeOfDay(9 * 60);
  rig.advance(5000);
  assert.ok(rig.blocks().length >= 2, 'Text after sunrise');
  rig.send(':154');
  rig.advance(300);
  assert.ok(rig.frames().includes(encodeFrame(Response.Ping, [0x33, 0x41])), 'fw 1.33 answers');
  rig.dispose();

  // Other chargers talk at night: CS 0, OR "no input power" (Solar Lab capture).
  const night = simRig('smartsolar-100-30', { systemOptions: { timeOfDay: 23 * 60 } });
  night.advance(3000);
  const block = night.blocks().at(-1)!;
  assert.equal(block.fields.CS, '0');
  assert.equal(block.fields.OR, '0x00000001');
  assert.equal(block.fields.PPV, '0');
  assert.equal(block.fields.VPV, '10');
  night.dispose();
});

test('slow replies, lost replies and replies after the host gave up', () => {
  const rig = simRig('smartsolar-100-30');
  rig.advance(1500);
  const at = (frame: string): number | undefined => {
    let seen: number | undefined;
    const off = rig.device.onUnit((u) => {
      if (u.frame === frame && seen === undefined) seen = rig.clock.now();
    });
    const sentAt = rig.clock.now();
    rig.send(':154');
    rig.advance(3000);
    off();
    return seen === undefined ? undefined : seen - sentAt;
  };
  const prompt = at(':56141AE')!;
  assert.ok(prompt < 150, `prompt reply after ${prompt} ms (waits for a block at most)`);

  rig.device.faults.set({ replyDelayMs: 400 });
  assert.ok(at(':56141AE')! >= 400);
  rig.device.faults.set({ replyDelayMs: 3 });

  rig.device.faults.loseReplies(1);
  assert.equal(at(':56141AE'), undefined);
  assert.ok(at(':56141AE') !== undefined, 'only the next reply is lost');
  assert.equal(rig.device.faults.stats.repliesLost, 1);

  rig.device.faults.delayReplies(1, 1500);
  const late = at(':56141AE')!;
  assert.ok(late >= 1500, `late reply after ${late} ms`);
  assert.equal(rig.device.faults.stats.repliesLate, 1);

  // Rates: some lost, the rest answered.
  rig.device.faults.set({ lostReplyRate: 0.5 });
  let answered = 0;
  for (let i = 0; i < 40; i++) if (at(':56141AE') !== undefined) answered++;
  assert.ok(answered > 5 && answered < 35, `answered ${answered}`);
  assert.equal(rig.device.faults.stats.repliesLost, 1 + 40 - answered);
  rig.dispose();
});

test('reboot: the block in progress is cut, Text resumes after the boot, state is lost', () => {
  const rig = simRig('smartsolar-100-30', { bootMs: 2000 });
  rig.advance(1500);
  const started = rig.bytes().length;
  while (rig.bytes().length === started) rig.advance(1);
  rig.advance(20);
  rig.device.reboot();
  const cut = rig.blocks().length;
  const sentBefore = rig.device.stats.textBlocks;
  rig.advance(1900);
  assert.equal(rig.device.stats.textBlocks, sentBefore, 'silent while booting');
  rig.advance(4000);
  assert.ok(rig.blocks().length > cut, 'Text again after the boot');
  assert.equal(rig.device.faults.stats.reboots, 1);
  assert.equal(rig.device.stats.restarts, 1);
  // The cut block never completed and is not counted as sent; the host glues its head to the
  // first block after the boot and rejects that one.
  assert.equal(rig.framer.stats.errors['text-checksum'] + rig.framer.stats.errors['text-framing'], 1);
  assert.equal(rig.blocks().length, rig.device.stats.textBlocks - 1);
  rig.dispose();
});

test('async frames inside a Text block (realism switch) still decode', () => {
  const rig = simRig('smartsolar-100-30', { faults: { asyncInsideBlockRate: 1 } });
  rig.advance(1500);
  rig.send(':154');
  rig.advance(20_000);
  const text = rig.bytes().toString('latin1');
  // An async frame between two records: `\r\n<label>\t<value>:A…\n\r\n`.
  assert.match(text, /\r\n[A-Z0-9#]+\t[^\r\n:]+:A[0-9A-F]+\n\r\n/);
  assert.equal(rig.events.filter((e) => e.kind === 'frame-error').length, 0);
  assert.ok(rig.blocks().length >= 19);
  assert.ok(rig.frames().filter((f) => f.startsWith(':A')).length > 20);
  rig.dispose();
});

test('clearing faults gives a clean line again', () => {
  const rig = simRig('smartshunt', { faults: { bitErrorRate: 0.01, garbageIntervalMs: 500 } });
  rig.advance(5000);
  rig.device.faults.clear();
  // The host may still be inside a spoiled unit: give it a block to resynchronise.
  rig.advance(2000);
  rig.clear();
  rig.advance(10_000);
  assert.equal(rig.events.filter((e) => e.kind === 'frame-error').length, 0);
  assert.ok(rig.blocks().length >= 19);
  rig.dispose();
});
