/**
 * go-plugin's AutoMTLS: each side makes a throw-away self-signed certificate
 * (CN and SAN "localhost", usable as its own CA). The host passes its PEM in
 * PLUGIN_CLIENT_CERT; the plugin answers with its DER certificate (base64, no
 * padding) in the handshake line; each then trusts exactly the other's
 * certificate, for the main connection and for broker connections alike.
 */
import "reflect-metadata";
import * as grpc from "@grpc/grpc-js";
import * as x509 from "@peculiar/x509";
import { randomBytes, webcrypto } from "node:crypto";
import { type TlsContext, TLS_SERVER_NAME } from "./transport.js";

x509.cryptoProvider.set(webcrypto as Crypto);

const algorithm = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" };
export interface Identity {
  certPem: string;
  keyPem: string;
  certDer: Buffer;
}

export async function generateIdentity(): Promise<Identity> {
  const keys = (await webcrypto.subtle.generateKey(algorithm, true, ["sign", "verify"])) as CryptoKeyPair;
  const now = Date.now();
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomBytes(16)
      .toString("hex")
      .replace(/^[89a-f]/, "1"),
    name: `CN=${TLS_SERVER_NAME}, O=Sluice`,
    notBefore: new Date(now - 30_000),
    notAfter: new Date(now + 30 * 24 * 3600_000),
    signingAlgorithm: algorithm,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment | x509.KeyUsageFlags.keyCertSign,
        true,
      ),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth]),
      new x509.SubjectAlternativeNameExtension([{ type: "dns", value: TLS_SERVER_NAME }]),
    ],
  });
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey("pkcs8", keys.privateKey));
  return {
    certPem: certificate.toString("pem"),
    keyPem: toPem("PRIVATE KEY", pkcs8),
    certDer: Buffer.from(certificate.rawData),
  };
}

/** The handshake's SERVER-CERT field: base64 without padding of the DER bytes. */
export function handshakeCertField(identity: Identity): string {
  return identity.certDer.toString("base64").replace(/=+$/, "");
}

export function pemFromHandshakeCert(field: string): string {
  return toPem("CERTIFICATE", Buffer.from(field, "base64"));
}

/** Trust exactly `peerCertPem`, and prove ourselves with `identity`. */
export function tlsContext(identity: Identity, peerCertPem: string): TlsContext {
  const key = Buffer.from(identity.keyPem);
  const cert = Buffer.from(identity.certPem);
  const peer = Buffer.from(peerCertPem);
  return {
    client: grpc.credentials.createSsl(peer, key, cert),
    server: grpc.ServerCredentials.createSsl(peer, [{ private_key: key, cert_chain: cert }], true),
  };
}

function toPem(label: string, der: Buffer): string {
  const lines = der.toString("base64").match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join("\n")}\n-----END ${label}-----\n`;
}
