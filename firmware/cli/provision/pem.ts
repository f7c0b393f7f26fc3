// Checks of the PEM files a terminal connects with: readable, really PEM, a certificate that is
// valid now, a key that is not encrypted and belongs to the certificate.
import { readFileSync } from 'node:fs';
import { X509Certificate, createPrivateKey, type KeyObject } from 'node:crypto';
import type { Parsed } from './fields.ts';

function readText(path: string): Parsed<string> {
  try {
    return { ok: true, value: readFileSync(path, 'utf8') };
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return {
      ok: false,
      error: `cannot read ${path}: ${code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (code ?? String(e))}`,
    };
  }
}

function certificate(path: string): Parsed<X509Certificate> {
  const text = readText(path);
  if (!text.ok) return text;
  if (!text.value.includes('-----BEGIN CERTIFICATE-----'))
    return { ok: false, error: `${path} holds no PEM certificate (-----BEGIN CERTIFICATE-----)` };
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(text.value);
  } catch (e) {
    return { ok: false, error: `${path}: not a readable certificate (${(e as Error).message})` };
  }
  const now = Date.now();
  if (Date.parse(cert.validTo) < now)
    return { ok: false, error: `${path}: the certificate expired on ${cert.validTo}` };
  if (Date.parse(cert.validFrom) > now)
    return { ok: false, error: `${path}: the certificate is valid only from ${cert.validFrom} (is the clock right?)` };
  return { ok: true, value: cert };
}

/** The certificate's CN, or its whole subject. */
export function commonName(cert: X509Certificate): string {
  return /^CN=(.*)$/m.exec(cert.subject)?.[1] ?? cert.subject.replace(/\n/g, ', ');
}

export function describeCert(cert: X509Certificate): string {
  return `CN=${commonName(cert)}, valid until ${new Date(cert.validTo).toISOString().slice(0, 10)}`;
}

export function checkCaFile(path: string): Parsed<X509Certificate> {
  const cert = certificate(path);
  if (cert.ok && !cert.value.ca) return { ok: false, error: `${path}: this certificate is not a CA certificate` };
  return cert;
}

export function checkCertFile(path: string): Parsed<X509Certificate> {
  const cert = certificate(path);
  if (cert.ok && cert.value.ca)
    return { ok: false, error: `${path}: this is a CA certificate, not the terminal's own` };
  return cert;
}

export function checkKeyFile(path: string, cert: X509Certificate | null): Parsed<KeyObject> {
  const text = readText(path);
  if (!text.ok) return text;
  if (!/-----BEGIN (EC |RSA |ENCRYPTED )?PRIVATE KEY-----/.test(text.value))
    return { ok: false, error: `${path} holds no PEM private key` };
  if (text.value.includes('ENCRYPTED'))
    return { ok: false, error: `${path}: the key is encrypted; the terminal needs it without a passphrase` };
  let key: KeyObject;
  try {
    key = createPrivateKey(text.value);
  } catch (e) {
    return { ok: false, error: `${path}: not a readable private key (${(e as Error).message})` };
  }
  if (cert && !cert.checkPrivateKey(key))
    return { ok: false, error: `${path}: this key does not belong to the certificate (${commonName(cert)})` };
  return { ok: true, value: key };
}
