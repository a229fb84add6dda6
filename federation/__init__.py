"""How nodes talk: pure protocol code. Nothing here knows accounts, statuses or the database;
it signs, verifies, fetches and checks bytes and URLs handed to it, with key lookup injected.

Signing, verifying and fetching:

- `digests` — `Digest` (RFC 3230, `SHA-256=…`, Mastodon's) and `Content-Digest` (RFC 9530,
  `sha-256=:…:`): `digest_header`, `content_digest_header`, `verify_digest`,
  `verify_content_digest`. Missing, malformed, mismatched and only-unknown-algorithm headers
  raise a `DigestError` subclass; every supported algorithm offered must match.
- `structured_fields` — the RFC 8941 subset those headers are written in; strict parsing,
  canonical serialisation.
- `signing_keys` — PEM keys (RSA of 2048 to 8192 bits, Ed25519) and the algorithms
  `rsa-v1_5-sha256`, `rsa-pss-sha512`, `ed25519` over raw bytes.
- `signature_model` — what both signature schemes parse to, `VerifiedSignature`, the
  `KeyLookup` protocol (`await lookup(key_id, refresh=False|True) -> PEM | ResolvedKey |
  None`), and one `SignatureError` subclass per failure: missing signature, malformed,
  unsupported algorithm, missing signed header, expired, digest mismatch, bad signature,
  unknown key. Messages are safe to return to the peer.
- `signatures` — draft-cavage as Mastodon speaks it. `sign_request(...)` returns the headers
  to add (`Date` if absent, `Host`, `Digest`, `Signature`). `await verify_request(method,
  raw_path, headers, body, key_lookup, now=...)` verifies draft-cavage or, when
  `Signature-Input` is present, RFC 9421; it checks coverage, Mastodon's time window
  (5 min validity, 12 h cap on `expires`, 1 h skew), the digest, then the key, refetching it
  once (`refresh=True`) when the signature fails. Returns `VerifiedSignature` or raises.
- `message_signatures` — RFC 9421: `parse_message_signature`, `signature_base`,
  `sign_message` (for outgoing RFC 9421 signing later).
- `address_guard` — the resolve map (trusted) and the SSRF guard on the address actually
  connected: loopback, private, link-local, multicast, reserved, unspecified, 100.64/10 and
  their IPv6 forms are refused unless private addresses are allowed.
- `http_client` — `ClientConfig`, `RequestSigner` (a client middleware: fresh `Date` and
  signature on every attempt), `create_session`, and `FederationClient` with
  `fetch_object(url)` (ActivityStreams JSON object or a `FetchError` subclass: refused, not
  found, gone, bad content, too large, timeout, unreachable, HTTP status) and
  `post_activity(inbox_url, body)` (status and `Retry-After`; statuses never raise)."""
