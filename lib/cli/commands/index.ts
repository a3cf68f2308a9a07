/** Every `ve-direct` sub-command, in the order `ve-direct --help` lists them. */

import type { CliCommand } from '../command';
import { decodeCommand } from './decode';
import { simulateCommand } from './simulate';

export const COMMANDS: readonly CliCommand[] = [decodeCommand, simulateCommand];
