// EV2 secure messaging of an NTAG 424 DNA (datasheet § 9.1): the session keys from
// AuthenticateEV2First, the command counter, command and response MACs, and Full-mode encryption.
// Both sides use it: the personaliser (PCD) and the simulated card (PICC).
import { crc32 } from 'node:zlib';
import { aesCmac, cbcDecrypt, cbcEncrypt, encryptBlock, pad80, truncateMac, unpad80 } from './aes.ts';

/** SV1/SV2 of the authentication: label ‖ 00 01 00 80 ‖ RndA[15..14] ‖ (RndA[13..8] ⊕ RndB[15..10]) ‖ RndB[9..0] ‖ RndA[7..0]. */
function sessionVector(label: number[], rndA: Buffer, rndB: Buffer): Buffer {
  const mixed = Buffer.alloc(6);
  for (let i = 0; i < 6; i++) mixed[i] = rndA[2 + i] ^ rndB[i];
  return Buffer.concat([
    Buffer.from([...label, 0x00, 0x01, 0x00, 0x80]),
    rndA.subarray(0, 2),
    mixed,
    rndB.subarray(6, 16),
    rndA.subarray(8, 16),
  ]);
}

const le16 = (n: number): Buffer => Buffer.from([n & 0xff, (n >> 8) & 0xff]);

export class Ev2Session {
  /** Commands since the authentication; both sides count every command/response pair. */
  cmdCtr = 0;

  constructor(
    readonly encKey: Buffer,
    readonly macKey: Buffer,
    readonly ti: Buffer,
    readonly keyNo: number,
  ) {}

  static derive(key: Buffer, rndA: Buffer, rndB: Buffer, ti: Buffer, keyNo: number): Ev2Session {
    return new Ev2Session(
      aesCmac(key, sessionVector([0xa5, 0x5a], rndA, rndB)),
      aesCmac(key, sessionVector([0x5a, 0xa5], rndA, rndB)),
      ti,
      keyNo,
    );
  }

  #iv(label: number[], ctr: number): Buffer {
    return encryptBlock(this.encKey, Buffer.concat([Buffer.from(label), this.ti, le16(ctr), Buffer.alloc(8)]));
  }

  /** MACt over Cmd ‖ CmdCtr ‖ TI ‖ header ‖ data, with the counter before the command. */
  commandMac(cmd: number, header: Buffer, data: Buffer): Buffer {
    return truncateMac(
      aesCmac(this.macKey, Buffer.concat([Buffer.from([cmd]), le16(this.cmdCtr), this.ti, header, data])),
    );
  }

  /** MACt over RC ‖ CmdCtr ‖ TI ‖ data, with the counter after the command. */
  responseMac(rc: number, data: Buffer, ctrAfter = this.cmdCtr + 1): Buffer {
    return truncateMac(aesCmac(this.macKey, Buffer.concat([Buffer.from([rc]), le16(ctrAfter), this.ti, data])));
  }

  encryptCommand(plain: Buffer): Buffer {
    return cbcEncrypt(this.encKey, this.#iv([0xa5, 0x5a], this.cmdCtr), pad80(plain));
  }

  /** null when the padding is wrong (a wrong key). */
  decryptCommand(enc: Buffer): Buffer | null {
    if (enc.length === 0 || enc.length % 16 !== 0) return null;
    return unpad80(cbcDecrypt(this.encKey, this.#iv([0xa5, 0x5a], this.cmdCtr), enc));
  }

  encryptResponse(plain: Buffer, ctrAfter = this.cmdCtr + 1): Buffer {
    return cbcEncrypt(this.encKey, this.#iv([0x5a, 0xa5], ctrAfter), pad80(plain));
  }

  decryptResponse(enc: Buffer, ctrAfter = this.cmdCtr + 1): Buffer | null {
    if (enc.length === 0 || enc.length % 16 !== 0) return null;
    return unpad80(cbcDecrypt(this.encKey, this.#iv([0x5a, 0xa5], ctrAfter), enc));
  }
}

/** DESFire's CRC32 of a new key in ChangeKey: IEEE 802.3 polynomial, no final complement, LSB first. */
export function crc32nk(data: Buffer): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(~crc32(data) >>> 0);
  return b;
}
