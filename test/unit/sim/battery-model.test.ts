/**
 * The shared battery / sun model: devices in one process agree, PV follows the day, values
 * stay plausible over simulated days, and the same seed replays the same run.
 */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../../lib/clock';
import { SimSystem } from '../../../lib/sim/battery-model';
import { createSimDevice, inverterOf, mpptOf } from '../../../lib/sim/catalogue';
import { simRig } from '../../helpers/sim';

test('time of day: set, accelerated, day and night', () => {
  const clock = new ManualClock();
  const system = new SimSystem(clock, { timeOfDay: 5 * 60, seed: 1 });
  assert.equal(system.irradiance(), 0);
  clock.advance(60_000);
  assert.equal(Math.round(system.timeOfDay()), 5 * 60 + 1);
  system.setSpeed(60);
  clock.advance(60_000 * 60);
  // An hour of clock at 60×: 60 simulated hours later, 17:01 on day 2.
  assert.equal(Math.round(system.timeOfDay()), 17 * 60 + 1);
  assert.equal(system.day(), 2);
  system.setTimeOfDay(12 * 60);
  assert.ok(system.irradiance() > 0.4);
  assert.equal(system.day(), 3, 'setting an earlier time moves to the next day');
  system.setTimeOfDay(23 * 60);
  assert.equal(system.irradiance(), 0);
});

test('an MPPT terminal voltage is the battery voltage plus its cable drop while charging', () => {
  const rig = simRig('smartsolar-100-30', { systemOptions: { soc: 0.5, timeOfDay: 12 * 60 } });
  rig.advance(3000);
  const model = mpptOf(rig.device)!;
  const battery = rig.system.battery().voltage;
  const { terminalV } = model.regulation();
  const drop = terminalV - battery;
  assert.ok(drop >= 0.05 && drop <= 0.2, `drop ${drop.toFixed(3)} V`);
  const block = rig.blocks().at(-1)!;
  assert.ok(Math.abs(Number(block.fields.V) / 1000 - terminalV) < 0.02);
  assert.equal(block.fields.CS, '3', 'bulk');
  rig.dispose();
});

test('monitors and chargers on one system agree', () => {
  const clock = new ManualClock();
  const system = new SimSystem(clock, { soc: 0.6, timeOfDay: 11 * 60, seed: 5 });
  const shunt = simRig('smartshunt', { clock, system });
  const mppt = simRig('smartsolar-100-30', { clock, system });
  const inverter = createSimDevice('phoenix-inverter', { clock, system });
  inverterOf(inverter)!.setLoad(300);
  clock.advance(5000);
  const main = shunt.blocks().filter((b) => 'PID' in b.fields).at(-1)!;
  const charger = mppt.blocks().at(-1)!;
  const battery = system.battery();
  // The shunt reads the battery; the MPPT's terminals sit a cable drop above it.
  assert.ok(Math.abs(Number(main.fields.V) / 1000 - battery.voltage) < 0.01);
  assert.ok(Number(charger.fields.V) > Number(main.fields.V));
  // Battery current = charger current − loads (inverter included).
  const expected = Number(charger.fields.I) / 1000 - battery.loadCurrent;
  assert.ok(Math.abs(Number(main.fields.I) / 1000 - expected) < 0.5, `shunt I ${main.fields.I}, expected ${expected.toFixed(2)}`);
  assert.ok(battery.loadCurrent > 300 / 13, 'the inverter is a load');
  shunt.dispose();
  mppt.dispose();
  inverter.dispose();
});

test('over two simulated days: SOC and voltage move plausibly, PV on a day curve, charge states cycle', () => {
  const clock = new ManualClock();
  const system = new SimSystem(clock, { soc: 0.5, timeOfDay: 0, seed: 9, speed: 600 });
  const rig = simRig('smartsolar-100-30', { clock, system });
  const shunt = simRig('bmv712', { clock, system });
  const states = new Set<string>();
  const soc: number[] = [];
  let minV = Infinity;
  let maxV = 0;
  let maxNightPv = 0;
  let maxDayPv = 0;
  for (let minute = 0; minute < 2 * 24 * 60; minute += 10) {
    clock.advance(1000);
    const battery = system.battery();
    minV = Math.min(minV, battery.voltage);
    maxV = Math.max(maxV, battery.voltage);
    soc.push(battery.soc);
    const hour = system.timeOfDay() / 60;
    const ppv = Number(rig.blocks().at(-1)?.fields.PPV ?? 0);
    if (hour < 5.5 || hour > 18.5) maxNightPv = Math.max(maxNightPv, ppv);
    if (hour > 11 && hour < 13) maxDayPv = Math.max(maxDayPv, ppv);
    states.add(mpptOf(rig.device)!.chargeState);
    const temperature = Number(shunt.blocks().filter((b) => 'T' in b.fields).at(-1)?.fields.T ?? 20);
    assert.ok(temperature > 5 && temperature < 40, `T ${temperature}`);
  }
  assert.equal(maxNightPv, 0, 'no PV at night');
  assert.ok(maxDayPv > 200, `PV at noon ${maxDayPv} W`);
  assert.ok(minV > 11.5 && maxV < 15, `V ${minV.toFixed(2)}..${maxV.toFixed(2)}`);
  assert.ok(Math.max(...soc) > 0.95, 'charged during the day');
  assert.ok(Math.min(...soc) < Math.max(...soc) - 0.05, 'discharged at night');
  for (const state of ['off', 'bulk', 'absorption', 'float']) assert.ok(states.has(state), `state ${state} seen: ${[...states].join(',')}`);
  // The MPPT's day counter and yesterday's yield moved at sunrise.
  const block = rig.blocks().at(-1)!;
  assert.equal(block.fields.HSDS, '19', 'one sunrise on a new day (the first day began at 00:00)');
  assert.ok(Number(block.fields.H22) > 0);
  rig.dispose();
  shunt.dispose();
});

test('the same seed gives the same run', () => {
  const run = (): string => {
    const rig = simRig('smartshunt', { seed: 4, systemOptions: { seed: 4, speed: 30 } });
    rig.advance(20_000);
    const out = rig.bytes().toString('latin1');
    rig.dispose();
    return out;
  };
  assert.equal(run(), run());
});

test('a lone monitor still sees day and night (background solar), unless disabled', () => {
  const day = simRig('smartshunt', { systemOptions: { timeOfDay: 12 * 60 } });
  day.advance(3000);
  assert.ok(Number(day.blocks().filter((b) => 'I' in b.fields).at(-1)!.fields.I) > 0, 'charging at noon');
  day.dispose();
  const none = simRig('smartshunt', { systemOptions: { timeOfDay: 12 * 60, backgroundSolarW: 0 } });
  none.advance(3000);
  assert.ok(Number(none.blocks().filter((b) => 'I' in b.fields).at(-1)!.fields.I) < 0, 'only the load');
  none.dispose();
});
