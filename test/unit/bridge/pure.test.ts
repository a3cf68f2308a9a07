import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { resolveConfig, DEFAULT_CONFIG } from '../../../lib/bridge/config';
import { combine, spread } from '../../../lib/bridge/strategies';
import { checkSenseVoltage, inferNominal, nominalFromSetting, isSaneVoltage } from '../../../lib/bridge/plausibility';
import { gateCharger, parseFirmware } from '../../../lib/bridge/gating';
import { encodeSense } from '../../../lib/bridge/encoding';
import { AlarmBook, type AlarmDraft } from '../../../lib/bridge/alarms';
import { setFrame } from '../../../lib/protocol/hex-codec';
import { isVeError } from '../../../lib/errors';
import { BMV712, MPPT } from './fakes';

function bytes(raw: string): number[] {
  const out: number[] = [];
  for (let i = 0; i < raw.length; i += 2) out.push(Number.parseInt(raw.slice(i, i + 2), 16));
  return out;
}

describe('bridge config', () => {
  it('fills the defaults: voltage 3 s, temperature 9 s, freshness 5 s, window 0.5 V per 12 V', () => {
    const c = resolveConfig();
    assert.equal(c.voltageIntervalMs, 3000);
    assert.equal(c.temperatureIntervalMs, 9000);
    assert.equal(c.freshnessMs, 5000);
    assert.equal(c.plausibilityWindow, 0.5);
    assert.equal(c.share, 'both');
    assert.equal(c.voltageStrategy, 'max');
    assert.equal(c.temperatureStrategy, 'max');
    assert.equal(c.requireAllSources, true);
    assert.equal(c.externalVoltage, false);
  });

  it('picks min as the temperature strategy for lithium unless told otherwise', () => {
    assert.equal(resolveConfig({ chemistry: 'lithium' }).temperatureStrategy, 'min');
    assert.equal(resolveConfig({ chemistry: 'lithium', temperatureStrategy: 'average' }).temperatureStrategy, 'average');
  });

  it('refuses intervals that could let the 60 s charger timeout expire, or that flood the port', () => {
    for (const bad of [{ voltageIntervalMs: 20_001 }, { temperatureIntervalMs: 999 }, { voltageIntervalMs: Number.NaN }, { freshnessMs: 60_000 }]) {
      assert.throws(() => resolveConfig(bad), (err: unknown) => isVeError(err) && err.code === 'VE_BAD_INPUT');
    }
    assert.equal(resolveConfig({ voltageIntervalMs: 20_000, temperatureIntervalMs: 1000 }).voltageIntervalMs, 20_000);
  });

  it('refuses unknown keys, bad enums, a temperature window wider than −30..70 °C and bad source lists', () => {
    const cases: Array<Record<string, unknown>> = [
      { voltageInterval: 3000 },
      { voltageStrategy: 'median' },
      { share: 'current' },
      { temperatureMin: -40 },
      { temperatureMax: 80 },
      { temperatureMin: 20, temperatureMax: 10 },
      { systemVoltage: 32 },
      { requireAllSources: 'yes' },
      { voltageSources: 'a' },
      { rejectRetryMs: 1000 },
    ];
    for (const c of cases) assert.throws(() => resolveConfig(c as never), (err: unknown) => isVeError(err) && err.code === 'VE_BAD_INPUT', JSON.stringify(c));
  });

  it('has a default for every setting', () => {
    assert.ok(Object.keys(DEFAULT_CONFIG).length >= 25);
  });
});

describe('strategies', () => {
  const s = [
    { id: 'a', value: 13.2 },
    { id: 'b', value: 13.4 },
    { id: 'c', value: 13.3 },
  ];
  it('average, min, max, first-fresh', () => {
    assert.ok(Math.abs((combine('average', s)?.value ?? 0) - 13.3) < 1e-9);
    assert.deepEqual(combine('min', s), { value: 13.2, used: ['a'] });
    assert.deepEqual(combine('max', s), { value: 13.4, used: ['b'] });
    assert.deepEqual(combine('first-fresh', s), { value: 13.2, used: ['a'] });
    assert.equal(combine('average', []), null);
  });
  it('spread is max − min, null below two samples', () => {
    assert.ok(Math.abs((spread(s) ?? 0) - 0.2) < 1e-9);
    assert.equal(spread([{ id: 'a', value: 1 }]), null);
  });
  it('every strategy stays within the samples (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: 8, max: 70, noNaN: true }), { minLength: 1, maxLength: 8 }), fc.constantFrom('average', 'min', 'max', 'first-fresh' as const), (values, strategy) => {
        const r = combine(strategy, values.map((value, i) => ({ id: String(i), value })));
        assert.ok(r !== null);
        assert.ok(r.value >= Math.min(...values) - 1e-9 && r.value <= Math.max(...values) + 1e-9);
      }),
    );
  });
});

