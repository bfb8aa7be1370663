// PCI Express Error section (UEFI 2.10 Appendix N.2.7; Linux `struct cper_sec_pcie`, 208 bytes).
// GUID D995E954-BBC1-430F-AD91-B44DCB3C6F35. Layout: formats.md §10. The PCIe capability
// structure (60 bytes, PCI Express Base 6.0 §7.5.3: the registers from the Capability ID to Slot
// Status 2) and the AER extended capability image (96 bytes, §7.8.4: header, status, mask and
// severity registers, header log, root error registers, error source ids, TLP prefix log) are
// decoded as register fields; the AER registers Linux prints are read from them (`struct
// aer_capability_regs` offsets). Bytes after the 208-byte structure are kept in `trailing`.

import { kernelBehaviour } from '../lint-status-block.js';
import { ByteReader } from '../reader.js';
import {
  type LinuxFormatOptions,
  registerSection,
  type SectionCodec,
  type SectionPrintContext,
} from '../section.js';
import { ByteWriter } from '../writer.js';
import { type LayoutValue, readLayout, writeLayout, zeroLayout } from './layout.js';

export const PCIE_SECTION_GUID = 'd995e954-bbc1-430f-ad91-b44dcb3c6f35';
export const PCIE_SECTION_SIZE = 208;
export const PCIE_CAPABILITY_SIZE = 60;
export const PCIE_AER_INFO_SIZE = 96;

/** Validation bits (Linux `CPER_PCIE_VALID_*`). */
export const PcieValid = {
  PortType: 0x1n,
  Version: 0x2n,
  CommandStatus: 0x4n,
  DeviceId: 0x8n,
  SerialNumber: 0x10n,
  BridgeControlStatus: 0x20n,
  Capability: 0x40n,
  AerInfo: 0x80n,
} as const;

/** Port types (formats.md §10). */
export const PciePortType = {
  Endpoint: 0,
  LegacyEndpoint: 1,
  RootPort: 4,
  UpstreamSwitchPort: 5,
  DownstreamSwitchPort: 6,
  PcieToPciBridge: 7,
  PciToPcieBridge: 8,
  RootComplexIntegratedEndpoint: 9,
  RootComplexEventCollector: 10,
} as const;

export interface PcieDeviceId {
  readonly vendorId: number;
  readonly deviceId: number;
  /** 3 bytes as stored (Linux prints them as `%02x%02x%02x` of bytes 2, 1, 0). */
  readonly classCode: Uint8Array;
  readonly function: number;
  readonly device: number;
  readonly segment: number;
  readonly bus: number;
  readonly secondaryBus: number;
  /** Slot number in bits 15:3. */
  readonly slot: number;
  readonly reserved: number;
}

/** PCI Express Capability Structure registers (PCIe Base 6.0 §7.5.3), 60 bytes. */
export const PCIE_CAPABILITY_LAYOUT = [
  ['capabilityId', 'u8', 'capability id'],
  ['nextCapabilityPointer', 'u8', 'next capability pointer'],
  ['pcieCapabilities', 'u16', 'PCI Express capabilities register'],
  ['deviceCapabilities', 'u32', 'device capabilities'],
  ['deviceControl', 'u16', 'device control'],
  ['deviceStatus', 'u16', 'device status'],
  ['linkCapabilities', 'u32', 'link capabilities'],
  ['linkControl', 'u16', 'link control'],
  ['linkStatus', 'u16', 'link status'],
  ['slotCapabilities', 'u32', 'slot capabilities'],
  ['slotControl', 'u16', 'slot control'],
  ['slotStatus', 'u16', 'slot status'],
  ['rootControl', 'u16', 'root control'],
  ['rootCapabilities', 'u16', 'root capabilities'],
  ['rootStatus', 'u32', 'root status'],
  ['deviceCapabilities2', 'u32', 'device capabilities 2'],
  ['deviceControl2', 'u16', 'device control 2'],
  ['deviceStatus2', 'u16', 'device status 2'],
  ['linkCapabilities2', 'u32', 'link capabilities 2'],
  ['linkControl2', 'u16', 'link control 2'],
  ['linkStatus2', 'u16', 'link status 2'],
  ['slotCapabilities2', 'u32', 'slot capabilities 2'],
  ['slotControl2', 'u16', 'slot control 2'],
  ['slotStatus2', 'u16', 'slot status 2'],
] as const;
export type PcieCapability = LayoutValue<typeof PCIE_CAPABILITY_LAYOUT>;

/**
 * AER Extended Capability registers from offset 0 (PCIe Base 6.0 §7.8.4; Linux `struct
 * aer_capability_regs`), 96 bytes: the last 24 are not defined by the non-Flit layout (Flit mode
 * reuses the prefix log and them as header log DWORDs 4–13) and are kept as bytes.
 */
