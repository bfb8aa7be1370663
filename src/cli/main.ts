// Entry point of `bin/vras`: dispatches to a command and turns every error into a one-line
// message and an exit code. A stack trace is printed only with VRAS_DEBUG=1.

// Only the command table is loaded up front: each command loads its own modules (and the
// codec) when it runs.
import { commands } from './commands.js';

function usage(): string {
  const names = Object.keys(commands).sort();
  const width = Math.max(8, ...names.map((n) => n.length));
  return [
    'usage: vras <command> [options]        (vras --version: the version)',
    '',
    'commands:',
    ...names.map((n) => `  ${n.padEnd(width)}  ${commands[n]!.summary}`),
    '',
    "Run 'vras <command> --help' for a command's options.",
  ].join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(`${usage()}\n`);
    return name === undefined ? 2 : 0;
  }
  if (name === '--version' || name === '-V') {
    const { packageVersion } = await import('./version.js');
    process.stdout.write(`vras ${packageVersion()}\n`);
    return 0;
  }
  const entry = commands[name];
  if (entry === undefined) {
    process.stderr.write(`vras: unknown command '${name}'\n\n${usage()}\n`);
    return 2;
  }
  const mod = await entry.load();
  return mod.run(rest);
}

/**
 * A CliError (io.ts) thrown by a command. Each command is bundled on its own, with its own copy
 * of the class (scripts/build-cli.mjs), so it is recognised by its name and exit code rather than
 * by instanceof.
 */
function isCliError(error: unknown): error is Error & { readonly exitCode: number } {
  return (
    error instanceof Error &&
    error.name === 'CliError' &&
    typeof (error as { exitCode?: unknown }).exitCode === 'number'
  );
}

function report(error: unknown): number {
  if (process.env.VRAS_DEBUG === '1') console.error(error);
  // Anything else (a CodecError included) is printed the same way and exits 2.
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`vras: ${message}\n`);
  return isCliError(error) ? error.exitCode : 2;
}

// `vras … | head` closes the pipe early: that is the reader's choice, not an error.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw error;
});

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.exitCode = report(error);
  },
);
