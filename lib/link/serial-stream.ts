/**
 * The serial stream for one VE.Direct port, not yet opened, over any serialport binding:
 * 19200 baud, 8 data bits, no parity, 1 stop bit, no flow control (VE.Direct Protocol 3.33,
 * "Serial port configuration"). The stream is raw — serialport never echoes and applies no
 * line discipline — so the device never receives its own output back (an echo makes a device
 * answer `:4AAAAFD`, the frame-error reply).
 */

import type { BindingInterface } from '@serialport/bindings-interface';
import { SerialPortStream } from '@serialport/stream';

export const VE_DIRECT_BAUD_RATE = 19200;

/** Builds a closed stream for `path`; the link opens, reads, writes and closes it. */
export type PortFactory = (path: string) => SerialPortStream;

/** A VE.Direct-configured stream, `autoOpen: false` (tests pass MockBinding or a memory binding). */
export function streamWithBinding(path: string, binding: BindingInterface): SerialPortStream {
  return new SerialPortStream({
    binding,
    path,
    baudRate: VE_DIRECT_BAUD_RATE,
    dataBits: 8,
    parity: 'none',
    stopBits: 1,
    rtscts: false,
    xon: false,
    xoff: false,
    xany: false,
    autoOpen: false,
    // VE.Direct delivers about 2 KB/s at most; the 64 KB default read pool per port is waste
    // when a runtime holds many ports.
    highWaterMark: 4096,
  });
}