export const PCIE_AER_LAYOUT = [
  ['capabilityHeader', 'u32', 'AER capability header'],
  ['uncorrectableErrorStatus', 'u32', 'uncorrectable error status'],
  ['uncorrectableErrorMask', 'u32', 'uncorrectable error mask'],
  ['uncorrectableErrorSeverity', 'u32', 'uncorrectable error severity'],
  ['correctableErrorStatus', 'u32', 'correctable error status'],
  ['correctableErrorMask', 'u32', 'correctable error mask'],
  ['capabilitiesControl', 'u32', 'advanced error capabilities and control'],
  ['headerLog0', 'u32', 'header log 0'],
  ['headerLog1', 'u32', 'header log 1'],
  ['headerLog2', 'u32', 'header log 2'],
  ['headerLog3', 'u32', 'header log 3'],
  ['rootErrorCommand', 'u32', 'root error command'],
  ['rootErrorStatus', 'u32', 'root error status'],
  ['correctableErrorSourceId', 'u16', 'correctable error source id'],
  ['uncorrectableErrorSourceId', 'u16', 'uncorrectable error source id'],
  ['tlpPrefixLog0', 'u32', 'TLP prefix log 0'],
  ['tlpPrefixLog1', 'u32', 'TLP prefix log 1'],
  ['tlpPrefixLog2', 'u32', 'TLP prefix log 2'],
  ['tlpPrefixLog3', 'u32', 'TLP prefix log 3'],
  ['reserved', { bytes: 24 }, 'AER reserved'],
] as const;
export type PcieAerInfo = LayoutValue<typeof PCIE_AER_LAYOUT>;

export type PcieErrorSection = {
  readonly kind: 'pcie';
  readonly validationBits: bigint;
  readonly portType: number;
  /** Version byte 0 (BCD as stored). */
  readonly versionMinor: number;
  /** Version byte 1 (BCD as stored). */
  readonly versionMajor: number;
  /** Version bytes 2–3. */
  readonly versionReserved: number;
  readonly command: number;
  readonly status: number;
  readonly reserved: number;
  readonly deviceId: PcieDeviceId;
  readonly serialNumberLower: number;
  readonly serialNumberUpper: number;
  readonly bridgeSecondaryStatus: number;
  readonly bridgeControl: number;
  /** PCIe Capability Structure, 60 bytes. */
  readonly capability: PcieCapability;
  /** AER Extended Capability registers from offset 0, 96 bytes. */
  readonly aerInfo: PcieAerInfo;
  readonly trailing?: Uint8Array;
};

const STRUCTURE = 'PCI Express Error section';

export function readPcieErrorSection(r: ByteReader): PcieErrorSection {
  r.need(PCIE_SECTION_SIZE, 'PCIe error section');
  const s: PcieErrorSection = {
    kind: 'pcie',
    validationBits: r.u64('validation bits'),
    portType: r.u32('port type'),
    versionMinor: r.u8('version minor'),
    versionMajor: r.u8('version major'),
    versionReserved: r.u16('version reserved'),
    command: r.u16('command'),
    status: r.u16('status'),
    reserved: r.u32('reserved'),
    deviceId: {
      vendorId: r.u16('vendor id'),
      deviceId: r.u16('device id'),
      classCode: r.bytesCopy(3, 'class code'),
      function: r.u8('function'),
      device: r.u8('device'),
      segment: r.u16('segment'),
      bus: r.u8('bus'),
      secondaryBus: r.u8('secondary bus'),
      slot: r.u16('slot'),
      reserved: r.u8('device id reserved'),
    },
    serialNumberLower: r.u32('serial number lower'),
    serialNumberUpper: r.u32('serial number upper'),
    bridgeSecondaryStatus: r.u16('bridge secondary status'),
    bridgeControl: r.u16('bridge control'),
    capability: readLayout(r, PCIE_CAPABILITY_LAYOUT),
    aerInfo: readLayout(r, PCIE_AER_LAYOUT),
  };
  return r.remaining === 0 ? s : { ...s, trailing: r.rest('trailing bytes') };
}

