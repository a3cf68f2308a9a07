#!/usr/bin/env node
/**
 * The `ve-direct` command: dispatches to one sub-command per job.
 */

import { VeError, quoteInput } from '../errors';
import { UsageError, type CliCommand, type CliIo } from './command';
import { COMMANDS } from './commands';

function overview(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  const lines = COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`);
  return [
    'Usage: ve-direct <command> [options]',
    '',
    'Talk to Victron devices over VE.Direct (Text and HEX protocols).',
    '',
    'Commands:',
    ...lines,
    '',
    'Run "ve-direct <command> --help" for the options of one command.',
  ].join('\n');
}

function findCommand(name: string): CliCommand | undefined {
  return COMMANDS.find((c) => c.name === name);
}

/** Runs the CLI with the given arguments (without node and script); resolves to the exit code. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '-h' || name === '--help' || name === 'help') {
    const topic = name === 'help' && rest[0] ? findCommand(rest[0]) : undefined;
    io.stdout.write((topic ? topic.help : overview()) + '\n');
    return name === undefined ? 2 : 0;
  }
  const command = findCommand(name);
  if (!command) {
    io.stderr.write(`ve-direct: unknown command ${quoteInput(name)}\n\n${overview()}\n`);
    return 2;
  }
  if (rest.includes('-h') || rest.includes('--help')) {
    io.stdout.write(command.help + '\n');
    return 0;
  }
  try {
    return await command.run(rest, io);
  } catch (err) {
    if (err instanceof UsageError || (err instanceof TypeError && 'code' in err && String(err.code).startsWith('ERR_PARSE_ARGS'))) {
      io.stderr.write(`ve-direct ${name}: ${err.message}\nRun "ve-direct ${name} --help" for usage.\n`);
      return 2;
    }
    if (err instanceof VeError) {
      io.stderr.write(`ve-direct ${name}: ${err.message} (${err.code})\n`);
      return 1;
    }
    io.stderr.write(`ve-direct ${name}: ${(err as Error).stack ?? String(err)}\n`);
    return 1;
  }
}

if (require.main === module) {
  let interrupt: () => void = () => undefined;
  const interrupted = new Promise<void>((resolve) => (interrupt = resolve));
  const onSignal = (): void => {
    interrupt();
    // Commands stop on `interrupted`; if one does not within a moment, or on a second
    // Ctrl-C, leave anyway.
    process.once('SIGINT', () => process.exit(130));
    setTimeout(() => process.exit(130), 3000).unref();
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  // A closed pipe (`ve-direct decode | head`) is a normal way to stop reading.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
  });
  runCli(process.argv.slice(2), { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, env: process.env, interrupted })
    .then((code) => {
      process.exitCode = code;
    })
    .catch((err: unknown) => {
      process.stderr.write(`ve-direct: ${String(err)}\n`);
      process.exitCode = 1;
    });
}
