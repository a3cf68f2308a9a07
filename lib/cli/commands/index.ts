/** Every `ve-direct` sub-command, in the order `ve-direct --help` lists them. */

import type { CliCommand } from '../command';
import { decodeCommand } from './decode';
import { getCommand } from './get';
import { identifyCommand } from './identify';
import { limitCommand } from './limit';
import { monitorCommand } from './monitor';
import { scanCommand } from './scan';
import { setCommand } from './set';
import { simulateCommand } from './simulate';

export const COMMANDS: readonly CliCommand[] = [decodeCommand, monitorCommand, identifyCommand, getCommand, setCommand, limitCommand, scanCommand, simulateCommand];