export function writePcieErrorSection(w: ByteWriter, s: PcieErrorSection): void {
  w.u64(s.validationBits, 'validation bits');
  w.u32(s.portType, 'port type');
  w.u8(s.versionMinor, 'version minor');
  w.u8(s.versionMajor, 'version major');
  w.u16(s.versionReserved, 'version reserved');
  w.u16(s.command, 'command');
  w.u16(s.status, 'status');
  w.u32(s.reserved, 'reserved');
  const d = s.deviceId;
  w.u16(d.vendorId, 'vendor id');
  w.u16(d.deviceId, 'device id');
  w.bytes(d.classCode, 'class code', 3);
  w.u8(d.function, 'function');
  w.u8(d.device, 'device');
  w.u16(d.segment, 'segment');
  w.u8(d.bus, 'bus');
  w.u8(d.secondaryBus, 'secondary bus');
  w.u16(d.slot, 'slot');
  w.u8(d.reserved, 'device id reserved');
  w.u32(s.serialNumberLower, 'serial number lower');
  w.u32(s.serialNumberUpper, 'serial number upper');
  w.u16(s.bridgeSecondaryStatus, 'bridge secondary status');
  w.u16(s.bridgeControl, 'bridge control');
  writeLayout(w, PCIE_CAPABILITY_LAYOUT, s.capability);
  writeLayout(w, PCIE_AER_LAYOUT, s.aerInfo);
  if (s.trailing !== undefined) w.bytes(s.trailing, 'trailing bytes');
}

export function decodePcieErrorSection(bytes: Uint8Array): PcieErrorSection {
  return readPcieErrorSection(new ByteReader(bytes, STRUCTURE));
}

export function encodePcieErrorSection(s: PcieErrorSection): Uint8Array {
  const w = new ByteWriter(STRUCTURE, PCIE_SECTION_SIZE);
  writePcieErrorSection(w, s);
  return w.toBytes();
}

/** A zeroed section with `fields` applied. */
export function pcieErrorSection(fields: Partial<PcieErrorSection> = {}): PcieErrorSection {
  return {
    kind: 'pcie',
    validationBits: 0n,
    portType: 0,
    versionMinor: 0,
    versionMajor: 0,
    versionReserved: 0,
    command: 0,
    status: 0,
    reserved: 0,
    deviceId: {
      vendorId: 0,
      deviceId: 0,
      classCode: new Uint8Array(3),
      function: 0,
      device: 0,
      segment: 0,
      bus: 0,
      secondaryBus: 0,
      slot: 0,
      reserved: 0,
    },
    serialNumberLower: 0,
    serialNumberUpper: 0,
    bridgeSecondaryStatus: 0,
    bridgeControl: 0,
    capability: zeroLayout(PCIE_CAPABILITY_LAYOUT),
    aerInfo: zeroLayout(PCIE_AER_LAYOUT),
    ...fields,
  };
}

/** AER registers at their `struct aer_capability_regs` offsets in the 96-byte image. */
export interface PcieAerRegisters {
  readonly header: number;
  readonly uncorStatus: number;
  readonly uncorMask: number;
  readonly uncorSeverity: number;
  readonly corStatus: number;
  readonly corMask: number;
  readonly capControl: number;
  readonly headerLog: readonly [number, number, number, number];
  readonly rootCommand: number;
  readonly rootStatus: number;
  readonly corErrSource: number;
  readonly uncorErrSource: number;
}

/** The registers Linux prints, from the decoded AER fields. */
export function pcieAerFromFields(a: PcieAerInfo): PcieAerRegisters {
  return {
    header: a.capabilityHeader,
    uncorStatus: a.uncorrectableErrorStatus,
    uncorMask: a.uncorrectableErrorMask,
    uncorSeverity: a.uncorrectableErrorSeverity,
    corStatus: a.correctableErrorStatus,
    corMask: a.correctableErrorMask,
    capControl: a.capabilitiesControl,
    headerLog: [a.headerLog0, a.headerLog1, a.headerLog2, a.headerLog3],
    rootCommand: a.rootErrorCommand,
    rootStatus: a.rootErrorStatus,
    corErrSource: a.correctableErrorSourceId,
    uncorErrSource: a.uncorrectableErrorSourceId,
  };
}

/** The same registers from a 96-byte AER image. */
export function pcieAerRegisters(aerInfo: Uint8Array): PcieAerRegisters {
  const r = new ByteReader(aerInfo, 'AER capability registers');
  return {
    header: r.u32('header'),
    uncorStatus: r.u32('uncorrectable status'),
    uncorMask: r.u32('uncorrectable mask'),
    uncorSeverity: r.u32('uncorrectable severity'),
    corStatus: r.u32('correctable status'),
    corMask: r.u32('correctable mask'),
    capControl: r.u32('capabilities and control'),
    headerLog: [
      r.u32('header log 0'),
      r.u32('header log 1'),
      r.u32('header log 2'),
      r.u32('header log 3'),
    ],
    rootCommand: r.u32('root error command'),
    rootStatus: r.u32('root error status'),
    corErrSource: r.u16('correctable error source id'),
    uncorErrSource: r.u16('uncorrectable error source id'),
  };
}

