/**
 * The three parts of a charger session on their own: the conflict inspection (over a scripted
 * register reader), the value decision, and the write ledger.
 */

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { VeError } from '../../../lib/errors';
import { resolveConfig } from '../../../lib/bridge/config';
import { inspectCharger, type ReadResult } from '../../../lib/bridge/conflict-inspection';
import { encodeSense } from '../../../lib/bridge/encoding';
import { CLEAR_STANDING, decideFollower, decideVoltage, precheck, stillFresh, type ValueDecision } from '../../../lib/bridge/value-decision';
import { judgeWrite, WriteLedger, type WriteOutcome } from '../../../lib/bridge/write-ledger';
import { VSENSE, type WriteReport } from '../../../lib/bridge/types';

const config = resolveConfig();

/** A reader that answers from a table and records what was asked, in order. */
function reader(table: Record<number, ReadResult>) {
  const asked: number[] = [];
  const read = async (register: number): Promise<ReadResult> => {
    asked.push(register);
    return table[register] ?? { kind: 'unknown' };
  };
  return { read, asked };
}
const value = (n: number | null, raw: number | null = n): ReadResult => ({ kind: 'value', value: n, rawNumber: raw });
const STAND_ALONE = { 0x200e: value(0), 0x200f: value(0x04), 0x200d: value(0), 0xedec: value(null, 0xffff) };
const request = { full: true, initial: true, senseBits: true, networkInfo: true, mayBeOurs: () => false };

describe('conflict inspection', () => {
  it('a stand-alone charger: no evidence; the first check reads 0x200E, 0x200F, 0x200D, 0xEDEC in that order', async () => {
    const r = reader(STAND_ALONE);
    const result = await inspectCharger(r.read, request);
    assert.deepEqual(result, { kind: 'done', statusByte: 0x04, inUse: { voltage: false, temperature: false, current: false }, evidence: [] });
    assert.deepEqual(r.asked, [0x200e, 0x200f, 0x200d, 0xedec]);
  });

  it('names the network mode bits and the role as the catalogue does', async () => {
    const result = await inspectCharger(reader({ ...STAND_ALONE, 0x200e: value(0x05), 0x200f: value(0x00) }).read, request);
    assert.equal(result.kind, 'done');
    if (result.kind !== 'done') return;
    assert.deepEqual(result.evidence, [
      '0x200E network mode 0x05 (Networked, External control): another master (GX, BMS or ESS) controls this charger',
      '0x200F network status 0x00: role Slave, not stand-alone',
    ]);
  });

  it('"in use" bits are evidence only when they cannot be the caller\'s own', async () => {
    const table = { ...STAND_ALONE, 0x200f: value(0xc4), 0x200d: value(0xc0), 0xedec: value(18.5, 29165) };
    const foreign = await inspectCharger(reader(table).read, request);
    assert.equal(foreign.kind === 'done' && foreign.evidence.length, 3);
    const ours = await inspectCharger(reader(table).read, { ...request, mayBeOurs: () => true });
    assert.deepEqual(ours.kind === 'done' && [ours.evidence, ours.inUse], [[], { voltage: true, temperature: true, current: false }]);
  });

  it('reads bit 5 (ISENSE) only where the firmware has it: in use, or foreign evidence', async () => {
    const table = { ...STAND_ALONE, 0x200f: value(0x24), 0x200d: value(0x20) };
    // Before 1.44 bit 5 means nothing.
    const old = await inspectCharger(reader(table).read, request);
    assert.deepEqual(old.kind === 'done' && [old.evidence, old.inUse?.current], [[], false]);
    const foreign = await inspectCharger(reader(table).read, { ...request, currentBit: true });
    assert.deepEqual(foreign.kind === 'done' && foreign.evidence, [
      '0x200F network status 0x24: remote current already in use, not sent by this bridge',
      '0x200D network info 0x20: remote current sense in use (VE.Smart network?)',
    ]);
    const ours = await inspectCharger(reader(table).read, { ...request, currentBit: true, mayBeOurs: (q) => q === 'current' });
    assert.deepEqual(ours.kind === 'done' && [ours.evidence, ours.inUse], [[], { voltage: false, temperature: false, current: true }]);
  });

  it('a verification reads 0x200F only; without sense bits there is no "in use"', async () => {
    const r = reader(STAND_ALONE);
    const result = await inspectCharger(r.read, { ...request, full: false, initial: false, senseBits: false });
    assert.deepEqual(r.asked, [0x200f]);
    assert.equal(result.kind === 'done' && result.inUse, null);
  });

  it('no answer → silent, and nothing more is asked; a missing register → unsupported', async () => {
    const error = { code: 'VE_TIMEOUT' as const, message: 'no reply' };
    const r = reader({ ...STAND_ALONE, 0x200e: { kind: 'silent', error } });
    assert.deepEqual(await inspectCharger(r.read, request), { kind: 'silent', error });
    assert.deepEqual(r.asked, [0x200e]);
    const unsupported = await inspectCharger(reader({ ...STAND_ALONE, 0x200e: { kind: 'unknown' } }).read, request);
    assert.match(unsupported.kind === 'unsupported' ? unsupported.reason : '', /does not know 0x200E/);
  });
});

