/**
 * The CLI as people read it: `scan` as a table, `monitor --table` redrawn in place on a real
 * terminal (tmux) and scrolling into a pipe, and `get` naming the register of the device's own
 * family when asked for another family's. Against simulated devices (`sim:` ports).
 */

import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { runCliCaptured } from '../../helpers/cli';
import { screen } from '../../../lib/cli/commands/monitor';
import { portRow } from '../../../lib/cli/commands/scan';

// Simulated devices and the link run on unref'd timers; keep the test process up meanwhile.
const keepAlive = setInterval(() => undefined, 1000);
after(() => clearInterval(keepAlive));

const ROOT = join(__dirname, '..', '..', '..');

describe('ve-direct scan', () => {
  it('prints a table: product, serial, firmware, path, port; simulated devices last', async () => {
    const r = await runCliCaptured(['scan', '--timeout', '4000']);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trimEnd().split('\n');
    assert.match(lines[0]!, /^PRODUCT +SERIAL +FIRMWARE +PATH +PORT$/);
    const shunt = lines.find((l) => / sim:smartshunt /.test(l));
    assert.match(shunt ?? '', /^SmartShunt 500A\/50mV +HQ2312SHT01 +4\.14 +sim:smartshunt +simulated$/);
    const inverter = lines.find((l) => / sim:phoenix-inverter /.test(l));
    assert.match(inverter ?? '', /^Phoenix Inverter .* +HQ\w+ +\d+\.\d+ +sim:phoenix-inverter +simulated$/);
    // Columns line up: every row's PATH starts where the header's does.
    const pathColumn = lines[0]!.indexOf('PATH');
    for (const line of lines.slice(1)) assert.ok(/^\S/.test(line.slice(pathColumn)) && / $/.test(line.slice(0, pathColumn)), line);
    const firstSim = lines.findIndex((l) => l.includes(' sim:'));
    assert.ok(firstSim > 0);
    assert.ok(lines.slice(firstSim).every((l) => l.includes(' sim:')), 'simulated devices last');
    assert.equal(r.lines.length, 0, 'no JSON without --json');
  });

  it('a serial port that is not a Victron cable is listed as not asked, and --all is named', () => {
    const port = {
      path: '/dev/ttyS0', device: '/dev/ttyS0', scheme: 'serial', byId: null, victron: false, sim: false,
      manufacturer: null, serialNumber: null, vendorId: null, productId: null, label: 'Serial port (/dev/ttyS0)', owner: null,
      probeSkipped: 'not a Victron cable: probed only when asked to probe every serial port',
    };
    assert.deepEqual(portRow(port), ['—', '—', '—', '/dev/ttyS0', 'Serial port (/dev/ttyS0): not a Victron cable, not asked (--all asks it)']);
    assert.deepEqual(portRow({ ...port, probeSkipped: undefined, probeError: 'no VE.Direct device answered' }).at(-1), 'Serial port (/dev/ttyS0): no VE.Direct device answered');
  });

  it('--no-probe --no-sim lists the real ports only, unidentified', async () => {
    const r = await runCliCaptured(['scan', '--no-probe', '--no-sim']);
    assert.equal(r.code, 0, r.stderr);
    const rows = r.stdout.trimEnd().split('\n').slice(1);
    assert.ok(rows.every((l) => l.startsWith('—') && !l.includes('sim:')), r.stdout);
  });
});

