/**
 * Records whose key or payload Conduit's SDK encoded with a registered Avro
 * schema (metadata `opencdc.{key,payload}.schema.{subject,version}`; the
 * SDK's schema middleware does this by default), decoded back into
 * structured data with the schema the connector registered with this host.
 */
import avro from "avsc";
import type { Data, Record as OpenCdcRecord } from "../../protocol/gen/opencdc/v1/opencdc.js";
import { SluiceError } from "../../errors.js";
import type { ConnectorUtilities } from "./utilities.js";

/** Avro longs as BigInt when they do not fit a double exactly (Conduit's generator makes full 64-bit ones). */
const LONG = avro.types.LongType.__with({
  fromBuffer: (buffer: Buffer) => {
    const value = buffer.readBigInt64LE();
    return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value;
  },
  toBuffer: (value: number | bigint) => {
    const buffer = Buffer.alloc(8);
    buffer.writeBigInt64LE(BigInt(value));
    return buffer;
  },
  fromJSON: (value: number | string) => BigInt(value),
  toJSON: (value: number | bigint) => Number(value),
  isValid: (value: unknown) => typeof value === "bigint" || Number.isInteger(value),
  compare: (a: number | bigint, b: number | bigint) => (a === b ? 0 : a < b ? -1 : 1),
});

export class SchemaDecoder {
  private readonly types = new Map<string, avro.Type>();

  constructor(private readonly utilities: ConnectorUtilities) {}

  decode(record: OpenCdcRecord): OpenCdcRecord {
    const key = this.decodeData(record.key, record.metadata, "key");
    const after = this.decodeData(record.payload?.after, record.metadata, "payload");
    if (key === record.key && after === record.payload?.after) return record;
    return { ...record, key, payload: { before: record.payload?.before, after } };
  }

  private decodeData(
    data: Data | undefined,
    metadata: Record<string, string>,
    part: "key" | "payload",
  ): Data | undefined {
    const subject = metadata[`opencdc.${part}.schema.subject`];
    const version = Number(metadata[`opencdc.${part}.schema.version`]);
    if (data?.data?.$case !== "rawData" || !subject || !version) return data;
    const type = this.typeOf(subject, version);
    if (!type) return data;
    try {
      return { data: { $case: "structuredData", value: type.fromBuffer(data.data.value) as Record<string, unknown> } };
    } catch (error) {
      throw new SluiceError(
        "RECORD_INVALID",
        `the ${part} does not decode with its schema "${subject}" version ${version}: ${(error as Error).message}`,
      );
    }
  }

  private typeOf(subject: string, version: number): avro.Type | undefined {
    const id = `${subject}@${version}`;
    let type = this.types.get(id);
    if (!type) {
      const schema = this.utilities.schema(subject, version);
      if (!schema) return undefined;
      type = avro.Type.forSchema(JSON.parse(schema.bytes.toString("utf8")) as avro.Schema, {
        registry: { long: LONG },
      });
      this.types.set(id, type);
    }
    return type;
  }
}