describe('plausibility', () => {
  it('infers 12 / 24 / 48 V systems from the terminal voltage; reads 0xEDEF', () => {
    assert.equal(inferNominal(13.4), 12);
    assert.equal(inferNominal(27.2), 24);
    assert.equal(inferNominal(54.0), 48);
    assert.equal(inferNominal(0), null);
    assert.equal(nominalFromSetting(36), 36);
    assert.equal(nominalFromSetting(0), null);
    assert.equal(isSaneVoltage(-1), false);
  });
  it('accepts a sense voltage within 0.5 V per 12 V of the terminal voltage', () => {
    assert.deepEqual(checkSenseVoltage(13.2, 13.4, 12, 0.5), { ok: true, offset: -0.2, window: 0.5 });
    assert.equal(checkSenseVoltage(26.5, 27.4, 24, 0.5).ok, true);
    assert.equal(checkSenseVoltage(53, 54.9, 48, 0.5).ok, true);
  });
  it('refuses a sense voltage far below the terminals (disconnect: the charger would raise its output)', () => {
    const v = checkSenseVoltage(12.6, 13.4, 12, 0.5);
    assert.equal(v.ok, false);
    assert.equal(v.ok ? '' : v.reason, 'below-terminal');
    assert.equal(v.offset, -0.8);
  });
  it('refuses above the terminals, outside the system range, and when the terminal voltage is unknown', () => {
    const above = checkSenseVoltage(14.0, 13.4, 12, 0.5);
    assert.equal(above.ok ? '' : above.reason, 'above-terminal');
    const range = checkSenseVoltage(18, 18, 12, 0.5);
    assert.equal(range.ok ? '' : range.reason, 'out-of-range');
    const unknown = checkSenseVoltage(13.2, null, 12, 0.5);
    assert.equal(unknown.ok ? '' : unknown.reason, 'terminal-unknown');
  });
});

describe('gating', () => {
  it('reads firmware versions', () => {
    assert.deepEqual(parseFirmware('1.56'), { major: 1, minor: 56 });
    assert.deepEqual(parseFirmware('1.56-rcC'), { major: 1, minor: 56 });
    assert.deepEqual(parseFirmware('v1.29'), { major: 1, minor: 29 });
    assert.equal(parseFirmware('1.02 (bootloader)')?.minor, 2);
    assert.equal(parseFirmware('garbage'), null);
    assert.equal(parseFirmware(null), null);
  });
  it('accepts MPPTs from firmware 1.29, refuses monitors and older firmware', () => {
    assert.deepEqual(gateCharger(MPPT), { ok: true, senseBits: true, networkInfo: true, currentBit: true, currentRefusal: null });
    const v129 = gateCharger({ ...MPPT, firmware: '1.29' });
    assert.deepEqual({ ...v129, currentRefusal: null }, { ok: true, senseBits: true, networkInfo: false, currentBit: false, currentRefusal: null });
    const old = gateCharger({ ...MPPT, firmware: '1.28' });
    assert.equal(old.ok, false);
    assert.equal(old.ok ? true : old.pending, false);
    assert.equal(gateCharger(BMV712).ok, false);
    const pending = gateCharger(null);
    assert.equal(pending.ok ? false : pending.pending, true);
    assert.equal(gateCharger({ ...MPPT, firmware: null }).ok, false);
  });
  it('lets the current (0x200A) go only to firmware 1.47 and later, and reads ISENSE from 1.44', () => {
    const at = (firmware: string) => gateCharger({ ...MPPT, firmware });
    for (const fw of ['1.29', '1.43', '1.44', '1.46']) {
      const g = at(fw);
      assert.ok(g.ok, `${fw} still gets voltage and temperature`);
      assert.match(g.currentRefusal ?? '', new RegExp(`firmware ${fw.replace('.', '\\.')} is below 1\\.47`));
    }
    assert.deepEqual([at('1.43'), at('1.44')].map((g) => g.ok && g.currentBit), [false, true]);
    assert.deepEqual([at('1.47'), at('1.61'), at('3.16')].map((g) => g.ok && g.currentRefusal), [null, null, null]);
  });
  it('treats the VE.Can SmartSolar models 0xA102–0xA10E as supported whatever the version', () => {
    assert.equal(gateCharger({ ...MPPT, productId: 0xa105, firmware: '1.05' }).ok, true);
  });
});

