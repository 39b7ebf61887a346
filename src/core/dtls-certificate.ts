/**
 * The DTLS certificate every call of this visit uses. A connection made without one generates its own key
 * first, and its first description waits for that: on a busy device tens of milliseconds on the way to the
 * first frame. One made ahead is valid for 30 days; a fresh one is made a day before that.
 */
const RENEW_BEFORE_MS = 86_400_000;

export class DtlsCertificates {
  #certificate: RTCCertificate | null = null;
  #pending: Promise<RTCCertificate | null> | null = null;

  /** The certificate to use now, if one is ready and valid. */
  current(now = Date.now()): RTCCertificate | null {
    const cert = this.#certificate;
    return cert && cert.expires > now ? cert : null;
  }

  /**
   * Resolves with a certificate valid for at least a day, made now if needed. Null where the browser cannot
   * make one: the connection then makes its own, as usual.
   */
  ready(now = Date.now()): Promise<RTCCertificate | null> {
    const cert = this.#certificate;
    if (cert && cert.expires - now > RENEW_BEFORE_MS) return Promise.resolve(cert);
    return (this.#pending ??= RTCPeerConnection.generateCertificate({ name: 'ECDSA', namedCurve: 'P-256' } as EcKeyGenParams)
      .then((made) => (this.#certificate = made))
      .catch(() => null)
      .finally(() => (this.#pending = null)));
  }
}
