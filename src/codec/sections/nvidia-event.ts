// NVIDIA event section (libcper `cper-section-nvidia-events`, NVIDIA's layout, not in UEFI).
// GUID 9068E568-6CA0-11F0-AEAF-159343591EAC. Linux does not decode it (unknown section, hex dump).
//
// | 0 | 1 | Event Version | 1 | 1 | Event Context Count | 2 | 1 | Source Device Type | 3 | 1 | Reserved |
// | 4 | 2 | Event Type | 6 | 2 | Event Subtype | 8 | 8 | Event Link Id | 16 | 16 | Signature (ASCII) |
// | 32 | 2 | Info Version (major in the high byte) | 34 | 1 | Info Size (3 + device info) | 35 | … | device info |
// then Event Context Count contexts, each: Context Size u32 (whole context), Version u16, Reserved
// u16, Data Format Type u16, Data Format Version u16, Data Size u32, Data (Data Size bytes), then
// Context Size − 16 − Data Size bytes of padding.
//
// The device info (CPU: socket, architecture, ECID, instance base; GPU: originator, partitions,
// PDI) and the context data formats are NVIDIA's; vras keeps both as bytes (the libcper converter
// reads them). Counts and sizes are computed on encode; bytes after the last context are kept.

import { CodecError, CodecErrorCode } from '../errors.js';
import { ByteReader } from '../reader.js';
import { registerSection, type SectionCodec } from '../section.js';
import { ByteWriter } from '../writer.js';

export const NVIDIA_EVENT_SECTION_GUID = '9068e568-6ca0-11f0-aeaf-159343591eac';
export const NVIDIA_EVENT_HEADER_SIZE = 32;
export const NVIDIA_EVENT_INFO_HEADER_SIZE = 3;
export const NVIDIA_EVENT_CONTEXT_HEADER_SIZE = 16;

/** Source Device Type (libcper `NVIDIA_EVENT_SRC_DEV`). Other values decode to their number. */
export const NvidiaEventSourceDevice = { Cpu: 0, Gpu: 1, Dpu: 2, Nic: 3, Swx: 4, Bmc: 5 } as const;

export interface NvidiaEventContext {
  readonly version: number;
  readonly reserved: number;
  readonly dataFormatType: number;
  readonly dataFormatVersion: number;
  readonly data: Uint8Array;
  /** Bytes inside Context Size after the data (alignment padding). */
  readonly padding: Uint8Array;
}

export type NvidiaEventSection = {
  readonly kind: 'nvidia-event';
  readonly eventVersion: number;
  readonly sourceDeviceType: number;
  readonly reserved: number;
  readonly eventType: number;
  readonly eventSubtype: number;
  readonly eventLinkId: bigint;
  /** 16 bytes as stored. */
  readonly signature: Uint8Array;
  readonly infoVersion: number;
  /** The device-specific event info (Info Size − 3 bytes). */
  readonly info: Uint8Array;
  /** Info Size as stored, present only when it is below 3 (then `info` is empty); else computed. */
  readonly shortInfoSize?: number;
  readonly contexts: readonly NvidiaEventContext[];
  readonly trailing?: Uint8Array;
};

const STRUCTURE = 'NVIDIA event section';

export function readNvidiaEventSection(r: ByteReader): NvidiaEventSection {
  r.need(NVIDIA_EVENT_HEADER_SIZE + NVIDIA_EVENT_INFO_HEADER_SIZE, 'NVIDIA event header');
  const eventVersion = r.u8('event version');
  const count = r.u8('event context count');
  const sourceDeviceType = r.u8('source device type');
  const reserved = r.u8('reserved');
  const eventType = r.u16('event type');
  const eventSubtype = r.u16('event subtype');
  const eventLinkId = r.u64('event link id');
  const signature = r.bytesCopy(16, 'signature');
  const infoVersion = r.u16('info version');
  const infoSize = r.u8('info size');
  // An Info Size below 3 cannot cover its own header: no device info, the value is kept.
  const short = infoSize < NVIDIA_EVENT_INFO_HEADER_SIZE;
  const info = r.bytesCopy(short ? 0 : infoSize - NVIDIA_EVENT_INFO_HEADER_SIZE, 'event info');
  const contexts: NvidiaEventContext[] = [];
  for (let i = 0; i < count; i++) {
    const p = `context ${i}`;
    const at = r.offset;
    r.need(NVIDIA_EVENT_CONTEXT_HEADER_SIZE, `${p} header`);
    const ctxSize = r.u32(`${p} size`);
    const version = r.u16(`${p} version`);
    const ctxReserved = r.u16(`${p} reserved`);
    const dataFormatType = r.u16(`${p} data format type`);
    const dataFormatVersion = r.u16(`${p} data format version`);
    const dataSize = r.u32(`${p} data size`);
    if (ctxSize < NVIDIA_EVENT_CONTEXT_HEADER_SIZE + dataSize || ctxSize - 16 > r.remaining) {
      r.lengthMismatch(
        `${p} size`,
        `${ctxSize} does not hold the header and ${dataSize} data bytes inside the section`,
        at,
      );
    }
    const data = r.bytesCopy(dataSize, `${p} data`);
    const padding = r.bytesCopy(ctxSize - 16 - dataSize, `${p} padding`);
    contexts.push({
      version,
      reserved: ctxReserved,
      dataFormatType,
      dataFormatVersion,
      data,
      padding,
    });
  }
  const s: NvidiaEventSection = {
    kind: 'nvidia-event',
    eventVersion,
    sourceDeviceType,
    reserved,
    eventType,
    eventSubtype,
    eventLinkId,
    signature,
    infoVersion,
    info,
    ...(short ? { shortInfoSize: infoSize } : {}),
    contexts,
  };
  return r.remaining === 0 ? s : { ...s, trailing: r.rest('trailing bytes') };
}