describe('value decision', () => {
  const share = (v: number | null, receivedAt: number | null = 0) => ({ value: v, receivedAt, reason: v === null ? 'no usable source' : null });

  it('precheck: disabled, no value, stale → withheld with the reason; else the encoded value', () => {
    assert.deepEqual(precheck('voltage', share(13.2), 0, config, false), { kind: 'withhold', reason: 'sharing is disabled' });
    assert.deepEqual(precheck('voltage', share(null), 0, config, true), { kind: 'withhold', reason: 'no usable source' });
    assert.match((precheck('voltage', share(13.2, 0), 5001, config, true) as { reason: string }).reason, /went stale/);
    const ok = precheck('voltage', share(13.2, 0), 5000, config, true);
    assert.equal(ok.kind === 'write' && ok.encoded.raw, '2805');
    assert.equal(stillFresh('voltage', ok, 5001, config).kind, 'withhold');
  });

  it('voltage: plausible → write; implausible → withheld, remembered; unknown terminal → withheld, not implausible', () => {
    const candidate = precheck('voltage', share(13.2, 0), 0, config, true);
    const facts = (terminal: number | null) => ({ terminal: terminal === null ? null : { value: terminal, receivedAt: 0 }, nominal: { nominal: 12 as const, from: 'charger' as const } });
    const good = decideVoltage(candidate, facts(13.4), CLEAR_STANDING, 0, config);
    assert.equal(good.decision.kind, 'write');
    const bad = decideVoltage(candidate, facts(14.2), CLEAR_STANDING, 1000, config);
    assert.equal(bad.decision.kind, 'withhold');
    assert.equal(bad.standing.implausibleAt, 1000);
    assert.equal(bad.standing.problem?.verdict.reason, 'below-terminal');
    const unknown = decideVoltage(candidate, facts(null), CLEAR_STANDING, 1000, config);
    assert.deepEqual([unknown.decision.kind, unknown.standing.implausibleAt, unknown.standing.problem?.verdict.reason], ['withhold', null, 'terminal-unknown']);
    // Plausible again: held for implausibleHoldMs (30 s), then written.
    const held = decideVoltage(candidate, facts(13.4), bad.standing, 21_000, config);
    assert.match(held.decision.kind === 'withhold' ? held.decision.reason : '', /plausible again for 20 s of the 30 s/);
    assert.equal(decideVoltage(candidate, facts(13.4), held.standing, 31_000, config).decision.kind, 'write');
  });

  it('the system voltage the charger reports must match its terminals', () => {
    const candidate = precheck('voltage', share(26.6, 0), 0, config, true);
    const result = decideVoltage(candidate, { terminal: { value: 26.7, receivedAt: 0 }, nominal: { nominal: 12, from: 'charger' } }, CLEAR_STANDING, 0, config);
    assert.equal(result.standing.problem?.verdict.reason, 'system-mismatch');
    assert.match(result.standing.problem?.message ?? '', /^the charger reports a 12 V system \(0xEDEF\) at 26\.70 V/);
  });

  it('temperature: withheld while the voltage is implausible for this charger, unless the temperature is shared alone', () => {
    const candidate: ValueDecision = precheck('temperature', share(21.5, 0), 0, config, true);
    const implausible = { verdict: null, implausibleAt: 0, problem: null };
    assert.match((decideFollower('temperature', candidate, implausible, config) as { reason: string }).reason, /withheld too/);
    assert.equal(decideFollower('temperature', candidate, null, config).kind, 'write');
    assert.equal(decideFollower('temperature', candidate, CLEAR_STANDING, config).kind, 'write');
    const cold = precheck('temperature', share(-40, 0), 0, config, true);
    assert.equal((decideFollower('temperature', cold, CLEAR_STANDING, config) as { reason: string }).reason, `temperature -40 °C is outside ${config.temperatureMin}..${config.temperatureMax} °C`);
  });
});

