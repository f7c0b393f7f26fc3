// The world of the access tests: a mosquitto run from the example config and ACL (tls-broker.ts)
// with certificates for the given terminals, and the reference ledger on it with its own.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { makePki, startTlsBroker, tlsFiles, type TlsBroker } from './tls-broker.ts';
import { logSink } from './log-sink.ts';
import { startLedger, type ClubSeed, type Ledger } from '../../sim/reference-ledger/ledger.ts';
import { createLogger } from '../../firmware/log.ts';

export interface TlsLedgerWorld extends TlsBroker {
  dir: string;
  ledger: Ledger;
}

/** `terminals`: the certificates to issue (terminalId, clubId); `clubs`: the ledger's seed. */
export async function startTlsLedgerWorld(
  terminals: readonly (readonly [string, string])[],
  clubs: ClubSeed[],
): Promise<TlsLedgerWorld> {
  const dir = makePki(terminals);
  const b = await startTlsBroker(dir);
  const ledger = await startLedger({
    brokerUrl: b.tlsUrl,
    dbPath: join(dir, 'ledger.db'),
    clubs,
    logger: createLogger({ level: 'debug', destination: logSink('ledger') }),
    mqttOptions: tlsFiles(dir, 'ledger'),
  });
  return { ...b, dir, ledger };
}

export async function stopTlsLedgerWorld(w: TlsLedgerWorld | undefined): Promise<void> {
  await w?.ledger.stop().catch(() => undefined);
  await w?.broker.close();
  if (w) rmSync(w.dir, { recursive: true, force: true });
}
