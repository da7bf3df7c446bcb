'use strict';
/*
 * verify-proxy.js - a SigV4-verifying front for s3rver (which checks no V4
 * signature at all: shared/LIBRARIES.md section 3).
 *
 *   node tests/s3/verify-proxy.js LISTEN_PORT UPSTREAM_PORT
 *
 * Every request must be signed, in the Authorization header or as a
 * presigned query. The signature is computed again with the npm package
 * aws4 (an implementation independent of ours) from the request as received
 * and the known credentials (s3rver's S3RVER/S3RVER); on any mismatch the
 * answer is S3's 403 SignatureDoesNotMatch. Also checked, as S3 does:
 * x-amz-content-sha256 is present and signed, and is UNSIGNED-PAYLOAD or the
 * SHA-256 of the body (400 XAmzContentSHA256Mismatch); the request time is
 * within 15 minutes; a presigned URL has not expired (403 AccessDenied);
 * the credential scope names our region and s3. What passes is forwarded,
 * streaming both ways, to s3rver on 127.0.0.1:UPSTREAM_PORT.
 *
 * For the retry tests, keys under flaky-503/ and always-500/ fail on purpose
 * (see injectedFault). Only Node's http module and aws4. Rejections are logged to stderr (no
 * secrets, no signatures).
 */
const http = require('http');
const crypto = require('crypto');
const aws4 = require('aws4');

const SECRETS = { S3RVER: 'S3RVER' };        // access key id -> secret
const REGION = process.env.S3_REGION || 'us-east-1';
const SKEW_MS = 15 * 60 * 1000;
const MAX_HASHED_BODY = 16 * 1024 * 1024;    // bodies signed by hash are buffered to check it
const MAX_PRESIGN_TTL = 7 * 24 * 3600;

const listenPort = Number(process.argv[2]);
const upstreamPort = Number(process.argv[3]);
if (!listenPort || !upstreamPort) {
  console.error('usage: node verify-proxy.js LISTEN_PORT UPSTREAM_PORT');
  process.exit(2);
}
const upstreamAgent = new http.Agent({ keepAlive: true });

class Reject extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

const mismatch = why => new Reject(403, 'SignatureDoesNotMatch',
  'The request signature we calculated does not match the signature you provided. (' + why + ')');

function xmlEscape(s) {
  return String(s).replace(/[<>&'"]/g, c => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' }[c]));
}

function sendError(req, res, err) {
  const body = '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>' + xmlEscape(err.code) +
    '</Code><Message>' + xmlEscape(err.message) + '</Message><Resource>' +
    xmlEscape(req.url.split('?')[0]) + '</Resource></Error>';
  console.error(`verify-proxy: ${req.method} ${req.url.split('?')[0]} -> ${err.status} ${err.code}: ${err.message}`);
  // Read what the client still sends, so it sees our answer and not a reset.
  const reply = () => {
    if (res.headersSent) return res.destroy();
    res.writeHead(err.status, { 'Content-Type': 'application/xml', 'Content-Length': Buffer.byteLength(body) });
    res.end(body);
  };
  if (req.complete) reply();
  else { req.on('end', reply); req.on('error', () => res.destroy()); req.resume(); }
}

// "20130524T000000Z" -> ms since the epoch, or NaN.
function amzDateMs(s) {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(s || '');
  return m ? Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]) : NaN;
}

function sameHex(a, b) {
  return typeof a === 'string' && typeof b === 'string' && a.length === b.length &&
    crypto.timingSafeEqual(Buffer.from(a), Buffer.from(b));
}

// "AK/20130524/us-east-1/s3/aws4_request" -> { accessKeyId, secret, date }
function checkCredential(cred, amzDate) {
  const parts = (cred || '').split('/');
  if (parts.length !== 5 || parts[4] !== 'aws4_request')
    throw new Reject(400, 'AuthorizationHeaderMalformed', 'malformed credential');
  const [accessKeyId, date, region, service] = parts;
  if (!(accessKeyId in SECRETS))
    throw new Reject(403, 'InvalidAccessKeyId', 'The AWS Access Key Id you provided does not exist in our records.');
  if (region !== REGION || service !== 's3')
    throw new Reject(400, 'AuthorizationHeaderMalformed', `credential scope must be ${REGION}/s3`);
  if (date !== (amzDate || '').slice(0, 8))
    throw mismatch('credential date differs from X-Amz-Date');
  return { accessKeyId, secretAccessKey: SECRETS[accessKeyId] };
}

