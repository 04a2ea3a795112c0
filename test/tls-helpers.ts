/**
 * Certificates for TLS tests, made by the openssl command line: a CA, a
 * server certificate for localhost and 127.0.0.1, a client certificate
 * (clientAuth), and a second CA that signed neither (P-256 keys, valid two
 * days).
 */
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { run } from "./helpers.js";

export interface Certificates {
  ca: string;
  otherCa: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
}

async function openssl(dir: string, ...args: string[]): Promise<void> {
  const result = await run("openssl", args, { cwd: dir });
  assert.equal(result.code, 0, `openssl ${args.join(" ")}:\n${result.stderr}`);
}

async function makeCa(dir: string, name: string): Promise<void> {
  await openssl(
    dir,
    ...["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"],
    ...["-keyout", `${name}.key`, "-out", `${name}.pem`, "-days", "2", "-subj", `/CN=${name}`],
  );
}

async function issue(dir: string, name: string, extensions: string): Promise<void> {
  writeFileSync(join(dir, `${name}.ext`), extensions);
  await openssl(
    dir,
    ...["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"],
    ...["-keyout", `${name}.key`, "-out", `${name}.csr`, "-subj", `/CN=${name}`],
  );
  await openssl(
    dir,
    ...["x509", "-req", "-in", `${name}.csr`, "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial"],
    ...["-out", `${name}.pem`, "-days", "2", "-extfile", `${name}.ext`],
  );
}

export async function makeCertificates(dir: string): Promise<Certificates> {
  await makeCa(dir, "ca");
  await makeCa(dir, "other-ca");
  await issue(dir, "server", "subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n");
  await issue(dir, "client", "extendedKeyUsage=clientAuth\n");
  const at = (file: string) => join(dir, file);
  return {
    ca: at("ca.pem"),
    otherCa: at("other-ca.pem"),
    serverCert: at("server.pem"),
    serverKey: at("server.key"),
    clientCert: at("client.pem"),
    clientKey: at("client.key"),
  };
}

/**
 * A certificate revocation list, signed by the CA `makeCertificates` made in `dir`, that revokes the
 * server certificate (`revokeServer`) or nothing. Returns its path.
 */
export async function makeRevocationList(dir: string, revokeServer: boolean): Promise<string> {
  const name = revokeServer ? "revoked" : "none-revoked";
  const folder = join(dir, `${name}-ca`);
  mkdirSync(folder, { recursive: true });
  writeFileSync(
    join(folder, "ca.cnf"),
    `[ca]\ndefault_ca = here\n[here]\ndatabase = ${join(folder, "index.txt")}\ncrlnumber = ${join(folder, "crlnumber")}\n` +
      "default_md = sha256\ndefault_crl_days = 2\n",
  );
  writeFileSync(join(folder, "index.txt"), "");
  writeFileSync(join(folder, "crlnumber"), "01\n");
  const authority = ["-config", join(folder, "ca.cnf"), "-keyfile", "ca.key", "-cert", "ca.pem"];
  if (revokeServer) await openssl(dir, "ca", ...authority, "-revoke", "server.pem");
  await openssl(dir, "ca", ...authority, "-gencrl", "-out", `${name}.crl`);
  return join(dir, `${name}.crl`);
}