export function writeNvidiaEventSection(w: ByteWriter, s: NvidiaEventSection): void {
  const tooMany = (field: string, what: string, n: number, max: number) => {
    if (n > max) {
      throw new CodecError(`Cannot encode ${w.structure}: ${n} ${what}, at most ${max}`, {
        code: CodecErrorCode.OutOfRange,
        structure: w.structure,
        field,
        offset: w.offset,
      });
    }
  };
  tooMany('contexts', 'contexts', s.contexts.length, 0xff);
  tooMany('info', 'event info bytes', s.info.length, 0xff - NVIDIA_EVENT_INFO_HEADER_SIZE);
  w.u8(s.eventVersion, 'event version');
  w.u8(s.contexts.length, 'event context count');
  w.u8(s.sourceDeviceType, 'source device type');
  w.u8(s.reserved, 'reserved');
  w.u16(s.eventType, 'event type');
  w.u16(s.eventSubtype, 'event subtype');
  w.u64(s.eventLinkId, 'event link id');
  w.bytes(s.signature, 'signature', 16);
  w.u16(s.infoVersion, 'info version');
  if (s.shortInfoSize !== undefined && (s.shortInfoSize >= 3 || s.info.length > 0)) {
    throw new CodecError(
      `Cannot encode ${w.structure}: shortInfoSize must be below 3 and go with empty info`,
      {
        code: CodecErrorCode.Invalid,
        structure: w.structure,
        field: 'shortInfoSize',
        offset: w.offset,
      },
    );
  }
  w.u8(s.shortInfoSize ?? NVIDIA_EVENT_INFO_HEADER_SIZE + s.info.length, 'info size');
  w.bytes(s.info, 'event info');
  s.contexts.forEach((c, i) => {
    const p = `context ${i}`;
    w.u32(NVIDIA_EVENT_CONTEXT_HEADER_SIZE + c.data.length + c.padding.length, `${p} size`);
    w.u16(c.version, `${p} version`);
    w.u16(c.reserved, `${p} reserved`);
    w.u16(c.dataFormatType, `${p} data format type`);
    w.u16(c.dataFormatVersion, `${p} data format version`);
    w.u32(c.data.length, `${p} data size`);
    w.bytes(c.data, `${p} data`);
    w.bytes(c.padding, `${p} padding`);
  });
  if (s.trailing !== undefined) w.bytes(s.trailing, 'trailing bytes');
}

export function decodeNvidiaEventSection(bytes: Uint8Array): NvidiaEventSection {
  return readNvidiaEventSection(new ByteReader(bytes, STRUCTURE));
}

export function encodeNvidiaEventSection(s: NvidiaEventSection): Uint8Array {
  const w = new ByteWriter(STRUCTURE, 256);
  writeNvidiaEventSection(w, s);
  return w.toBytes();
}

export const nvidiaEventSectionCodec: SectionCodec<NvidiaEventSection> = registerSection({
  kind: 'nvidia-event',
  guid: NVIDIA_EVENT_SECTION_GUID,
  linuxName: undefined,
  minLength: NVIDIA_EVENT_HEADER_SIZE + NVIDIA_EVENT_INFO_HEADER_SIZE,
  decode: readNvidiaEventSection,
  encode: writeNvidiaEventSection,
});