// The request headers named in SignedHeaders, as received.
function signedHeaderValues(req, names) {
  if (!names.includes('host')) throw mismatch('host is not signed');
  const headers = {};
  for (const name of names) {
    const v = req.headers[name];
    if (v === undefined) throw mismatch(`signed header ${name} is missing`);
    headers[name] = v;
  }
  return headers;
}

function checkHeaderAuth(req) {
  const m = /^AWS4-HMAC-SHA256 Credential=([^,\s]+),\s*SignedHeaders=([^,\s]+),\s*Signature=([0-9a-f]{64})$/
    .exec(req.headers.authorization || '');
  if (!m) throw new Reject(400, 'AuthorizationHeaderMalformed', 'unreadable Authorization header');
  const amzDate = req.headers['x-amz-date'];
  const t = amzDateMs(amzDate);
  if (Number.isNaN(t)) throw new Reject(403, 'AccessDenied', 'X-Amz-Date missing or malformed');
  if (Math.abs(Date.now() - t) > SKEW_MS)
    throw new Reject(403, 'RequestTimeTooSkewed', 'The difference between the request time and the current time is too large.');
  const creds = checkCredential(m[1], amzDate);
  const names = m[2].split(';');
  const payload = req.headers['x-amz-content-sha256'];
  if (payload === undefined)
    throw new Reject(400, 'InvalidRequest', 'Missing required header for this request: x-amz-content-sha256');
  if (!names.includes('x-amz-content-sha256')) throw mismatch('x-amz-content-sha256 is not signed');
  if (payload !== 'UNSIGNED-PAYLOAD' && !/^[0-9a-f]{64}$/.test(payload))
    throw new Reject(400, 'InvalidArgument', 'x-amz-content-sha256 must be UNSIGNED-PAYLOAD or a SHA-256');
  const extra = Object.fromEntries(names.map(n => [n, true]));
  const opts = {
    method: req.method, host: req.headers.host, path: req.url, service: 's3', region: REGION,
    headers: signedHeaderValues(req, names), extraHeadersToInclude: extra,
  };
  aws4.sign(opts, creds);
  const want = /Signature=([0-9a-f]{64})$/.exec(opts.headers.Authorization)[1];
  if (!sameHex(want, m[3])) throw mismatch('header signature');
  return payload;
}

function checkQueryAuth(req) {
  const [path, query = ''] = req.url.split('?');
  const pieces = query.split('&').filter(p => p !== '');
  const kept = pieces.filter(p => !p.startsWith('X-Amz-Signature='));
  if (kept.length !== pieces.length - 1) throw mismatch('exactly one X-Amz-Signature expected');
  const q = new URLSearchParams(query);
  const sig = q.get('X-Amz-Signature');
  if (q.get('X-Amz-Algorithm') !== 'AWS4-HMAC-SHA256')
    throw new Reject(400, 'AuthorizationQueryParametersError', 'X-Amz-Algorithm must be AWS4-HMAC-SHA256');
  const amzDate = q.get('X-Amz-Date');
  const t = amzDateMs(amzDate);
  const ttl = Number(q.get('X-Amz-Expires'));
  if (Number.isNaN(t) || !Number.isInteger(ttl) || ttl < 1 || ttl > MAX_PRESIGN_TTL)
    throw new Reject(400, 'AuthorizationQueryParametersError', 'X-Amz-Date or X-Amz-Expires missing or malformed');
  if (t - Date.now() > SKEW_MS) throw new Reject(403, 'AccessDenied', 'Request is not valid yet');
  if (Date.now() > t + ttl * 1000) throw new Reject(403, 'AccessDenied', 'Request has expired');
  const creds = checkCredential(q.get('X-Amz-Credential'), amzDate);
  const names = (q.get('X-Amz-SignedHeaders') || '').split(';');
  const opts = {
    method: req.method, host: req.headers.host, path: path + '?' + kept.join('&'),
    service: 's3', region: REGION, signQuery: true,
    headers: signedHeaderValues(req, names),
    extraHeadersToInclude: Object.fromEntries(names.map(n => [n, true])),
  };
  aws4.sign(opts, creds);
  const want = /[?&]X-Amz-Signature=([0-9a-f]{64})(&|$)/.exec(opts.path);
  if (!want || !sameHex(want[1], sig)) throw mismatch('query signature');
}

