// NTAG 424 DNA for klubkort: the SUN read at a tap, its check, key diversification, personalisation,
// and a simulated card. Pure over `transmit`, so the real driver, hal/sim, the CLI and the reference
// ledger share one implementation.
export { aesCmac } from './aes.ts';
export { ApduError, NDEF_AID, type Transmit } from './apdu.ts';
export { cardKeys, diversifyKey, parseMasterKey, SDM_FILE_READ_KEY, MAX_SYSTEM_ID_BYTES } from './diversify.ts';
export { Ntag424Card, NTAG424_ATR, type Ntag424Options } from './emulator.ts';
export { parseSunUri, sunTemplate } from './ndef.ts';
export {
  personalise,
  PersonaliseRefused,
  type PersonaliseOptions,
  type Personalised,
  type RefusalReason,
} from './personalise.ts';
export { readSun } from './read-sun.ts';
export { sunCmac, sunCmacValid, MAX_SDM_COUNTER } from './sun.ts';