describe('ve-direct monitor --table', () => {
  it('into a pipe: one plain table per cycle, scrolling, no terminal codes', async () => {
    const r = await runCliCaptured(['monitor', 'sim:bmv712', '--table', '--count', '2']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.match(/^BMV-712 Smart HQ\w+$/gm)?.length, 2);
    assert.ok(!r.stdout.includes('\x1b'), 'no escape sequences into a pipe');
  });

  it('a redraw goes home, clears behind each line and below, and fits the terminal', () => {
    const lines = ['SmartShunt 500A/50mV HQ2312SHT01  ·  connected', ...Array.from({ length: 30 }, (_, i) => `  value${i}  ${i} V`)];
    assert.equal(screen(['a', 'b']), '\x1b[Ha\x1b[K\nb\x1b[K\n\x1b[J');
    const out = screen(lines, { rows: 10, columns: 20 });
    assert.ok(out.startsWith('\x1b[H') && out.endsWith('\n\x1b[J'));
    const shown = out.slice(3, -7).split('\x1b[K\n');
    assert.equal(shown.length, 9, 'one row left free, so nothing scrolls');
    assert.equal(shown[0], 'SmartShunt 500A/50…');
    assert.equal(shown[8], '  … 23 more lines:…');
    assert.ok(shown.every((l) => l.length <= 19));
  });

  it('on a terminal (tmux): redrawn in place, the state in its first line', async () => {
    const tmux = spawnSync('tmux', ['-V'], { encoding: 'utf8' });
    assert.equal(tmux.status, 0, 'this test needs tmux (Debian/Raspberry Pi OS: sudo apt-get install -y tmux)');
    const socket = `ve-direct-test-${process.pid}`;
    const run = (...args: string[]): string => {
      const r = spawnSync('tmux', ['-L', socket, ...args], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      return r.stdout;
    };
    const command = `node --import tsx lib/cli/main.ts monitor sim:smartshunt --table --count 4; echo "exit $?"; sleep 60`;
    run('new-session', '-d', '-x', '110', '-y', '45', '-c', ROOT, command);
    try {
      let screen = '';
      for (let waited = 0; !/^exit \d+$/m.test(screen); waited += 250) {
        assert.ok(waited < 60_000, `monitor did not finish; the screen:\n${screen}`);
        await new Promise((resolve) => setTimeout(resolve, 250));
        // The whole history, not only the visible screen: nothing may have scrolled away.
        screen = run('capture-pane', '-p', '-S', '-', '-t', '0');
      }
      assert.match(screen, /^exit 0$/m);
      const headers = screen.match(/^SmartShunt 500A\/50mV HQ2312SHT01 {2}· {2}connected {2}· {2}\d\d:\d\d:\d\d {2}· {2}Ctrl-C to stop$/gm);
      assert.equal(headers?.length, 1, `four cycles drawn over each other, not four tables:\n${screen}`);
      assert.match(screen, /^ {2}batteryVoltage +\d+\.\d+ V$/m);
      assert.match(screen, /^ {2}stateOfCharge +\d+(\.\d+)? %$/m);
      assert.equal(screen.match(/^ {2}batteryVoltage /gm)?.length, 1);
    } finally {
      run('kill-server');
    }
  });
});

describe('ve-direct get: registers of another family', () => {
  it("a monitor's batteryVoltage asked of an MPPT: VE_UNKNOWN_ID, and chargerVoltage suggested", async () => {
    const r = await runCliCaptured(['get', 'sim:smartsolar-100-30', 'batteryVoltage']);
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      /0xED8D batteryVoltage: the device does not have this register \(unknown id\)\. batteryVoltage is a register of BMV battery monitors and SmartShunts; on MPPT solar chargers read chargerVoltage \(0xEDD5\) \(VE_UNKNOWN_ID\)/,
    );
    // And the suggestion reads.
    const suggested = await runCliCaptured(['get', 'sim:smartsolar-100-30', 'chargerVoltage']);
    assert.equal(suggested.code, 0, suggested.stderr);
    assert.equal(suggested.lines[0]?.unit, 'V');
  });

  it("a charger's chargerCurrent asked of a SmartShunt: batteryCurrent suggested", async () => {
    const r = await runCliCaptured(['get', 'sim:smartshunt', 'chargerCurrent']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /on SmartShunts read batteryCurrent \(0xED8F\) \(VE_UNKNOWN_ID\)/);
  });

  it('no equivalent: says whose register it is, suggests nothing', async () => {
    const r = await runCliCaptured(['get', 'sim:smartshunt', 'panelPower']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /panelPower is a register of MPPT solar chargers; the catalogue knows no register of SmartShunts for the same value \(VE_UNKNOWN_ID\)/);
  });
});