describe('write ledger', () => {
  const value = encodeSense(VSENSE, 13.2);
  const release = encodeSense(VSENSE, null);
  const report = (encoded: typeof value, at: number, outcome: WriteOutcome): WriteReport => ({
    quantity: 'voltage',
    register: VSENSE,
    value: encoded.value,
    raw: encoded.raw,
    release: encoded.value === null,
    at,
    durationMs: 10,
    ageMs: null,
    ok: outcome.kind === 'ok',
    echo: null,
    flags: null,
    error: outcome.kind === 'ok' ? null : outcome.error,
  });

  it('judges an answer: echo, flags, no answer, other errors', () => {
    assert.equal(judgeWrite(value, { ack: { echo: value.raw.toLowerCase(), flags: 0 } }).outcome.kind, 'ok');
    assert.deepEqual(judgeWrite(value, { ack: { echo: value.raw, flags: 1 } }).outcome, { kind: 'refused', error: { code: 'VE_UNKNOWN_ID', message: 'the charger answered flags 0x01' }, final: true, tookOther: false });
    const other = judgeWrite(value, { ack: { echo: '0000', flags: 0 } }).outcome;
    assert.deepEqual(other.kind === 'refused' && [other.error.code, other.tookOther, other.final], ['VE_ECHO_MISMATCH', true, false]);
    assert.equal(judgeWrite(value, { error: new VeError('VE_TIMEOUT', 'no reply') }).outcome.kind, 'silent');
    const odd = judgeWrite(value, { error: new TypeError('bug') }).outcome;
    assert.deepEqual(odd.kind === 'refused' && odd.error, { code: 'VE_UNEXPECTED', message: 'bug' });
  });

  it('a value in use until released; a release that gets no answer twice is left to the charger’s timeout', () => {
    const ledger = new WriteLedger();
    const ok: WriteOutcome = { kind: 'ok' };
    const silent: WriteOutcome = { kind: 'silent', error: { code: 'VE_TIMEOUT', message: 'no reply' } };
    ledger.record('voltage', report(value, 0, ok), ok);
    assert.equal(ledger.isActive('voltage'), true);
    ledger.record('voltage', report(release, 1000, silent), silent);
    assert.equal(ledger.isActive('voltage'), true, 'one unanswered release: still maybe in use');
    ledger.record('voltage', report(release, 2000, silent), silent);
    assert.equal(ledger.isActive('voltage'), false);
    // Unanswered value writes count as in use: they may have arrived.
    ledger.record('temperature', report(encodeSense(0x2003, 21), 0, silent), silent);
    assert.equal(ledger.isActive('temperature'), true);
  });

  it('"may be ours": while active, 5 s after a release, 65 s after the last value', () => {
    const ledger = new WriteLedger();
    const ok: WriteOutcome = { kind: 'ok' };
    assert.equal(ledger.mayBeOurs('voltage', 0), false);
    ledger.record('voltage', report(value, 0, ok), ok);
    assert.equal(ledger.mayBeOurs('voltage', 100_000), true, 'active');
    ledger.record('voltage', report(release, 10_000, ok), ok);
    assert.equal(ledger.mayBeOurs('voltage', 15_000), true);
    assert.equal(ledger.mayBeOurs('voltage', 15_001), false);
    const lost = new WriteLedger();
    lost.record('voltage', report(value, 0, ok), ok);
    assert.equal(lost.expire(64_999, 0), false);
    assert.equal(lost.expire(65_000, 0), true);
    assert.equal(lost.isActive('voltage'), false);
    assert.equal(lost.mayBeOurs('voltage', 65_000), true);
    assert.equal(lost.mayBeOurs('voltage', 65_001), false);
  });

  it('counts 0x200F checks with an acknowledged value not in use', () => {
    const ledger = new WriteLedger();
    const ok: WriteOutcome = { kind: 'ok' };
    ledger.record('voltage', report(value, 0, ok), ok);
    ledger.noteInUse({ voltage: false, temperature: false, current: false });
    ledger.noteInUse({ voltage: false, temperature: false, current: false });
    assert.deepEqual(ledger.ignored(3), []);
    ledger.noteInUse({ voltage: false, temperature: false, current: false });
    assert.deepEqual(ledger.ignored(3), ['voltage']);
    ledger.noteInUse({ voltage: true, temperature: false, current: false });
    assert.deepEqual(ledger.ignored(1), []);
  });
});
