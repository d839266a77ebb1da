/**
 * CRC-32 (IEEE 802.3), the checksum ZIP records for every entry.
 * @module
 */

let crcTable: Uint32Array | undefined;

/** CRC-32 (IEEE 802.3, as used by ZIP) of some bytes. */
export function crc32(bytes: Uint8Array, crc = 0): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  const t = crcTable;
  let c = (crc ^ 0xffffffff) >>> 0;
  for (let i = 0; i < bytes.length; i++) c = t[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** An opened archive: the central directory is parsed; entry data are read on demand. */