describe('sense encoding', () => {
  it('produces the documented frames, release included', () => {
    const frame = (reg: 0x2002 | 0x2003, v: number | null) => setFrame(reg, bytes(encodeSense(reg, v).raw));
    assert.equal(frame(0x2002, 13.25), ':80220002D05F9');
    assert.equal(frame(0x2002, 26.69), ':80220006D0AB4');
    assert.equal(frame(0x2002, null), ':8022000FFFF2D');
    assert.equal(frame(0x2003, 25), ':8032000C4095D');
    assert.equal(frame(0x2003, 11.85), ':8032000A10485');
    assert.equal(frame(0x2003, -5), ':80320000CFE20');
    assert.equal(frame(0x2003, null), ':8032000FF7FAC');
  });
  it('rounds half away from zero to 0.01 and reports the value the charger decodes', () => {
    assert.deepEqual(encodeSense(0x2002, 13.285), { register: 0x2002, value: 13.29, raw: '3105' });
    assert.deepEqual(encodeSense(0x2002, 13.2849), { register: 0x2002, value: 13.28, raw: '3005' });
    assert.deepEqual(encodeSense(0x2003, -4.995), { register: 0x2003, value: -5, raw: '0CFE' });
    assert.deepEqual(encodeSense(0x2003, 21.534), { register: 0x2003, value: 21.53, raw: '6908' });
  });
  it('never writes FF FF to 0x2003: −0.01 °C goes out as −0.02 °C', () => {
    const e = encodeSense(0x2003, -0.01);
    assert.equal(e.raw, 'FEFF');
    assert.equal(e.value, -0.02);
  });
  it('no plausible value encodes to a sentinel (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: -3000, max: 7000 }), (centi) => {
        const t = encodeSense(0x2003, centi / 100);
        assert.ok(t.raw !== 'FFFF' && t.raw !== 'FF7F');
        assert.ok(typeof t.value === 'number' && Math.abs(t.value - centi / 100) <= 0.0100001);
      }),
    );
    fc.assert(
      fc.property(fc.integer({ min: 100, max: 7000 }), (centi) => {
        const v = encodeSense(0x2002, centi / 100);
        assert.notEqual(v.raw, 'FFFF');
        assert.equal(v.value, centi / 100);
      }),
    );
  });
  it('refuses values the register cannot carry', () => {
    assert.throws(() => encodeSense(0x2002, -1), (err: unknown) => isVeError(err) && err.code === 'VE_RANGE');
    assert.throws(() => encodeSense(0x2002, Number.NaN), (err: unknown) => isVeError(err) && err.code === 'VE_TYPE');
    assert.throws(() => encodeSense(0x2002, 655.35), (err: unknown) => isVeError(err) && err.code === 'VE_RANGE');
  });
});

describe('alarm book', () => {
  const draft = (code: AlarmDraft['code'], id = 'x'): AlarmDraft => ({ code, severity: 'warning', message: code, subject: { kind: 'source', id, label: id }, errorCode: null, details: {} });
  it('reports raised and cleared alarms only when the set changes, keeping `since`', () => {
    const book = new AlarmBook();
    const first = book.update([draft('SOURCE_STALE')], 100);
    assert.equal(first?.raised.length, 1);
    assert.equal(book.update([draft('SOURCE_STALE')], 200), null);
    const second = book.update([draft('SOURCE_STALE'), draft('VOLTAGE_SPREAD', 'bridge')], 300);
    assert.deepEqual(second?.raised.map((a) => a.code), ['VOLTAGE_SPREAD']);
    assert.equal(second?.active.find((a) => a.code === 'SOURCE_STALE')?.since, 100);
    const third = book.update([], 400);
    assert.equal(third?.cleared.length, 2);
    assert.equal(third?.active.length, 0);
  });
});