function forward(req, res, body) {
  const headers = Object.assign({}, req.headers);
  delete headers.connection;
  delete headers.expect;
  const up = http.request({
    host: '127.0.0.1', port: upstreamPort, method: req.method, path: req.url, headers,
    agent: upstreamAgent,
  }, ures => {
    res.writeHead(ures.statusCode, ures.headers);
    ures.pipe(res);
  });
  up.on('error', e => {
    if (res.headersSent) return res.destroy();
    sendError(req, res, new Reject(502, 'BadGateway', 'upstream: ' + e.message));
  });
  if (body) up.end(body);
  else req.pipe(up);
}

// Buffer a body signed by its hash and compare; then forward it.
function forwardHashed(req, res, payload) {
  const chunks = [];
  let size = 0;
  req.on('data', c => {
    size += c.length;
    if (size <= MAX_HASHED_BODY) chunks.push(c);
  });
  req.on('end', () => {
    if (size > MAX_HASHED_BODY)
      return sendError(req, res, new Reject(400, 'EntityTooLarge', 'hashed body too large for this proxy'));
    const body = Buffer.concat(chunks);
    const got = crypto.createHash('sha256').update(body).digest('hex');
    if (got !== payload)
      return sendError(req, res, new Reject(400, 'XAmzContentSHA256Mismatch',
        "The provided 'x-amz-content-sha256' header does not match what was computed."));
    forward(req, res, body);
  });
}

// Fault injection for the retry tests, by key: a key under "flaky-503/" fails once per
// method and URL with 503 SlowDown, one under "always-500/" always fails with 500.
const flakySeen = new Set();
function injectedFault(req) {
  const path = req.url.split('?')[0];
  if (path.includes('/always-500/')) return new Reject(500, 'InternalError', 'injected fault');
  if (path.includes('/flaky-503/') && !flakySeen.has(req.method + ' ' + req.url)) {
    flakySeen.add(req.method + ' ' + req.url);
    return new Reject(503, 'SlowDown', 'injected fault, once');
  }
  return null;
}

const server = http.createServer((req, res) => {
  try {
    const url = req.url || '/';
    const fault = injectedFault(req);
    if (fault) throw fault;
    if (req.headers.authorization) {
      const payload = checkHeaderAuth(req);
      if (payload === 'UNSIGNED-PAYLOAD') forward(req, res, null);
      else forwardHashed(req, res, payload);
    } else if (/[?&]X-Amz-Algorithm=/.test(url)) {
      checkQueryAuth(req);
      forward(req, res, null);
    } else {
      throw new Reject(403, 'AccessDenied', 'Anonymous requests are refused by this proxy');
    }
  } catch (err) {
    if (!(err instanceof Reject)) {
      console.error('verify-proxy: internal error:', err && err.stack);
      err = new Reject(500, 'InternalError', 'proxy error');
    }
    sendError(req, res, err);
  }
});
server.keepAliveTimeout = 30000;
server.listen(listenPort, '127.0.0.1', () => {
  console.error(`verify-proxy: listening on 127.0.0.1:${listenPort}, upstream 127.0.0.1:${upstreamPort}`);
});
for (const sig of ['SIGTERM', 'SIGINT'])
  process.on(sig, () => process.exit(0));