export interface PcieLinuxFormatOptions extends LinuxFormatOptions {
  /**
   * The section's Error Severity (GEDE / section descriptor). 6.1 prints the AER lines only
   * when its bit 0 is set (`gdata->error_severity & CPER_SEV_FATAL`: fatal 1 and info 3).
   * The record printer must pass it; absent counts as 0 (recoverable).
   */
  readonly sectionSeverity?: number;
}

const PCIE_PORT_TYPE_STRS = [
  'PCIe end point',
  'legacy PCI end point',
  'unknown',
  'unknown',
  'root port',
  'upstream switch port',
  'downstream switch port',
  'PCIe to PCI/PCI-X bridge',
  'PCI/PCI-X to PCIe bridge',
  'root complex integrated endpoint device',
  'root complex event collector',
];

const x = (v: number, digits: number): string => v.toString(16).padStart(digits, '0');

/**
 * Lines Linux `cper_print_pcie()` prints. '6.1': the AER lines only for a section severity with
 * bit 0 set. 7.3 (and 'newer'): "efi/cper: Print correctable AER information" (Yazen Ghannam, 2024; seen
 * in 6.13/6.14 logs): every valid AER image is printed, with `aer_cor_status` first.
 */
export function printPcieErrorSectionLinux(
  s: PcieErrorSection,
  ctx: SectionPrintContext,
): string[] {
  const pfx = ctx.pfx;
  const v = s.validationBits;
  const has = (bit: bigint): boolean => (v & bit) !== 0n;
  const out: string[] = [];
  if (has(PcieValid.PortType)) {
    out.push(`${pfx}port_type: ${s.portType | 0}, ${PCIE_PORT_TYPE_STRS[s.portType] ?? 'unknown'}`);
  }
  if (has(PcieValid.Version)) out.push(`${pfx}version: ${s.versionMajor}.${s.versionMinor}`);
  if (has(PcieValid.CommandStatus)) {
    out.push(`${pfx}command: 0x${x(s.command, 4)}, status: 0x${x(s.status, 4)}`);
  }
  if (has(PcieValid.DeviceId)) {
    const d = s.deviceId;
    out.push(
      `${pfx}device_id: ${x(d.segment, 4)}:${x(d.bus, 2)}:${x(d.device, 2)}.${x(d.function, 1)}`,
    );
    out.push(`${pfx}slot: ${d.slot >> 3}`);
    out.push(`${pfx}secondary_bus: 0x${x(d.secondaryBus, 2)}`);
    out.push(`${pfx}vendor_id: 0x${x(d.vendorId, 4)}, device_id: 0x${x(d.deviceId, 4)}`);
    const c = d.classCode;
    out.push(`${pfx}class_code: ${x(c[2]!, 2)}${x(c[1]!, 2)}${x(c[0]!, 2)}`);
  }
  if (has(PcieValid.SerialNumber)) {
    out.push(`${pfx}serial number: 0x${x(s.serialNumberLower, 4)}, 0x${x(s.serialNumberUpper, 4)}`);
  }
  if (has(PcieValid.BridgeControlStatus)) {
    out.push(
      `${pfx}bridge: secondary_status: 0x${x(s.bridgeSecondaryStatus, 4)}, control: 0x${x(s.bridgeControl, 4)}`,
    );
  }
  const newer = kernelBehaviour(ctx.options.kernel).pcieCorrectableAer;
  const severity = (ctx.options as PcieLinuxFormatOptions).sectionSeverity ?? 0;
  if (has(PcieValid.AerInfo) && (newer || (severity & 1) !== 0)) {
    const aer = pcieAerFromFields(s.aerInfo);
    if (newer) {
      out.push(
        `${pfx}aer_cor_status: 0x${x(aer.corStatus, 8)}, aer_cor_mask: 0x${x(aer.corMask, 8)}`,
      );
    }
    out.push(
      `${pfx}aer_uncor_status: 0x${x(aer.uncorStatus, 8)}, aer_uncor_mask: 0x${x(aer.uncorMask, 8)}`,
    );
    out.push(`${pfx}aer_uncor_severity: 0x${x(aer.uncorSeverity, 8)}`);
    out.push(`${pfx}TLP Header: ${aer.headerLog.map((w) => x(w, 8)).join(' ')}`);
  }
  return out;
}

export const pcieSectionCodec: SectionCodec<PcieErrorSection> = registerSection({
  kind: 'pcie',
  guid: PCIE_SECTION_GUID,
  linuxName: 'PCIe error',
  minLength: PCIE_SECTION_SIZE,
  decode: readPcieErrorSection,
  encode: writePcieErrorSection,
  printLinux: printPcieErrorSectionLinux,
});
